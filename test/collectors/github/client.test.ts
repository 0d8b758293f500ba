import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import Bottleneck from 'bottleneck';
import { createOctokit, webOriginOf, type CreateOctokitOptions, type RequestOutcome } from '../../../src/github/client.js';
import { createLogger } from '../../../src/util/logger.js';
import { fixturesFromScenario, githubSchema, startFakeGithub, type FakeGithub, type FakeGithubFault } from '../../support/fake-github/index.js';

const scenario = fixturesFromScenario({
  organizations: [{ login: 'orbit-labs', owners: ['ada'] }],
  repositories: [{ owner: 'orbit-labs', name: 'probe', visibility: 'public' }],
});

const start = (faults: FakeGithubFault[] = []) => startFakeGithub(scenario, { faults });

const client = (fake: FakeGithub, outcomes: RequestOutcome[], extra: Partial<CreateOctokitOptions> = {}) =>
  createOctokit({
    token: 'test-token',
    baseUrl: fake.url,
    logger: createLogger({ level: 'silent' }),
    timeoutMs: 1000,
    retries: 2,
    retryAfterBaseMs: 1,
    maxRateLimitWaitSeconds: 5,
    throttle: { write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) },
    onRequest: (outcome) => outcomes.push(outcome),
    ...extra,
  });

describe('github client (createOctokit)', () => {
  let fake: FakeGithub | undefined;
  // Building GitHub's schema takes a moment; not inside a request with a one-second timeout.
  before(() => githubSchema());
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('retries 502s and reports the retries with the route template and the rate limit', async () => {
    fake = await start([{ kind: 'server-error', route: 'GET /orgs/{org}', times: 2 }]);
    const outcomes: RequestOutcome[] = [];
    const answer = await client(fake, outcomes).rest.orgs.get({ org: 'orbit-labs' });
    assert.equal(answer.data.login, 'orbit-labs');
    assert.equal(fake.count('GET /orgs/{org}'), 3);
    assert.equal(outcomes.length, 1);
    assert.deepEqual({ api: outcomes[0]?.api, retries: outcomes[0]?.retries, throttles: outcomes[0]?.throttles, error: outcomes[0]?.error }, { api: 'GET /orgs/{org}', retries: 2, throttles: 0, error: false });
    assert.equal(outcomes[0]?.rateLimit?.resource, 'core');
    assert.equal(outcomes[0]?.rateLimit?.remaining, 4999);
  });

  it('gives up on a 502 after its retries', async () => {
    fake = await start([{ kind: 'server-error', route: 'GET /orgs/{org}' }]);
    const outcomes: RequestOutcome[] = [];
    await assert.rejects(client(fake, outcomes).rest.orgs.get({ org: 'orbit-labs' }), (error: { status?: number }) => error.status === 502);
    assert.equal(fake.count('GET /orgs/{org}'), 3);
    assert.equal(outcomes[0]?.error, true);
    assert.equal(outcomes[0]?.retries, 2);
  });

  for (const status of [403, 429] as const) {
    it(`honours a secondary rate limit (${status} with retry-after) and counts the throttle`, async () => {
      fake = await start([{ kind: 'secondary-rate-limit', status, retryAfterSeconds: 3, route: 'GET /orgs/{org}', times: 1 }]);
      const outcomes: RequestOutcome[] = [];
      const answer = await client(fake, outcomes).rest.orgs.get({ org: 'orbit-labs' });
      assert.equal(answer.status, 200);
      assert.deepEqual(fake.log.map((e) => e.status), [status, 200]);
      assert.equal(outcomes[0]?.throttles, 1);
      assert.equal(outcomes[0]?.retries, 0);
    });
  }

  it('waits for a primary rate limit reset that is near, and not for one that is far', async () => {
    fake = await start([{ kind: 'rate-limit', route: 'GET /orgs/{org}', times: 1, resetInSeconds: 1 }]);
    const outcomes: RequestOutcome[] = [];
    assert.equal((await client(fake, outcomes).rest.orgs.get({ org: 'orbit-labs' })).status, 200);
    assert.equal(outcomes[0]?.throttles, 1);
    await fake.close();

    fake = await start([{ kind: 'rate-limit', route: 'GET /orgs/{org}', resetInSeconds: 3600 }]);
    const later: RequestOutcome[] = [];
    await assert.rejects(client(fake, later).rest.orgs.get({ org: 'orbit-labs' }), (error: { status?: number }) => error.status === 403);
    assert.equal(fake.count('GET /orgs/{org}'), 1);
    assert.equal(later[0]?.rateLimit?.remaining, 0);
  });

  it('gives every attempt a timeout and retries one that timed out', async () => {
    fake = await start([{ kind: 'slow', delayMs: 400, route: 'GET /orgs/{org}', times: 1 }]);
    const outcomes: RequestOutcome[] = [];
    const started = performance.now();
    const answer = await client(fake, outcomes, { timeoutMs: 100 }).rest.orgs.get({ org: 'orbit-labs' });
    assert.equal(answer.status, 200);
    assert.ok(performance.now() - started < 400, 'the slow attempt was not cut short');
    assert.equal(outcomes[0]?.retries, 1);
  });

  it('times an attempt out while the garbage collector runs, rather than waiting for a held answer', async () => {
    // Node 20 let a timeout signal that only AbortSignal.any held be collected before it fired:
    // under garbage collection the attempt then waited for the server. The collector is run as
    // often as it can be while the fake holds the answer for ten times the timeout.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    fake = await start([{ kind: 'slow', delayMs: 2000, route: 'GET /orgs/{org}' }]);
    const outcomes: RequestOutcome[] = [];
    const collecting = setInterval(gc, 10);
    try {
      await assert.rejects(client(fake, outcomes, { timeoutMs: 200, retries: 0 }).rest.orgs.get({ org: 'orbit-labs' }), /longer than 200 ms|timed out|abort/i);
    } finally {
      clearInterval(collecting);
    }
  });

  it('names GraphQL calls by their operation', async () => {
    fake = await start();
    const outcomes: RequestOutcome[] = [];
    await client(fake, outcomes).graphql('query PostureProbe { rateLimit { remaining } }');
    assert.equal(outcomes[0]?.api, 'graphql PostureProbe');
    assert.equal(outcomes[0]?.rateLimit?.resource, 'graphql');
  });

  it('derives the web origin of github.com and GitHub Enterprise Server API roots', () => {
    assert.equal(webOriginOf('https://api.github.com'), 'https://github.com');
    assert.equal(webOriginOf('https://ghe.example.com/api/v3'), 'https://ghe.example.com');
    assert.equal(webOriginOf('https://ghe.example.com/api/v3/'), 'https://ghe.example.com');
    assert.equal(webOriginOf('http://127.0.0.1:8080'), undefined);
  });
});
