import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../src/util/logger.js';
import { createRedactor, FINGERPRINT_KEY_FILE, loadFingerprintKey } from '../../../src/util/redact.js';

const KEY = 'redactor-test-key';
const fp8 = (value: string): string => createHmac('sha256', KEY).update(value).digest('hex').slice(0, 8);

// Made-up values in each format (none is a real credential).
const AWS_ID = 'AKIAQ2M5XR7TB3LWZ6HC';
const AWS_SECRET = 'pT4vXq9Lm2Zr8Ks1Wd6Yb3Nc7Hf0Ju5Ge2Ra9SoK';
const GHP = `ghp_${'RedactMeGitHubToken'.padEnd(36, '4')}`;
const PAT = `github_pat_${'11ABCDEFG0'.padEnd(22, 'x')}_${'Redact'.padEnd(59, 'y')}`;
const SLACK = 'xoxb-1234567890-1234567890123-Rd4ctM3SlackB0tT0k3nAbc';

describe('redactor', () => {
  it('replaces registered secrets with a marker naming the type and the first 8 of the fingerprint', () => {
    const redactor = createRedactor({ key: KEY, secrets: [{ value: 'hunter2hunter2', type: 'generic-credential' }] });
    assert.equal(redactor.redact('login with hunter2hunter2 failed'), `login with [secret:generic-credential:${fp8('hunter2hunter2')}] failed`);
    assert.equal(redactor.add('S3cr3tV4lu3!', 'generic-credential'), `[secret:generic-credential:${fp8('S3cr3tV4lu3!')}]`);
    assert.equal(redactor.redact('x=S3cr3tV4lu3!;'), `x=[secret:generic-credential:${fp8('S3cr3tV4lu3!')}];`);
  });

  it('recognises token shapes nobody registered: AWS key ids and their secret keys, GitHub and Slack tokens, private keys', () => {
    const redactor = createRedactor({ key: KEY });
    const text = [
      `tag Owner=${AWS_ID}`,
      `aws_secret_access_key = ${AWS_SECRET}`,
      `token ${GHP} and ${PAT}`,
      `slack ${SLACK}`,
      '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFakeFakeFakeFakeFakeFakeFakeFake\n-----END EC PRIVATE KEY-----',
      'url https://deploy:pa55w0rdInUrl@artifacts.example/x',
    ].join('\n');
    const out = redactor.redact(text);
    for (const value of [AWS_ID, AWS_SECRET, GHP, PAT, SLACK, 'MHcCAQEEIFake', 'pa55w0rdInUrl']) assert.ok(!out.includes(value), value.slice(0, 6));
    assert.ok(out.includes(`[secret:aws-access-key-id:${fp8(AWS_ID)}]`));
    assert.ok(out.includes(`[secret:aws-secret-access-key:${fp8(AWS_SECRET)}]`));
    assert.ok(out.includes(`[secret:github-token:${fp8(GHP)}]`));
    assert.ok(out.includes('[secret:slack-token:'));
    assert.ok(out.includes('[secret:private-key:'));
    assert.ok(out.includes('https://deploy:[secret:url-credential:'));
  });

  it('recognises each token shape on its own, in a string and deep in a document, every time it recurs', () => {
    const redactor = createRedactor({ key: KEY });
    // One sample per shape, alone in its string: none can lean on another to be looked at.
    const samples: [string, string][] = [
      [`owner ${AWS_ID}`, AWS_ID],
      ['temporary ASIAQ2M5XR7TB3LWZ6HD', 'ASIAQ2M5XR7TB3LWZ6HD'],
      [`aws_secret_access_key = ${AWS_SECRET}`, AWS_SECRET],
      [`{"SecretAccessKey":"${AWS_SECRET}"}`, AWS_SECRET],
      [`token ${GHP}`, GHP],
      [`token ${PAT}`, PAT],
      [`slack ${SLACK}`, SLACK],
      ['app xapp-1-A0123456789-Rd4ctM3SlackApp', 'Rd4ctM3SlackApp'],
      [`npm npm_${'Rd4ctM3Npm'.padEnd(36, '7')}`, 'Rd4ctM3Npm'],
      [`stripe sk_live_${'Rd4ctM3Stripe'.padEnd(24, '8')}`, 'Rd4ctM3Stripe'],
      [`stripe rk_test_${'Rd4ctM3Restricted'.padEnd(24, '9')}`, 'Rd4ctM3Restricted'],
      ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA', 'b3BlbnNzaC1rZXktdjEAAAAA'],
      ['clone git+ssh://builder:Rd4ctM3InUrl@git.example/repo', 'Rd4ctM3InUrl'],
    ];
    for (const [text, value] of samples) {
      assert.ok(!redactor.redact(text).includes(value), `${value} in "${text}"`);
      const deep = JSON.stringify(redactor.redactDeep({ a: text, b: [text, { [text]: text }], c: text }));
      assert.ok(!deep.includes(value), `${value} deep in a document`);
    }
  });

  it('takes a key-shaped value next to an access key id for its secret key, in any order', () => {
    const redactor = createRedactor({ key: KEY });
    const json = JSON.stringify({ SecretKey: AWS_SECRET, AccessKeyId: AWS_ID });
    assert.ok(!redactor.redact(json).includes(AWS_SECRET));
    // Far from any key id, a 40-character string is left alone (a git SHA, a digest).
    const alone = 'commit 3f2a9c1b7e4d8f0a6c2b9e1d4f7a0c3b5e8d1f2a';
    assert.equal(redactor.redact(alone), alone);
  });

  it('truncated private keys are redacted to the end of the text', () => {
    const redactor = createRedactor({ key: KEY });
    assert.equal(redactor.redact('key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow'), `key: [secret:private-key:${fp8('-----BEGIN RSA PRIVATE KEY-----\nMIIEow')}]`);
  });

  it("redacts the values of posture's own tokens from the environment", () => {
    const env = { GITHUB_TOKEN: 'gho_shortish_but_real_token_value', POSTURE_GITHUB_TOKEN: 'posture-token-value-123', AWS_SECRET_ACCESS_KEY: 'aws/secret+value', AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEFakeSession', HOME: '/home/ci' };
    const redactor = createRedactor({ key: KEY, env });
    const out = redactor.redact(`${env.GITHUB_TOKEN} ${env.POSTURE_GITHUB_TOKEN} ${env.AWS_SECRET_ACCESS_KEY} ${env.AWS_SESSION_TOKEN} ${env.HOME}`);
    assert.equal(out, `[secret:github-token:${fp8(env.GITHUB_TOKEN)}] [secret:github-token:${fp8(env.POSTURE_GITHUB_TOKEN)}] [secret:aws-secret-access-key:${fp8(env.AWS_SECRET_ACCESS_KEY)}] [secret:aws-session-token:${fp8(env.AWS_SESSION_TOKEN)}] /home/ci`);
  });

  it('leaves documented examples, short values and ordinary text alone, and is idempotent', () => {
    const redactor = createRedactor({ key: KEY, secrets: [{ value: 'abc', type: 'generic-credential' }] });
    const text = 'AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY abc ghp_ short';
    assert.equal(redactor.redact(text), text);
    const once = redactor.redact(`x ${GHP}`);
    assert.equal(redactor.redact(once), once);
  });

  it('redacts deeply: values, keys, arrays; a copy, never the input', () => {
    const redactor = createRedactor({ key: KEY });
    const input = { name: `bucket-${AWS_ID}`, tags: { [GHP]: 'x', list: [SLACK, 1, true, null] } };
    const out = redactor.redactDeep(input);
    const text = JSON.stringify(out);
    for (const value of [AWS_ID, GHP, SLACK]) assert.ok(!text.includes(value));
    assert.equal(input.name, `bucket-${AWS_ID}`, 'the input is untouched');
    assert.deepEqual((out.tags as Record<string, unknown>).list, [`[secret:slack-token:${fp8(SLACK)}]`, 1, true, null]);
  });

  it('redacts every mention of a repeated value, shares untouched parts, and sees secrets registered between calls', () => {
    const redactor = createRedactor({ key: KEY });
    const shared = { title: 'A rule title', kinds: ['aws.s3.bucket'] };
    const input = { a: { note: `token ${GHP}`, rule: shared }, b: [{ note: `token ${GHP}`, rule: shared }], [`k-${GHP}`]: 1, later: 'hunter2hunter2 here' };
    const first = redactor.redactDeep(input);
    assert.ok(!JSON.stringify(first).includes(GHP));
    assert.equal(first.a.note, `token [secret:github-token:${fp8(GHP)}]`);
    assert.equal(first.b[0]?.note, first.a.note);
    assert.equal(first.a.rule, shared, 'a subtree with nothing to redact is not copied');
    assert.equal(first.later, 'hunter2hunter2 here');
    redactor.add('hunter2hunter2', 'generic-credential');
    const second = redactor.redactDeep(input);
    assert.equal(second.later, `[secret:generic-credential:${fp8('hunter2hunter2')}] here`);
    assert.equal(input.a.note, `token ${GHP}`, 'the input is untouched');
  });

  it('plugs into the logger', () => {
    const lines: string[] = [];
    const redactor = createRedactor({ key: KEY });
    const logger = createLogger({ level: 'info', write: (l) => lines.push(l), redact: redactor.redact });
    logger.child('github').info(`token ${GHP} rejected`);
    assert.deepEqual(lines, [`[github] token [secret:github-token:${fp8(GHP)}] rejected`]);
  });
});

describe('fingerprint key', () => {
  it('comes from POSTURE_FINGERPRINT_KEY when set', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'posture-key-'));
    const key = loadFingerprintKey({ env: { POSTURE_FINGERPRINT_KEY: 'from-the-secret-store' }, root });
    assert.equal(key.source, 'env');
    assert.equal(key.key.toString(), 'from-the-secret-store');
    assert.equal(key.warning, undefined);
    assert.equal(existsSync(path.join(root, '.posture')), false, 'nothing is written');
  });

  it('is generated once under .posture/ in the scanned root, kept out of git, with a warning, then reused', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'posture-key-'));
    const first = loadFingerprintKey({ env: {}, root });
    assert.equal(first.source, 'generated');
    assert.match(first.warning ?? '', /POSTURE_FINGERPRINT_KEY is not set; generated a fingerprint key/);
    const file = path.join(root, FINGERPRINT_KEY_FILE);
    assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(path.join(root, '.posture', '.gitignore'), 'utf8').split('\n').includes('*'), true);
    const second = loadFingerprintKey({ env: {}, root });
    assert.equal(second.source, 'file');
    assert.deepEqual(second.key, first.key);
  });

  it('falls back to a key for this run only when the tree cannot be written', () => {
    // A root under which no directory can be made (a file, not a directory) fails like a read-only tree.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'posture-key-'));
    const root = path.join(dir, 'not-a-directory');
    writeFileSync(root, '');
    const key = loadFingerprintKey({ env: {}, root });
    assert.equal(key.source, 'ephemeral');
    assert.equal(key.key.length, 64);
    assert.match(key.warning ?? '', /cannot be written \(ENOTDIR\); secret fingerprints will differ between scans/);
  });
});
