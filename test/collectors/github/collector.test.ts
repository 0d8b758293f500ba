import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCollectors } from '../../../src/collectors/run.js';
import type { CollectContext, Collector } from '../../../src/collectors/types.js';
import { evaluate } from '../../../src/engine/evaluate.js';
import { resolveParams } from '../../../src/engine/rules.js';
import type { ResultDocument, Rule, Status } from '../../../src/engine/types.js';
import { assertValid, createSchemaSet } from '../../../src/facts/documents.js';
import type { FactsDocument } from '../../../src/facts/types.js';
import { createLogger } from '../../../src/util/logger.js';
import {
  fixturesFromScenario,
  githubSchema,
  loadScenario,
  startDemoGithub,
  startFakeGithub,
  type DemoGithub,
  type FakeGithub,
  type FakeGithubOptions,
  type Scenario,
} from '../../support/fake-github/index.js';
import { fastCollector, githubRules, makeContext } from './helpers.js';

const TOOL = { name: 'posture', version: 'test' };
const WEB = 'https://github.com/acme-rockets';

/** Short names of the twelve rules, for the table below. */
const RULE = {
  twoFactor: 'github-org-2fa-required',
  basePermission: 'github-org-default-permission-restricted',
  protected: 'github-repo-default-branch-protected',
  secretScanning: 'github-repo-secret-scanning-enabled',
  pushProtection: 'github-repo-push-protection-enabled',
  alerts: 'github-repo-dependabot-alerts-enabled',
  updates: 'github-repo-dependabot-security-updates-enabled',
  policy: 'github-repo-security-policy-present',
  reporting: 'github-repo-private-vulnerability-reporting-enabled',
  deployKeys: 'github-repo-deploy-keys-read-only',
  outsideAdmins: 'github-repo-no-outside-admins',
  workflowToken: 'github-repo-workflow-token-read-only',
} as const;

type Row = Partial<Record<keyof typeof RULE, Status>>;
const all = (status: Status, overrides: Row = {}): Row => ({
  protected: status,
  secretScanning: status,
  pushProtection: status,
  alerts: status,
  updates: status,
  policy: status,
  reporting: status,
  deployKeys: status,
  outsideAdmins: status,
  workflowToken: status,
  ...overrides,
});

/**
 * What every seeded resource of the demo organisation must get, rule by rule: the ruleset-only
 * repository is protected, the repository whose protection the token cannot read is unknown.
 */
const EXPECTED: Record<string, Row> = {
  [WEB]: { twoFactor: 'fail', basePermission: 'fail' },
  // public, admin token, protected by an organisation ruleset only
  [`${WEB}/launchpad`]: all('pass'),
  // private, classic protection; a write deploy key, an outside admin, a write workflow token
  [`${WEB}/flight-software`]: all('pass', { pushProtection: 'fail', updates: 'fail', reporting: 'not_applicable', deployKeys: 'fail', outsideAdmins: 'fail', workflowToken: 'fail' }),
  // private, unprotected but for a ruleset in evaluate mode, which enforces nothing
  [`${WEB}/scratchpad`]: all('fail', { reporting: 'not_applicable', deployKeys: 'pass', outsideAdmins: 'pass' }),
  // public, write token: classic protection unreadable and no ruleset, so unknown, never "unprotected"
  [`${WEB}/ground-station`]: all('unknown', { policy: 'fail', reporting: 'fail' }),
  // internal, maintain token: an organisation ruleset protects it whatever the unreadable classic rule says
  [`${WEB}/mission-control`]: all('unknown', { protected: 'pass', policy: 'pass', reporting: 'not_applicable' }),
  // public, admin; review from classic protection, force pushes and deletion blocked by a ruleset
  [`${WEB}/docs-site`]: all('pass', { reporting: 'fail' }),
  // empty: no default branch to protect
  [`${WEB}/new-satellite`]: all('pass', { protected: 'not_applicable', reporting: 'not_applicable' }),
};

const statusTable = (result: ResultDocument): Record<string, Row> => {
  const table: Record<string, Row> = {};
  const short = Object.fromEntries(Object.entries(RULE).map(([k, v]) => [v, k])) as Record<string, keyof typeof RULE>;
  for (const finding of result.findings) {
    const key = short[finding.ruleId];
    if (!key) continue;
    (table[finding.resource.id] ??= {})[key] = finding.status;
  }
  return table;
};

describe('github collector', function () {
  this.timeout(60_000);
  let rules: Rule[];
  const schemas = createSchemaSet();
  let fake: FakeGithub | undefined;

  before(() => {
    rules = githubRules();
    githubSchema();
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  const scan = async (collector: Collector, context: CollectContext): Promise<{ facts: FactsDocument; result: ResultDocument }> => {
    const { calls: _calls, ...rest } = context;
    const facts = await runCollectors({ collectors: [collector], context: rest, tool: TOOL, targets: { path: '.', treeId: 'posture' } });
    assertValid(schemas, 'facts', facts, 'facts.json');
    const result = evaluate(facts, {
      rules,
      params: new Map(rules.map((rule) => [rule.id, resolveParams(rule, undefined, 'test')])),
      scanTime: context.scanTime,
      suppressions: [],
      configHash: '0'.repeat(64),
      rulesHash: '0'.repeat(64),
      tool: TOOL,
    });
    assertValid(schemas, 'result', result, 'result.json');
    return { facts, result };
  };

  const demo = async (options: FakeGithubOptions = {}): Promise<DemoGithub> => {
    const started = await startDemoGithub(options);
    fake = started;
    return started;
  };

  const demoWith = async (change: (scenario: Scenario) => void, options: FakeGithubOptions = {}) => {
    const scenario = loadScenario('fixtures/demo/github/acme-rockets.json');
    change(scenario);
    fake = await startFakeGithub(fixturesFromScenario(scenario), options);
    return { options: { githubOrg: ['acme-rockets'], githubApiUrl: fake.url }, env: { POSTURE_GITHUB_TOKEN: 'posture-demo-token' } };
  };

  describe('on the demo organisation', () => {
    it('gives every seeded repository the right status per rule', async () => {
      const github = await demo();
      const { facts, result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      assert.deepEqual(statusTable(result), EXPECTED);
      const source = facts.sources[0];
      assert.equal(source?.status, 'partial', 'two repositories are not fully readable');
      assert.equal(source?.identity, 'acme-posture-bot');
      assert.equal(source?.endpoint, github.url);
    });

    it('names where each protection setting came from, and the missing permission of what it could not read', async () => {
      const github = await demo();
      const { facts, result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      const launchpad = facts.resources.find((r) => r.id === `${WEB}/launchpad`)?.attributes.defaultBranchProtection as { classic: unknown; rulesets: { pullRequestFrom: string[] } };
      assert.equal(launchpad.classic, null);
      assert.deepEqual(launchpad.rulesets.pullRequestFrom, ['ruleset "Protect release branches" (organization acme-rockets)']);
      const unknownProtection = result.findings.find((f) => f.ruleId === RULE.protected && f.resource.id === `${WEB}/ground-station`);
      assert.deepEqual(unknownProtection?.unknown, {
        reason: 'the token is not an admin of the repository',
        attributes: ['defaultBranchProtection.classic'],
        permission: 'admin on acme-rockets/ground-station',
      });
      const gap = facts.sources[0]?.gaps.find((g) => g.resource === `${WEB}/ground-station`);
      assert.equal(gap?.permission, 'admin on acme-rockets/ground-station');
      assert.ok(gap?.attributes.includes('defaultBranchProtection.classic'));
      const failing = result.findings.find((f) => f.ruleId === RULE.protected && f.resource.id === `${WEB}/scratchpad`);
      assert.ok(failing?.evidence.some((e) => e.path.startsWith('defaultBranchProtection.rulesets')), JSON.stringify(failing?.evidence));
    });

    it('never asks for admin-only settings of a repository where the token is not admin', async () => {
      const github = await demo();
      await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      const adminOnly = /\/(branches\/[^/]+\/protection|vulnerability-alerts|actions\/permissions\/workflow|keys|collaborators)$/;
      const asked = github.log.filter((e) => /\/repos\/acme-rockets\/(ground-station|mission-control)\//.test(e.path) && adminOnly.test(e.path));
      assert.deepEqual(asked, []);
      assert.ok(github.log.some((e) => e.path === '/repos/acme-rockets/ground-station/rules/branches/main'), 'rulesets are read with read access');
    });

    it('takes security_and_analysis from the listing, and GETs the repository only where the listing lacks it', async () => {
      const github = await demo();
      await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      assert.deepEqual(github.log.filter((e) => e.route === 'GET /repos/{owner}/{repo}').map((e) => e.path), ['/repos/acme-rockets/docs-site']);
    });

    it('skips archived repositories unless asked for them', async () => {
      const github = await demo();
      const { facts } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      assert.ok(!facts.resources.some((r) => r.id.endsWith('/telemetry-archive')));
      assert.ok(facts.sources[0]?.notes.some((n) => /skipped 1 archived/.test(n)));
      const included = await scan(fastCollector(), makeContext({ options: { ...github.options, githubIncludeArchived: true }, env: github.env }));
      const archived = included.facts.resources.find((r) => r.id === `${WEB}/telemetry-archive`);
      assert.equal(archived?.attributes.archived, true);
      assert.equal(statusTable(included.result)[`${WEB}/telemetry-archive`]?.workflowToken, 'fail');
    });

    it('records calls per API and the rate limits in the source report', async () => {
      const github = await demo();
      const { facts } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      const source = facts.sources[0];
      const restCalls = github.log.filter((e) => e.route !== 'POST /graphql').length;
      assert.equal(source?.calls.total, github.log.length);
      assert.equal(source?.calls.byApi['graphql PostureRepositoryPage']?.calls, 1);
      assert.equal(source?.calls.byApi['GET /repos/{owner}/{repo}/rules/branches/{branch}']?.calls, 6);
      assert.ok(source?.notes.some((n) => n.startsWith(`REST: ${restCalls} requests`)), JSON.stringify(source?.notes));
      assert.ok(source?.notes.some((n) => new RegExp(`REST rate limit: ${github.rateLimit.rest.remaining} of 5000 remaining`).test(n)), JSON.stringify(source?.notes));
      assert.ok(source?.notes.some((n) => /^GraphQL: 1 query costing 1 points; 4999 of 5000 points remaining/.test(n)), JSON.stringify(source?.notes));
    });

    it('falls back to REST when GraphQL cannot say, where only "Branch not protected" means unprotected', async () => {
      const github = await demoWith((scenario) => {
        for (const repo of scenario.repositories ?? []) repo.graphqlFieldErrors = ['branchProtectionRule'];
      });
      const { result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      assert.deepEqual(statusTable(result), EXPECTED);
      const protectionCalls = fake?.log.filter((e) => e.route === 'GET /repos/{owner}/{repo}/branches/{branch}/protection').map((e) => `${e.status} ${e.path}`);
      assert.deepEqual(protectionCalls?.sort(), [
        '200 /repos/acme-rockets/docs-site/branches/main/protection',
        '200 /repos/acme-rockets/flight-software/branches/main/protection',
        '404 /repos/acme-rockets/launchpad/branches/main/protection',
        '404 /repos/acme-rockets/scratchpad/branches/main/protection',
      ]);
    });

    it('reads Dependabot alerts over REST (204 on, 404 off) when GraphQL fails them', async () => {
      const github = await demoWith((scenario) => {
        for (const repo of scenario.repositories ?? []) repo.graphqlFieldErrors = ['hasVulnerabilityAlertsEnabled'];
      });
      const { result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      const table = statusTable(result);
      for (const [id, row] of Object.entries(EXPECTED)) assert.equal(table[id]?.alerts, row.alerts, id);
      assert.deepEqual(
        fake?.log.filter((e) => e.route === 'GET /repos/{owner}/{repo}/vulnerability-alerts').map((e) => `${e.status} ${e.path.split('/')[3]}`).sort(),
        ['204 docs-site', '204 flight-software', '204 launchpad', '204 new-satellite', '404 scratchpad'],
      );
    });
  });

  describe('under faults, never a false pass or fail', () => {
    /** Every finding is what the demo should get, or unknown; at least one is unknown because of the fault. */
    const expectOnlyUnknowns = (result: ResultDocument, reason: RegExp) => {
      const table = statusTable(result);
      let degraded = 0;
      for (const [id, row] of Object.entries(EXPECTED)) {
        for (const [rule, status] of Object.entries(row) as [keyof typeof RULE, Status][]) {
          const got = table[id]?.[rule];
          if (got === status) continue;
          assert.equal(got, 'unknown', `${rule} on ${id}: expected ${status} or unknown, got ${got}`);
          degraded++;
        }
      }
      assert.ok(degraded > 0, 'the fault changed nothing');
      assert.ok(
        result.findings.some((f) => f.status === 'unknown' && reason.test(f.unknown?.reason ?? '')),
        `no unknown finding names the fault: ${[...new Set(result.findings.map((f) => f.unknown?.reason).filter(Boolean))].join(' | ')}`,
      );
    };

    it('stops calling REST once the primary rate limit is exhausted, and says so', async () => {
      const github = await demo({ restLimit: 9 });
      const { facts, result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      expectOnlyUnknowns(result, /REST rate limit is exhausted until/);
      const limited = github.log.filter((e) => e.status === 403).length;
      assert.ok(limited >= 1 && limited <= 8, `${limited} requests hit the exhausted limit; in-flight ones at most`);
      assert.equal(facts.sources[0]?.status, 'partial');
      assert.ok(facts.sources[0]?.notes.some((n) => n.startsWith('stopped calling the REST API: the REST rate limit is exhausted')));
    });

    it('retries 502s and reports what still failed', async () => {
      const github = await demo({ faults: [{ kind: 'server-error', route: 'GET /repos/{owner}/{repo}/actions/permissions/workflow' }, { kind: 'server-error', route: 'POST /graphql', times: 1 }] });
      const { facts, result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      expectOnlyUnknowns(result, /GitHub answered 502 after retries/);
      assert.equal(statusTable(result)[`${WEB}/scratchpad`]?.protected, 'fail', 'the GraphQL page succeeded on its retry');
      const workflow = facts.sources[0]?.calls.byApi['GET /repos/{owner}/{repo}/actions/permissions/workflow'];
      assert.equal(workflow?.errors, 5);
      assert.equal(workflow?.retries, 10);
      assert.equal(facts.sources[0]?.calls.byApi['graphql PostureRepositoryPage']?.retries, 1);
    });

    it('waits out secondary rate limits (403 and 429 with retry-after) and finishes complete', async () => {
      const github = await demo({
        faults: [
          { kind: 'secondary-rate-limit', status: 403, retryAfterSeconds: 2, route: 'GET /repos/{owner}/{repo}/rules/branches/{branch}', times: 2 },
          { kind: 'secondary-rate-limit', status: 429, retryAfterSeconds: 1, route: 'POST /graphql', times: 1 },
        ],
      });
      const { facts, result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      assert.deepEqual(statusTable(result), EXPECTED);
      const byApi = facts.sources[0]?.calls.byApi ?? {};
      assert.equal(byApi['GET /repos/{owner}/{repo}/rules/branches/{branch}']?.throttles, 2);
      assert.equal(byApi['graphql PostureRepositoryPage']?.throttles, 1);
    });

    it('treats a GraphQL rate limit as a gap, not a failure', async () => {
      const github = await demo({ faults: [{ kind: 'graphql-rate-limit', route: 'POST /graphql' }] });
      const { facts, result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      expectOnlyUnknowns(result, /GraphQL rate limit is exhausted/);
      assert.ok(facts.sources[0]?.notes.some((n) => n.startsWith('stopped calling the GraphQL API')));
    });

    it('gives up on requests that time out', async () => {
      const github = await demo({ faults: [{ kind: 'slow', delayMs: 1500, route: 'GET /repos/{owner}/{repo}/rules/branches/{branch}' }] });
      const { result } = await scan(fastCollector({ retries: 1 }), makeContext({ options: github.options, env: github.env, limits: { timeoutMs: 150, concurrency: (_s, f) => f, maxFileBytes: 1 << 20 } }));
      expectOnlyUnknowns(result, /the request took longer than 150 ms/);
      assert.equal(statusTable(result)[`${WEB}/flight-software`]?.protected, 'pass', 'classic protection decides without the rulesets');
    });

    it('keeps the known settings when GraphQL fails admin-only fields for an app without the permission', async () => {
      const github = await demoWith((scenario) => {
        for (const repo of scenario.repositories ?? []) repo.graphqlFieldErrors = ['deployKeys', 'isSecurityPolicyEnabled'];
      });
      const { result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      expectOnlyUnknowns(result, /GraphQL FORBIDDEN: Resource not accessible by integration/);
    });
  });

  describe('budget', () => {
    it('scans a 300-repository organisation with at most 3 REST requests per repository and a GraphQL query per 100', async () => {
      const scenario: Scenario = {
        organizations: [{ login: 'megacorp', owners: ['ceo'] }],
        repositories: Array.from({ length: 300 }, (_, i) => ({
          owner: 'megacorp',
          name: `service-${String(i).padStart(3, '0')}`,
          visibility: i % 3 === 0 ? 'private' : 'public',
          viewerRole: 'admin',
          securityAndAnalysis: { secret_scanning: 'enabled', secret_scanning_push_protection: i % 2 ? 'enabled' : 'disabled' },
          vulnerabilityAlerts: i % 4 !== 0,
          classicProtection: i % 2 ? { requiredApprovals: 1 } : null,
          rulesets: i % 5 === 0 ? [{ id: 9000 + i, name: 'Main', enforcement: 'active', rules: [{ type: 'pull_request', parameters: { required_approving_review_count: 1 } }, { type: 'non_fast_forward' }, { type: 'deletion' }] }] : [],
          deployKeys: i % 7 === 0 ? [{ title: 'deploy', readOnly: i % 14 !== 0 }] : [],
          collaborators: i % 11 === 0 ? [{ login: `vendor-${i}`, role: 'admin', outside: true }] : [],
        })),
      };
      fake = await startFakeGithub(fixturesFromScenario(scenario));
      const context = makeContext({ options: { githubOrg: ['megacorp'], githubApiUrl: fake.url }, env: { GITHUB_TOKEN: 'ci-token' } });
      const started = performance.now();
      const { facts, result } = await scan(fastCollector(), context);
      const elapsed = performance.now() - started;

      const repositories = facts.resources.filter((r) => r.kind === 'github.repository');
      assert.equal(repositories.length, 300);
      assert.equal(facts.sources[0]?.status, 'complete');
      const perRepositoryFromLog = fake.log.filter((e) => e.route.startsWith('GET /repos/')).length;
      const perRepositoryFromCalls = Object.entries(facts.sources[0]?.calls.byApi ?? {})
        .filter(([api]) => api.startsWith('GET /repos/'))
        .reduce((sum, [, stats]) => sum + stats.calls, 0);
      assert.equal(perRepositoryFromCalls, perRepositoryFromLog);
      assert.ok(perRepositoryFromLog / 300 <= 3, `${perRepositoryFromLog / 300} REST requests per repository`);
      assert.equal(fake.count('POST /graphql'), 3);
      assert.equal(fake.count('GET /orgs/{org}/repos'), 3);
      assert.ok(facts.sources[0]?.notes.some((n) => n.includes(`${perRepositoryFromLog} of them per repository (${(perRepositoryFromLog / 300).toFixed(2)} per repository over 300)`)), JSON.stringify(facts.sources[0]?.notes));
      assert.ok(facts.sources[0]?.notes.some((n) => n.startsWith('GraphQL: 3 queries costing 3 points')));
      // Spot checks that the pages line up with their repositories.
      const status = (rule: string, name: string) => result.findings.find((f) => f.ruleId === rule && f.resource.id === `https://github.com/megacorp/${name}`)?.status;
      assert.equal(status(RULE.protected, 'service-000'), 'pass', 'ruleset only');
      assert.equal(status(RULE.protected, 'service-002'), 'fail');
      assert.equal(status(RULE.protected, 'service-299'), 'pass', 'classic');
      assert.equal(status(RULE.alerts, 'service-296'), 'fail');
      assert.equal(status(RULE.deployKeys, 'service-294'), 'fail');
      assert.equal(status(RULE.outsideAdmins, 'service-297'), 'fail');
      assert.equal(status(RULE.outsideAdmins, 'service-298'), 'pass');
      assert.ok(elapsed < 30_000, `took ${Math.round(elapsed)} ms`);
    });
  });

  describe('credentials and targets', () => {
    it('is skipped without a target and fails without credentials, calling nothing', async () => {
      const github = await demo();
      const skipped = await fastCollector().collect(makeContext({ env: github.env }));
      assert.equal(skipped.status, 'skipped');
      const failed = await fastCollector().collect(makeContext({ options: github.options, env: {} }));
      assert.equal(failed.status, 'failed');
      assert.match(failed.reason ?? '', /no GitHub credentials: set POSTURE_GITHUB_TOKEN/);
      assert.equal(github.log.length, 0);
    });

    it('fails on rejected credentials', async () => {
      const github = await demo({ tokens: ['the-right-token'] });
      const output = await fastCollector().collect(makeContext({ options: github.options, env: { POSTURE_GITHUB_TOKEN: 'a-wrong-token' } }));
      assert.equal(output.status, 'failed');
      assert.match(output.reason ?? '', /GitHub rejected the token from POSTURE_GITHUB_TOKEN \(401 Bad credentials\)/);
    });

    it('prefers --github-token-file, then POSTURE_GITHUB_TOKEN, to GITHUB_TOKEN, and never writes a token out', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'posture-github-'));
      try {
        const file = path.join(dir, 'token');
        writeFileSync(file, 'token-from-file\n');
        let github = await demo({ tokens: ['token-from-file'] });
        const lines: string[] = [];
        const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
        const fromFile = await scan(fastCollector(), makeContext({ logger, options: { ...github.options, githubTokenFile: file }, env: { POSTURE_GITHUB_TOKEN: 'wrong', GITHUB_TOKEN: 'wrong' } }));
        assert.notEqual(fromFile.facts.sources[0]?.status, 'failed');
        assert.ok(fromFile.facts.sources[0]?.notes.includes('credentials: --github-token-file'));
        assert.ok(!JSON.stringify(fromFile).includes('token-from-file'));
        assert.ok(!lines.join('\n').includes('token-from-file'));
        await github.close();

        github = await demo({ tokens: ['posture-token'] });
        const fromEnv = await fastCollector().collect(makeContext({ options: github.options, env: { POSTURE_GITHUB_TOKEN: 'posture-token', GITHUB_TOKEN: 'wrong' } }));
        assert.equal(fromEnv.identity, 'acme-posture-bot');
        assert.ok(fromEnv.notes?.includes('credentials: POSTURE_GITHUB_TOKEN'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('authenticates as a GitHub App installation from posture.yaml', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'posture-github-app-'));
      try {
        const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const keyFile = path.join(dir, 'app.pem');
        writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
        const github = await demo({ tokens: [], app: { appId: 321, installationId: 654, publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
        const { facts, result } = await scan(
          fastCollector(),
          makeContext({ options: github.options, env: { GITHUB_TOKEN: 'ambient-token-the-app-beats' }, config: { github: { app: { appId: 321, installationId: 654, privateKeyFile: keyFile } } } }),
        );
        assert.equal(facts.sources[0]?.identity, 'GitHub App 321, installation 654');
        assert.equal(github.count('POST /app/installations/{installation_id}/access_tokens'), 1);
        assert.equal(github.count('GET /user'), 0);
        assert.deepEqual(statusTable(result), EXPECTED);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('scans named repositories, once, and reports one it cannot see as a gap', async () => {
      const github = await demo();
      const output = await fastCollector().collect(
        makeContext({ options: { githubRepo: ['acme-rockets/ground-station', 'acme-rockets/no-such-repo', 'acme-rockets/ground-station'], githubApiUrl: github.url }, env: github.env }),
      );
      assert.deepEqual(output.resources.map((r) => r.id), [`${WEB}/ground-station`]);
      assert.ok(output.gaps?.some((g) => g.resource === `${WEB}/no-such-repo` && g.reason === 'repository not found, or not visible to the token'));
      assert.equal(github.log.filter((e) => e.path === '/repos/acme-rockets/ground-station').length, 1);

      await github.close();
      const again = await demo();
      const both = await fastCollector().collect(makeContext({ options: { ...again.options, githubRepo: ['acme-rockets/launchpad'] }, env: again.env }));
      assert.equal(both.resources.filter((r) => r.id === `${WEB}/launchpad`).length, 1);
      assert.equal(again.log.filter((e) => e.path === '/repos/acme-rockets/launchpad').length, 0, 'already listed with the organisation');
    });

    it('reports an organisation it cannot see, and fails when nothing could be read', async () => {
      const github = await demo();
      const output = await fastCollector().collect(makeContext({ options: { githubOrg: ['ghost-org'], githubApiUrl: github.url }, env: github.env }));
      assert.equal(output.status, 'failed');
      assert.match(output.reason ?? '', /ghost-org: organisation not found, or not visible to the token/);
    });

    it('sees owner-only organisation settings as unknown for a token that is not an owner', async () => {
      const github = await demoWith((scenario) => {
        for (const org of scenario.organizations ?? []) org.viewerIsOwner = false;
      });
      const { result } = await scan(fastCollector(), makeContext({ options: github.options, env: github.env }));
      const table = statusTable(result);
      assert.deepEqual(table[WEB], { twoFactor: 'unknown', basePermission: 'unknown' });
      assert.equal(result.findings.find((f) => f.ruleId === RULE.twoFactor)?.unknown?.permission, 'organization owner (admin:org)');
      assert.equal(fake?.count('GET /orgs/{org}/members'), 0, 'outsiders see public members only, so owners are not counted');
    });

    it('rejects a malformed --github-repo', async () => {
      await assert.rejects(fastCollector().collect(makeContext({ options: { githubRepo: ['not a repo'] }, env: { POSTURE_GITHUB_TOKEN: 'x' } })), /--github-repo takes owner\/name/);
    });
  });
});
