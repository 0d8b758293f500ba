import assert from 'node:assert/strict';
import { GITHUB_CALLS } from '../../src/collectors/github/routes.js';
import { isUnknown } from '../../src/facts/types.js';
import { fixturesFromScenario, type FakeGithubFault, type FakeGithubLogEntry, type FakeGithubRequest } from '../support/fake-github/index.js';
import { CROWDED_REPO, PAGING_ORG, pagingScenario } from './paging-estate.js';
import { changes, githubSubjects, rules, scanDemo, statusMap, TEST_APP, type ScanOptions, type ScanOutcome } from './support.js';

/** The name a request of the fake's log is declared under. */
const apiOf = (entry: FakeGithubLogEntry): string => (entry.route === 'POST /graphql' ? `graphql ${entry.operation ?? 'anonymous'}` : entry.route);

/** Every call the collector declares, the App token exchange included: the matrix's rows. */
const MATRIX = GITHUB_CALLS.filter((call) => call.by === 'github collector');

/**
 * The estates a call is refused in, first to last: the demo organisation with a token, an
 * organisation with more than a page of everything (the only one that makes follow-up page
 * queries), and the demo organisation scanned as a GitHub App (the only one that exchanges an App
 * token). A call is refused in the first estate whose fault-free scan makes it.
 */
type Estate = 'demo' | 'paging' | 'app';
const ESTATES: Record<Estate, ScanOptions> = {
  demo: { sources: ['github'] },
  // The organisation's owners are read for reports; asking for them makes their loss a gap.
  paging: { sources: ['github'], githubScenario: pagingScenario(), extraNeeds: { 'github.organization': ['owners', 'ownersCount'] } },
  app: { sources: ['github'], githubApp: true },
};

/** Fallbacks the demo reaches only when GraphQL cannot say: refused together with the GraphQL page. */
const FALLBACK_OF: Record<string, string> = {
  'GET /repos/{owner}/{repo}/vulnerability-alerts': 'graphql PostureRepositoryPage',
  'GET /repos/{owner}/{repo}/branches/{branch}/protection': 'graphql PostureRepositoryPage',
};

const faultFor = (api: string, match?: (request: FakeGithubRequest) => boolean): FakeGithubFault => {
  if (api.startsWith('graphql ')) {
    const operation = api.slice('graphql '.length);
    return { kind: 'forbidden', route: 'POST /graphql', match: (request) => request.operation === operation && (match?.(request) ?? true) };
  }
  return { kind: 'forbidden', route: api, ...(match ? { match } : {}) };
};

const pattern = (gapPermission: string): RegExp => new RegExp(`^${gapPermission.replace(/[()]/g, '\\$&').replace(/\{[a-z_]+\}/g, '.+')}$`);

const REQUIRES = new Map(rules.map((rule) => [rule.id, new Set(rule.requires.map((p) => p.split('.')[0] as string))]));

type Gap = { resource: string; attributes: string[]; reason: string; permission?: string };
const githubSource = (outcome: ScanOutcome) => outcome.facts.sources.find((s) => s.id === 'github');
const newGapsOf = (denied: ScanOutcome, baseline: ScanOutcome): Gap[] => {
  const before = new Set((githubSource(baseline)?.gaps ?? []).map((g) => JSON.stringify(g)));
  return (githubSource(denied)?.gaps ?? []).filter((g) => !before.has(JSON.stringify(g)));
};

/** The web address of a repository or organisation of the estates (both live on github.com). */
const web = (name: string): string => `https://github.com/${name}`;

/**
 * What every refusal must show: findings change only to unknown, or vanish with their
 * repository when the organisation's listing (or the whole source) was lost, never to pass or
 * fail; each finding that became unknown is covered by a new gap on its resource that names what
 * its rule reads; and a new gap names the call's permission.
 */
const checkRefusal = (denied: ScanOutcome, baseline: ScanOutcome, call: (typeof MATRIX)[number]): { changed: ReturnType<typeof changes>; newGaps: Gap[] } => {
  const changed = changes(statusMap(baseline.result), statusMap(denied.result));
  const source = githubSource(denied);
  const newGaps = newGapsOf(denied, baseline);
  for (const change of changed) {
    const [ruleId, resource] = change.key.split(' ') as [string, string];
    assert.notEqual(change.from, undefined, `${change.key} appeared (${change.to})`);
    if (change.to === undefined) {
      const listingLost = newGaps.some((g) => g.attributes.includes('repositories') && resource.startsWith(`${g.resource}/`));
      assert.ok(source?.status === 'failed' || listingLost, `${change.key} vanished without a lost listing`);
      continue;
    }
    assert.equal(change.to, 'unknown', `${change.key}: ${change.from} -> ${change.to}`);
    const reads = REQUIRES.get(ruleId) ?? new Set<string>();
    assert.ok(
      newGaps.some((g) => g.resource === resource && g.attributes.some((a) => a === '*' || reads.has(a.split('.')[0] as string))),
      `${change.key} became unknown, but no new gap on it covers what ${ruleId} reads (${[...reads].join(', ')})`,
    );
  }
  if (changed.length > 0 && call.gapPermission) {
    const expected = pattern(call.gapPermission);
    assert.ok(
      newGaps.some((g) => expected.test(g.permission ?? '')),
      `no new gap names ${call.gapPermission}: ${JSON.stringify(newGaps.map((g) => g.permission))}`,
    );
  }
  return { changed, newGaps };
};

/** The repositories of the paging estate in the order its organisation lists them. */
const pagingRepos = fixturesFromScenario(pagingScenario()).repositories.map((r) => r.repository);
/** The repositories GitHub lists on the second page of GET /orgs/{org}/repos (100 a page). */
const secondListingPage = pagingRepos.slice(100);
const isPage2 = (request: FakeGithubRequest): boolean => request.query.get('page') === '2';

/**
 * Refusals of a page after the first, in the paging estate. `pages` tells the page-2 requests of
 * the call apart; `expect` checks what depends on the whole list. Together with the check that a
 * refused page changes nothing on the items of the first page, these are what a scan that kept a
 * half-read list would get wrong.
 */
type PagedRow = { api: string; what: string; pages: (request: FakeGithubRequest) => boolean; expect: (denied: ScanOutcome, changed: ReturnType<typeof changes>, newGaps: Gap[]) => void };

const crowded = web(`${PAGING_ORG}/${CROWDED_REPO}`);
/** Exactly these findings changed, each from pass or fail to unknown. */
const onlyBecameUnknown = (changed: ReturnType<typeof changes>, keys: string[]): void => {
  assert.deepEqual(changed.map((c) => c.key).sort(), [...keys].sort());
  for (const change of changed) assert.ok((change.from === 'pass' || change.from === 'fail') && change.to === 'unknown', `${change.key}: ${change.from} -> ${change.to}`);
};

const PAGED: PagedRow[] = [
  {
    api: 'GET /orgs/{org}/members',
    what: 'the owners beyond the first hundred',
    pages: isPage2,
    expect: (denied, changed) => {
      // No rule reads the owners: nothing changes, but the list is unknown, not cut to a hundred.
      assert.deepEqual(changed, []);
      const org = denied.facts.resources.find((r) => r.id === web(PAGING_ORG));
      assert.ok(isUnknown(org?.attributes.owners) && isUnknown(org?.attributes.ownersCount), JSON.stringify(org?.attributes));
    },
  },
  {
    api: 'GET /orgs/{org}/repos',
    what: 'the repositories beyond the first hundred',
    pages: isPage2,
    expect: (denied, changed, newGaps) => {
      const gone = new Set(secondListingPage.map((r) => r.html_url));
      const present = new Set(denied.facts.resources.map((r) => r.id));
      assert.deepEqual([...gone].filter((id) => present.has(id)), [], 'the second page of repositories was not read, so they are not in the facts');
      assert.ok(changed.length > 0 && changed.every((c) => c.to === undefined && gone.has(c.key.split(' ')[1] as string)), JSON.stringify(changed.slice(0, 5)));
      assert.ok(newGaps.some((g) => g.resource === web(PAGING_ORG) && g.attributes.includes('repositories') && /page 2/.test(g.reason)), JSON.stringify(newGaps));
    },
  },
  {
    api: 'graphql PostureRepositoryPage',
    what: 'the settings of the repositories of the second listing page',
    pages: (request) => {
      const ids = (request.body as { variables?: { ids?: unknown } } | undefined)?.variables?.ids;
      return Array.isArray(ids) && ids.includes(secondListingPage[0]?.node_id);
    },
    expect: (_denied, changed) => {
      const page2 = new Set(secondListingPage.map((r) => r.html_url));
      assert.ok(changed.length > 0);
      // Every repository of the second page lost what GraphQL alone says (the security policy).
      for (const repo of page2) assert.ok(changed.some((c) => c.key === `github-repo-security-policy-present ${repo}`), repo);
    },
  },
  {
    api: 'GET /repos/{owner}/{repo}/rules/branches/{branch}',
    what: 'the branch rules beyond the first hundred (the pull request rule is the last one)',
    pages: isPage2,
    // Read from the first page alone the branch would fail: no pull request rule.
    expect: (_denied, changed) => onlyBecameUnknown(changed, [`github-repo-default-branch-protected ${crowded}`]),
  },
  {
    api: 'graphql PostureDeployKeys',
    what: 'the deploy keys beyond the first hundred (the one writable key is the last one)',
    pages: () => true,
    // Read from the first page alone the keys would pass: all read-only.
    expect: (_denied, changed) => onlyBecameUnknown(changed, [`github-repo-deploy-keys-read-only ${crowded}`]),
  },
  {
    api: 'graphql PostureOutsideCollaborators',
    what: 'the outside collaborators beyond the first hundred (the outside admin is the last one)',
    pages: () => true,
    expect: (_denied, changed) => onlyBecameUnknown(changed, [`github-repo-no-outside-admins ${crowded}`]),
  },
];

describe('denied permissions: each GitHub call the collector declares, refused on its own', function () {
  this.timeout(300_000);

  const baselines = new Map<Estate, ScanOutcome>();
  const baseline = (estate: Estate): ScanOutcome => baselines.get(estate) as ScanOutcome;
  /** Every call some run refused, by the estate it was refused in. */
  const refusedIn = new Map<string, Estate>();

  before(async () => {
    for (const estate of Object.keys(ESTATES) as Estate[]) baselines.set(estate, await scanDemo(ESTATES[estate]));
  });

  it('the fault-free runs make only declared calls: a call missing from src/collectors/github/routes.ts fails here', () => {
    const declared = new Set(GITHUB_CALLS.map((call) => call.api));
    for (const [estate, outcome] of baselines) {
      assert.deepEqual([...new Set(outcome.githubLog.map(apiOf))].filter((api) => !declared.has(api)), [], estate);
      const recorded = Object.keys(githubSource(outcome)?.calls.byApi ?? {});
      assert.deepEqual(recorded.filter((api) => !declared.has(api)), [], estate);
    }
    assert.equal(githubSource(baseline('demo'))?.status, 'partial', 'two demo repositories are deliberately not fully readable');
    assert.equal(githubSource(baseline('app'))?.identity, `GitHub App ${TEST_APP.appId}, installation ${TEST_APP.installationId}`);
    // The paging estate needs a second page of every list the collector reads.
    assert.equal(baseline('paging').facts.resources.filter((r) => r.kind === 'github.repository').length, pagingRepos.length);
  });

  for (const call of MATRIX) {
    it(`${call.api} refused (403): findings change only to unknown, and a gap names ${call.gapPermission ?? 'no permission'}`, async () => {
      const estate = (Object.keys(ESTATES) as Estate[]).find((e) => baseline(e).githubLog.some((entry) => apiOf(entry) === call.api)) ?? 'demo';
      const first = FALLBACK_OF[call.api];
      const denied = await scanDemo({ ...ESTATES[estate], githubFaults: [faultFor(call.api), ...(first ? [faultFor(first)] : [])] });
      const refused = denied.githubLog.filter((e) => e.fault === 'forbidden' && apiOf(e) === call.api);
      assert.ok(refused.length > 0, `${call.api} was not called in the ${estate} estate, so its refusal tests nothing`);
      assert.ok(denied.githubLog.filter((e) => e.fault === 'forbidden').every((e) => apiOf(e) === call.api || apiOf(e) === first));
      // A refusal is not retried.
      assert.equal(refused.length, new Set(refused.map((e) => `${e.path}${e.search} ${JSON.stringify(e.variables ?? null)}`)).size);
      refusedIn.set(call.api, estate);
      const { changed } = checkRefusal(denied, baseline(estate), call);
      if (call.api.startsWith('POST /app/')) {
        // Without an installation token nothing is read: the source fails, naming the exchange.
        const source = githubSource(denied);
        assert.equal(source?.status, 'failed');
        assert.match(source?.reason ?? '', /GitHub App 321 got no token for installation 654: GitHub answered 403/);
        assert.deepEqual(
          source?.gaps.map((g) => `${g.resource} ${g.attributes.join(',')} ${g.permission}`),
          [`${denied.facts.sources[0]?.endpoint}/acme-rockets * an installation token for GitHub App 321, installation 654`],
        );
        assert.equal(denied.githubLog.length, refused.length, 'no call is made without the token');
        assert.ok(changed.length > 0);
      }
      assert.deepEqual(
        denied.result.findings.filter((f) => f.status === 'pass' && statusMap(baseline(estate).result).get(`${f.ruleId} ${f.resource.id}`) !== 'pass').map((f) => f.ruleId),
        [],
        'nothing passes that did not pass before',
      );
    });
  }

  for (const row of PAGED) {
    it(`${row.api}, only the page after the first refused (${row.what}): items of the first page keep their findings, what needs the whole list is unknown`, async () => {
      const denied = await scanDemo({ ...ESTATES.paging, githubFaults: [faultFor(row.api, row.pages)] });
      const refused = denied.githubLog.filter((e) => e.fault === 'forbidden');
      assert.ok(refused.length > 0, `no request for a further page of ${row.api}`);
      assert.ok(refused.every((e) => apiOf(e) === row.api));
      const call = MATRIX.find((c) => c.api === row.api) as (typeof MATRIX)[number];
      const { changed, newGaps } = checkRefusal(denied, baseline('paging'), call);
      // What the refused pages were about: the repositories they addressed, or for the
      // organisation's listing its second page of repositories. Nothing else may change.
      const nodes = denied.githubNodes;
      const subjects = new Set(refused.flatMap((e) => githubSubjects(e, nodes).repos.map((name) => web(name))));
      if (row.api === 'GET /orgs/{org}/repos') for (const repo of secondListingPage) subjects.add(repo.html_url);
      const elsewhere = changed.filter((c) => !subjects.has(c.key.split(' ')[1] as string));
      assert.deepEqual(elsewhere, [], 'findings of what the first page described changed');
      row.expect(denied, changed, newGaps);
    });
  }

  it('between them the runs refuse every declared collector call, and every further page the paging estate reads', () => {
    const unrefused = MATRIX.map((c) => c.api).filter((api) => !refusedIn.has(api));
    assert.deepEqual(unrefused, []);
    // A call that reads a further page (a REST page=2, a GraphQL query with a cursor, or a second
    // repository page query) needs a row of its own above.
    const paging = baseline('paging').githubLog;
    const further = new Set(
      paging
        .filter((e) => /[?&]page=([2-9]|\d\d+)/.test(e.search) || (e.variables && typeof e.variables.after === 'string'))
        .map(apiOf),
    );
    if (paging.filter((e) => e.operation === 'PostureRepositoryPage' && Array.isArray(e.variables?.ids) && e.variables.ids.length > 0).length > 1) further.add('graphql PostureRepositoryPage');
    assert.deepEqual([...further].sort(), PAGED.map((row) => row.api).sort());
    process.stderr.write(`      GitHub calls refused one at a time: ${refusedIn.size} of ${MATRIX.length}; further pages refused alone: ${PAGED.length}\n`);
  });
});
