import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createAwsSession } from '../../src/aws/session.js';
import { childEnv } from '../../src/collectors/osv/scanner.js';
import { createCallRecorder } from '../../src/collectors/types.js';
import { createOctokit } from '../../src/github/client.js';
import { createLogger } from '../../src/util/logger.js';
import { bypassesProxy, proxyFor, proxySettings } from '../../src/util/proxy.js';
import { awsEnvFor, FIXTURES_AWS_IAM, startFixtureAws, withEnv, type FixtureFake } from '../support/fake-aws/index.js';
import { startDemoGithub, type DemoGithub } from '../support/fake-github/demo.js';
import { startTestProxy, type TestProxy } from '../support/proxy.js';
import { tempTree } from '../support/temp.js';

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];
const cleared = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, undefined]));

describe('proxies (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)', () => {
  let proxy: TestProxy;
  beforeEach(async () => {
    proxy = await startTestProxy();
  });
  afterEach(async () => {
    await proxy.close();
  });

  it('matches NO_PROXY entries as curl does', () => {
    assert.equal(bypassesProxy('localhost,.corp.example', 'api.corp.example', 443), true);
    assert.equal(bypassesProxy('corp.example', 'corp.example', 443), true);
    assert.equal(bypassesProxy('corp.example', 'git.corp.example', 443), true);
    assert.equal(bypassesProxy('corp.example', 'notcorp.example', 443), false);
    assert.equal(bypassesProxy('127.0.0.1:9000', '127.0.0.1', 9001), false);
    assert.equal(bypassesProxy('127.0.0.1:9000', '127.0.0.1', 9000), true);
    assert.equal(bypassesProxy('*', 'github.com', 443), true);
    assert.equal(bypassesProxy(undefined, 'github.com', 443), false);
    const settings = proxySettings({ HTTPS_PROXY: 'proxy.corp:3128', http_proxy: 'http://other:8080', HTTP_PROXY: 'http://ignored:1' });
    assert.equal(proxyFor(settings, new URL('https://api.github.com/user'))?.href, 'http://proxy.corp:3128/');
    assert.equal(proxyFor(settings, new URL('http://127.0.0.1:4000/'))?.href, 'http://other:8080/', 'lower-case names win, as in curl');
  });

  describe('AWS', () => {
    let fake: FixtureFake;
    let restore: () => void = () => {};
    beforeEach(async () => {
      fake = await startFixtureAws({ fixtures: path.join(FIXTURES_AWS_IAM, 'seeded') });
    });
    afterEach(async () => {
      restore();
      await fake.close();
    });

    const callerIdentity = async (): Promise<boolean> => {
      const calls = createCallRecorder();
      const session = createAwsSession(
        { calls, signal: new AbortController().signal, limits: { timeoutMs: 5000, concurrency: (_s, fallback) => fallback, maxFileBytes: 1024 } },
        { roleSessionName: 'posture-test', maxAttempts: 1 },
        'us-east-1',
      );
      try {
        const outcome = await session.call('sts', 'GetCallerIdentity', () => session.client(STSClient, 'sts', 'us-east-1').send(new GetCallerIdentityCommand({})));
        return outcome.ok;
      } finally {
        session.destroy();
      }
    };

    it('sends every call through the proxy, and not when NO_PROXY names the host', async () => {
      restore = withEnv({ ...cleared, ...awsEnvFor(fake.url), HTTP_PROXY: proxy.url });
      assert.equal(await callerIdentity(), true);
      const host = new URL(fake.url).host;
      assert.deepEqual(proxy.requests.map((r) => [r.method, r.target]), [['POST', `http://${host}/`]]);
      assert.equal(fake.calls.length, 1);

      restore();
      restore = withEnv({ ...cleared, ...awsEnvFor(fake.url), HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
      assert.equal(await callerIdentity(), true);
      assert.equal(proxy.requests.length, 1, 'NO_PROXY: the second call went directly');
      assert.equal(fake.calls.length, 2);
    });

    it('is unchanged without proxy variables', async () => {
      restore = withEnv({ ...cleared, ...awsEnvFor(fake.url) });
      assert.equal(await callerIdentity(), true);
      assert.equal(proxy.requests.length, 0);
    });
  });

  describe('GitHub', () => {
    let github: DemoGithub;
    beforeEach(async () => {
      github = await startDemoGithub();
    });
    afterEach(async () => {
      await github.close();
    });

    const viewer = async (env: NodeJS.ProcessEnv): Promise<string> => {
      const octokit = createOctokit({ token: 'posture-test-token', baseUrl: github.url, logger: createLogger({ level: 'silent' }), timeoutMs: 5000, retries: 0, env });
      const { data } = await octokit.request('GET /user');
      return data.login;
    };

    it('sends requests through the proxy with the proxy’s credentials, and not when NO_PROXY names the host', async () => {
      const withCredentials = proxy.url.replace('http://', 'http://corp%5Cuser:s3cret@');
      assert.equal(await viewer({ HTTP_PROXY: withCredentials }), 'acme-posture-bot');
      const host = new URL(github.url).host;
      assert.deepEqual(proxy.requests.map((r) => [r.method, r.target]), [['GET', `http://${host}/user`]]);
      assert.equal(proxy.requests[0]?.proxyAuthorization, `Basic ${Buffer.from('corp\\user:s3cret').toString('base64')}`);
      assert.equal(github.count('GET /user'), 1);

      assert.equal(await viewer({ HTTP_PROXY: proxy.url, NO_PROXY: `127.0.0.1:${new URL(github.url).port}` }), 'acme-posture-bot');
      assert.equal(proxy.requests.length, 1, 'NO_PROXY: the second request went directly');
      assert.equal(github.count('GET /user'), 2);
    });

    it('uses HTTPS_PROXY only for https URLs', async () => {
      assert.equal(await viewer({ HTTPS_PROXY: proxy.url }), 'acme-posture-bot');
      assert.equal(proxy.requests.length, 0);
    });
  });

  it('tunnels https through CONNECT and trusts the CA named by NODE_EXTRA_CA_CERTS', async function () {
    this.timeout(60_000);
    const { dir, cleanup } = tempTree({});
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    try {
      // A throwaway self-signed certificate for 127.0.0.1; no key is kept in the repository.
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    } catch {
      this.skip();
    }
    const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('secret-free hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const client = path.join(import.meta.dirname, 'https-client.ts');
      const run = (extra: Record<string, string>) =>
        execa(process.execPath, ['--import', 'tsx', client, url], { env: { PATH: process.env.PATH ?? '', HTTPS_PROXY: proxy.url, ...extra }, extendEnv: false, reject: false });
      const trusted = await run({ NODE_EXTRA_CA_CERTS: cert });
      assert.equal(trusted.exitCode, 0, trusted.stderr);
      assert.deepEqual(JSON.parse(trusted.stdout), { viaAgent: '200 secret-free hello', viaFetch: '200 secret-free hello' });
      const port = new URL(url).port;
      assert.deepEqual(proxy.requests.map((r) => [r.method, r.target]), [['CONNECT', `127.0.0.1:${port}`], ['CONNECT', `127.0.0.1:${port}`]]);
      // Without the extra CA the certificate is refused, through the tunnel all the same.
      const untrusted = await run({});
      assert.notEqual(untrusted.exitCode, 0);
      assert.match(untrusted.stderr, /self[- ]signed|unable to verify|UNABLE_TO_VERIFY|DEPTH_ZERO/i);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      cleanup();
    }
  });

  it('passes the proxy and CA variables to osv-scanner', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: '/etc/corp-ca.pem', SSL_CERT_FILE: '/etc/ca.pem', AWS_SECRET_ACCESS_KEY: 'x' };
    assert.deepEqual(childEnv(env), { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: '/etc/corp-ca.pem', SSL_CERT_FILE: '/etc/ca.pem' });
  });
});
