import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { createOctokit, type GithubAuth } from '../../../src/github/client.js';
import { createLogger } from '../../../src/util/logger.js';
import { fixturesFromScenario, githubSchema, startFakeGithub, type FakeGithub, type FakeGithubOptions, type Scenario } from '../../support/fake-github/index.js';

const scenario: Scenario = {
  organizations: [{ login: 'orbit-labs', owners: ['ada', 'grace'], rulesets: [{ id: 1, name: 'Org main', enforcement: 'active', rules: [{ type: 'deletion' }] }] }],
  repositories: [
    { owner: 'orbit-labs', name: 'probe', visibility: 'public', viewerRole: 'admin', classicProtection: null, rulesets: [{ id: 2, name: 'Trial', enforcement: 'evaluate', rules: [{ type: 'non_fast_forward' }] }] },
    { owner: 'orbit-labs', name: 'lander', viewerRole: 'write', forbiddenStatus: 403, classicProtection: { requiredApprovals: 1 } },
    { owner: 'orbit-labs', name: 'rover', viewerRole: 'read', forbiddenStatus: 404 },
    ...Array.from({ length: 120 }, (_, i) => ({ owner: 'orbit-labs', name: `sat-${i}` })),
  ],
};

const octokit = (fake: FakeGithub, auth: GithubAuth = { kind: 'token', token: 'test-token' }) =>
  createOctokit({
    auth,
    baseUrl: fake.url,
    logger: createLogger({ level: 'silent' }),
    timeoutMs: 3000,
    retries: 0,
    retryAfterBaseMs: 1,
    throttle: { write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) },
  });

describe('fake GitHub API (test/support/fake-github)', () => {
  let fake: FakeGithub;
  const start = async (options: FakeGithubOptions = {}) => {
    fake = await startFakeGithub(fixturesFromScenario(scenario), options);
    return fake;
  };
  before(() => githubSchema());
  afterEach(() => fake?.close());

  it("answers an unknown route with GitHub's 404 body", async () => {
    await start();
    await assert.rejects(octokit(fake).request('GET /repos/{owner}/{repo}/no-such-thing', { owner: 'orbit-labs', repo: 'probe' }), (error: { status: number; response: { data: unknown } }) => {
      assert.equal(error.status, 404);
      assert.deepEqual(error.response.data, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
      return true;
    });
    assert.equal(fake.log[0]?.route, 'unknown');
  });

  it('says "Branch not protected" for an admin, and refuses others with 403 or 404 as configured', async () => {
    await start();
    const client = octokit(fake);
    await assert.rejects(client.rest.repos.getBranchProtection({ owner: 'orbit-labs', repo: 'probe', branch: 'main' }), (error: { status: number; response: { data: { message: string } } }) =>
      error.status === 404 && error.response.data.message === 'Branch not protected',
    );
    await assert.rejects(client.rest.repos.getBranchProtection({ owner: 'orbit-labs', repo: 'lander', branch: 'main' }), (error: { status: number; response: { data: { message: string } } }) =>
      error.status === 403 && error.response.data.message === 'Must have admin rights to Repository.',
    );
    await assert.rejects(client.rest.repos.checkVulnerabilityAlerts({ owner: 'orbit-labs', repo: 'rover' }), (error: { status: number; response: { data: { message: string } } }) =>
      error.status === 404 && error.response.data.message === 'Not Found',
    );
    assert.equal((await client.rest.repos.getBranchRules({ owner: 'orbit-labs', repo: 'lander', branch: 'main' })).status, 200);
  });

  it('returns only the rules of active rulesets for a branch, with their source', async () => {
    await start();
    const { data } = await octokit(fake).rest.repos.getBranchRules({ owner: 'orbit-labs', repo: 'probe', branch: 'main' });
    assert.deepEqual(data, [{ type: 'deletion', ruleset_source_type: 'Organization', ruleset_source: 'orbit-labs', ruleset_id: 1 }]);
  });

  it('paginates listings with Link headers and sends rate limit headers that count down', async () => {
    await start();
    const client = octokit(fake);
    const repos = await client.paginate(client.rest.repos.listForOrg, { org: 'orbit-labs', per_page: 100 });
    assert.equal(repos.length, 123);
    assert.equal(fake.count('GET /orgs/{org}/repos'), 2);
    const admin = repos.find((r) => r.name === 'probe');
    const writer = repos.find((r) => r.name === 'lander');
    assert.equal(admin?.permissions?.admin, true);
    assert.ok(admin?.security_and_analysis, 'admins see security_and_analysis in the listing');
    assert.equal(writer?.security_and_analysis, undefined);
    assert.equal(fake.rateLimit.rest.remaining, 4998);
  });

  it('hides owner-only organisation settings from a token that is not an owner', async () => {
    fake = await startFakeGithub(fixturesFromScenario({ organizations: [{ login: 'orbit-labs', viewerIsOwner: false }] }));
    const { data } = await octokit(fake).rest.orgs.get({ org: 'orbit-labs' });
    assert.equal(data.login, 'orbit-labs');
    assert.equal(data.two_factor_requirement_enabled, undefined);
    assert.equal(data.default_repository_permission, undefined);
  });

  it("executes GraphQL against GitHub's schema: unknown fields are errors, admin-only fields refuse others with FORBIDDEN", async () => {
    await start();
    const client = octokit(fake);
    const probe = fake.fixtures.repositories.find((r) => r.repository.name === 'probe')?.repository.node_id;
    const lander = fake.fixtures.repositories.find((r) => r.repository.name === 'lander')?.repository.node_id;
    await assert.rejects(client.graphql('query Broken { viewer { noSuchField } }'), (error: { errors: { message: string }[] }) =>
      error.errors[0]?.message === "Field 'noSuchField' doesn't exist on type 'User'",
    );
    await assert.rejects(
      client.graphql('query Keys($ids: [ID!]!) { nodes(ids: $ids) { ... on Repository { nameWithOwner collaborators(first: 10) { totalCount } } } }', { ids: [probe, lander] }),
      (error: { errors: { type?: string; path: unknown[] }[]; data: { nodes: { nameWithOwner: string; collaborators: unknown }[] } }) => {
        assert.deepEqual(error.errors.map((e) => [e.type, e.path]), [['FORBIDDEN', ['nodes', 1, 'collaborators']]]);
        assert.equal(error.data.nodes[1]?.collaborators, null);
        assert.deepEqual(error.data.nodes[0]?.collaborators, { totalCount: 0 });
        return true;
      },
    );
    const rulesets = await client.graphql<{ nodes: { rulesets: { nodes: { name: string; enforcement: string }[] } }[] }>(
      'query R($ids: [ID!]!) { nodes(ids: $ids) { ... on Repository { rulesets(first: 10) { nodes { name enforcement } } } } }',
      { ids: [probe] },
    );
    assert.deepEqual(rulesets.nodes[0]?.rulesets.nodes, [{ name: 'Trial', enforcement: 'EVALUATE' }, { name: 'Org main', enforcement: 'ACTIVE' }]);
  });

  it('answers a primary rate limit like GitHub once the budget is spent', async () => {
    await start({ restLimit: 1 });
    const client = octokit(fake);
    await client.rest.orgs.get({ org: 'orbit-labs' });
    await assert.rejects(client.rest.orgs.get({ org: 'orbit-labs' }), (error: { status: number; response: { headers: Record<string, string> } }) => {
      assert.equal(error.status, 403);
      assert.equal(error.response.headers['x-ratelimit-remaining'], '0');
      assert.ok(Number(error.response.headers['x-ratelimit-reset']) > Date.now() / 1000);
      return true;
    });
  });

  it('issues installation tokens only for a correctly signed app JWT', async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await start({ app: { appId: 321, installationId: 654, publicKeyPem }, tokens: [] });
    const { data } = await octokit(fake, { kind: 'app', appId: 321, installationId: 654, privateKey }).rest.orgs.get({ org: 'orbit-labs' });
    assert.equal(data.login, 'orbit-labs');
    assert.deepEqual(fake.log.map((e) => `${e.status} ${e.route}`), ['201 POST /app/installations/{installation_id}/access_tokens', '200 GET /orgs/{org}']);

    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(octokit(fake, { kind: 'app', appId: 321, installationId: 654, privateKey: other }).rest.orgs.get({ org: 'orbit-labs' }), (error: { status: number }) => error.status === 401);
  });

  it('rejects a token it was told not to accept', async () => {
    await start({ tokens: ['the-right-one'] });
    await assert.rejects(octokit(fake).rest.users.getAuthenticated(), (error: { status: number; response: { data: { message: string } } }) => error.status === 401 && error.response.data.message === 'Bad credentials');
  });
});
