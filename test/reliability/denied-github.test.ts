import assert from 'node:assert/strict';
import { GITHUB_CALLS } from '../../src/collectors/github/routes.js';
import type { FakeGithubFault, FakeGithubLogEntry } from '../support/fake-github/index.js';
import { changes, scanDemo, statusMap, type ScanOutcome } from './support.js';

/** The name a request of the fake's log is declared under. */
const apiOf = (entry: FakeGithubLogEntry): string => (entry.route === 'POST /graphql' ? `graphql ${entry.operation ?? 'anonymous'}` : entry.route);

/** The collector's calls, less the App token exchange (the demo authenticates with a token; test/collectors/github covers App auth). */
const MATRIX = GITHUB_CALLS.filter((call) => call.by === 'github collector' && !call.api.startsWith('POST /app/'));

/** Fallbacks the demo reaches only when GraphQL cannot say: refused together with the GraphQL page. */
const FALLBACK_OF: Record<string, string> = {
  'GET /repos/{owner}/{repo}/vulnerability-alerts': 'graphql PostureRepositoryPage',
  'GET /repos/{owner}/{repo}/branches/{branch}/protection': 'graphql PostureRepositoryPage',
};

const faultFor = (api: string): FakeGithubFault => {
  if (api.startsWith('graphql ')) {
    const operation = api.slice('graphql '.length);
    return { kind: 'forbidden', route: 'POST /graphql', match: (request) => request.operation === operation };
  }
  return { kind: 'forbidden', route: api };
};

const pattern = (gapPermission: string): RegExp => new RegExp(`^${gapPermission.replace(/[()]/g, '\\$&').replace(/\{[a-z_]+\}/g, '.+')}$`);

describe('denied permissions: each GitHub call the collector declares, refused on its own', function () {
  this.timeout(300_000);

  let baseline: ScanOutcome;
  let faultFree: Map<string, string>;
  const called = new Set<string>();
  /** Calls whose refusal the demo could not exercise: only a fallback or a further page makes them. */
  const notRefused: string[] = [];

  before(async () => {
    baseline = await scanDemo({ sources: ['github'] });
    faultFree = statusMap(baseline.result);
    for (const entry of baseline.githubLog) called.add(apiOf(entry));
  });

  it('a full run makes only declared calls: a call missing from src/collectors/github/routes.ts fails here', () => {
    const declared = new Set(GITHUB_CALLS.map((call) => call.api));
    assert.deepEqual([...called].filter((api) => !declared.has(api)), []);
    const recorded = Object.keys(baseline.facts.sources.find((s) => s.id === 'github')?.calls.byApi ?? {});
    assert.deepEqual(recorded.filter((api) => !declared.has(api)), []);
  });

  for (const call of MATRIX) {
    it(`${call.api} refused (403): findings change only to unknown, and the gap names ${call.gapPermission ?? 'no permission'}`, async () => {
      const first = FALLBACK_OF[call.api];
      const denied = await scanDemo({ sources: ['github'], githubFaults: [faultFor(call.api), ...(first ? [faultFor(first)] : [])] });
      for (const entry of denied.githubLog) called.add(apiOf(entry));
      const refused = denied.githubLog.filter((e) => e.fault === 'forbidden' && apiOf(e) === call.api);
      assert.ok(denied.githubLog.filter((e) => e.fault === 'forbidden').every((e) => apiOf(e) === call.api || apiOf(e) === first));
      const changed = changes(faultFree, statusMap(denied.result));
      if (refused.length === 0) {
        // Only a fallback makes this call; the demo's fault-free run does not need it.
        notRefused.push(call.api);
        assert.deepEqual(changed, []);
        return;
      }
      const source = denied.facts.sources.find((s) => s.id === 'github');
      for (const change of changed) {
        if (change.to === undefined) {
          assert.ok(source?.status === 'failed' || (source?.gaps ?? []).some((g) => g.attributes.includes('repositories')), `${change.key} vanished`);
          continue;
        }
        assert.equal(change.to, 'unknown', `${change.key}: ${change.from} -> ${change.to}`);
      }
      if (changed.length > 0 && call.gapPermission) {
        const baseGaps = new Set(baseline.facts.sources.flatMap((s) => s.gaps).map((g) => JSON.stringify(g)));
        const newGaps = (source?.gaps ?? []).filter((g) => !baseGaps.has(JSON.stringify(g)));
        const expected = pattern(call.gapPermission);
        assert.ok(
          newGaps.some((g) => expected.test(g.permission ?? '')),
          `no new gap names ${call.gapPermission}: ${JSON.stringify(newGaps.map((g) => g.permission))}`,
        );
      }
    });
  }

  it('between them the runs exercise every declared collector call but the follow-up pages', () => {
    // Deploy keys and outside collaborators beyond the first hundred: no demo repository has that
    // many, so their denial is not tested here.
    const unexercised = MATRIX.map((c) => c.api).filter((api) => !called.has(api));
    assert.deepEqual(unexercised.sort(), ['graphql PostureDeployKeys', 'graphql PostureOutsideCollaborators']);
    process.stderr.write(`      GitHub calls refused one at a time: ${MATRIX.length - notRefused.length} of ${MATRIX.length} (not reached by the demo: ${notRefused.join(', ')})\n`);
    assert.deepEqual(notRefused.sort(), unexercised.sort());
  });
});
