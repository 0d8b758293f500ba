import assert from 'node:assert/strict';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, StandardRetryToken } from '@smithy/types';
import { UnmeteredRetryStrategy } from '../../src/aws/session.js';
import type { Collector } from '../../src/collectors/types.js';
import type { CallLogEntry } from '../support/fake-aws/server.js';
import type { FakeGithubLogEntry } from '../support/fake-github/index.js';
import { awsChaos, CHAOS, changes, githubChaos, githubRequestKey, githubSubjects, scanDemo, statusMap, type FaultRates, type ScanOutcome } from './support.js';

// The fast variant runs in `npm test`; POSTURE_CHAOS=1 (a CI step of its own) runs many more seeds.
const SLOW = process.env.POSTURE_CHAOS === '1';
const SEEDS = SLOW ? Array.from({ length: 40 }, (_, i) => i + 1) : [1, 2, 3];
/** The production default of aws.maxAttempts, and the attempts a throttled call gets. */
const MAX_ATTEMPTS = 5;
const THROTTLED_ATTEMPTS = 10;
/** The GitHub client's attempts at a request that fails with 5xx or no answer (retries + 1), and at one that meets secondary rate limits (maxThrottleRetries + 1). */
const GITHUB_ATTEMPTS = 4;
const GITHUB_THROTTLED_ATTEMPTS = 6;
/** Per-attempt timeout of the chaos runs, and the latency spikes well beyond it. */
// Long enough that a loaded CI machine never times out on an answer the fake gave on time; and
// spikes twice as long, so that a collector thread starved of CPU, whose timeout fires late, still
// never takes a held answer for a timely one. (GitHub calls that took a held answer on their one
// attempt were also seen here: their timeout signal had been garbage-collected before it fired,
// which src/github/client.ts now prevents.)
const TIMEOUT_MS = 2000;
const SLOW_MS = 4000;

/** Fault rates at which calls fail on every attempt often enough to test the trace of each unknown, and a seed at which no source fails outright. */
const HEAVY: FaultRates = { throttle: 0.35, serverError: 0.35, reset: 0.05, slow: 0 };
const HEAVY_SEED = 4;
const HEAVY_SEED_NOTE = '35% throttling, 35% 5xx, 5% resets';

const AWS_SOURCES = new Set(['aws-iam', 'aws-s3']);
const isAws = (findingKey: string): boolean => / (arn:aws|aws:)/.test(findingKey);

type Invocation = { operation: string; entries: CallLogEntry[] };

/** The fake's log grouped by the SDK's invocation id: one group per call, one entry per attempt. */
const invocations = (log: CallLogEntry[]): Invocation[] => {
  const groups = new Map<string, Invocation>();
  for (const entry of log) {
    assert.ok(entry.invocationId, `${entry.service}.${entry.operation} arrived without amz-sdk-invocation-id`);
    const group = groups.get(entry.invocationId) ?? { operation: `${entry.service}.${entry.operation}`, entries: [] };
    group.entries.push(entry);
    groups.set(entry.invocationId, group);
  }
  return [...groups.values()];
};

/** The bucket a call addresses (path-style), undefined for account and region calls. */
const bucketOf = (call: Invocation): string | undefined => {
  const first = call.entries[0]?.path.split('/')[1];
  return call.operation.startsWith('s3.') && first && first !== 'v20180820' ? first : undefined;
};

type GithubCall = { key: string; entries: FakeGithubLogEntry[] };

/**
 * The fake GitHub's log grouped by request: GitHub clients send no invocation id, but posture
 * never sends the same request twice in a scan (checked on the fault-free run), so the entries
 * of one request are the attempts of one call.
 */
const githubCalls = (log: FakeGithubLogEntry[]): GithubCall[] => {
  const groups = new Map<string, GithubCall>();
  for (const entry of log) {
    const key = githubRequestKey(entry);
    const group = groups.get(key) ?? { key, entries: [] };
    group.entries.push(entry);
    groups.set(key, group);
  }
  return [...groups.values()];
};

/** `owner/name` or `org` of a GitHub finding's or gap's resource (https://github.com/<org>[/<repo>]). */
const githubNameOf = (resource: string): { org: string; repo?: string } => {
  const [org, repo] = new URL(resource).pathname.slice(1).split('/') as [string, string | undefined];
  return { org, ...(repo ? { repo: `${org}/${repo}` } : {}) };
};

/**
 * The failed call that explains a GitHub finding or gap of `resource`: one that asked about the
 * repository (its REST routes, or a GraphQL query with its node id), or about its organisation;
 * a repository lost from the facts altogether is explained by the organisation or its listing.
 */
const githubCause = (resource: string, lost: boolean, failed: GithubCall[], nodes: Map<string, string>): GithubCall | undefined => {
  const { org, repo } = githubNameOf(resource);
  return failed.find((call) => {
    const entry = call.entries[0] as FakeGithubLogEntry;
    const subjects = githubSubjects(entry, nodes);
    if (repo && !lost) return subjects.repos.includes(repo);
    if (repo) return subjects.orgs.includes(org) && (entry.route === 'GET /orgs/{org}' || entry.route === 'GET /orgs/{org}/repos');
    return subjects.orgs.includes(org) && (entry.route === 'GET /orgs/{org}' || (!lost && entry.route === 'GET /orgs/{org}/members'));
  });
};

const gapKeys = (outcome: ScanOutcome, sources: Set<string>): Set<string> =>
  new Set(outcome.facts.sources.filter((s) => sources.has(s.id)).flatMap((s) => s.gaps.map((g) => `${g.resource} ${[...g.attributes].sort().join(',')}`)));


describe('chaos: seeded faults against the local fake endpoints', function () {
  this.timeout(SLOW ? 30 * 60_000 : 120_000);

  let baseline: ScanOutcome;
  let faultFree: Map<string, string>;
  const totals = { findings: 0, kept: 0, awsAttempts: 0, awsFaults: 0, githubRequests: 0, githubFaults: 0, failedCalls: 0, githubFailedCalls: 0 };

  before(async () => {
    baseline = await scanDemo();
    faultFree = statusMap(baseline.result);
    assert.ok(faultFree.size > 150, `the demo estate gives ${faultFree.size} findings`);
    assert.deepEqual(
      baseline.facts.sources.map((s) => `${s.id} ${s.status}`),
      ['aws-iam complete', 'aws-s3 complete', 'github partial'],
      'fault-free baseline: AWS complete; two demo repositories are deliberately not fully readable',
    );
    // Each GitHub request is made once: grouping the log by request groups the attempts of a call.
    assert.deepEqual(githubCalls(baseline.githubLog).filter((call) => call.entries.length > 1).map((call) => call.key), []);
  });

  /**
   * What every faulted run must show: the scan completes, no finding flips or appears, and each
   * finding that changed and each new gap traces back to a call whose every attempt failed.
   */
  const checkRun = (chaos: ScanOutcome): { changed: ReturnType<typeof changes>; failed: Invocation[]; gFailed: GithubCall[] } => {
    const after = statusMap(chaos.result);

    // The scan completes: every source answers, none fails.
    assert.deepEqual(chaos.facts.sources.map((s) => s.id), baseline.facts.sources.map((s) => s.id));
    for (const source of chaos.facts.sources) assert.notEqual(source.status, 'failed', `${source.id}: ${source.reason}`);

    // No finding appears, disappears or flips between pass and fail: a change is only to unknown.
    const changed = changes(faultFree, after);
    // A resource only one call lists (IAM roles) may vanish with it, under a gap covering all of it.
    const wholesale = chaos.facts.sources.flatMap((s) => s.gaps).filter((g) => g.attributes.includes('*') && g.resource.endsWith('*'));
    // A GitHub repository lost with its organisation's listing goes with its findings, under a
    // gap on the organisation; the trace below ties that to the listing call that failed.
    const listingLost = chaos.facts.sources.some((s) => s.gaps.some((g) => g.attributes.includes('repositories')));
    for (const change of changed) {
      const resource = change.key.split(' ')[1] as string;
      if (change.to === undefined && wholesale.some((g) => resource.startsWith(g.resource.slice(0, -1)))) continue;
      if (change.to === undefined && listingLost && !isAws(change.key)) continue;
      assert.equal(change.to, 'unknown', `${change.key}: ${change.from} -> ${change.to}`);
    }

    // AWS: each call either got an answer or used all of its attempts, each one faulted. The
    // retry quota never cut a call short, so an unknown means every attempt at its call failed.
    const calls = invocations(chaos.awsLog);
    const failed = calls.filter((call) => call.entries.every((e) => e.fault !== undefined));
    for (const call of failed) {
      const attempts = call.entries.map((e) => e.attempt ?? 0).sort((a, b) => a - b);
      const last = call.entries.find((e) => e.attempt === attempts[attempts.length - 1]);
      // The SDK stops after the attempt whose error has used up its kind's allowance.
      const limit = last?.fault === 'throttle' ? THROTTLED_ATTEMPTS : MAX_ATTEMPTS;
      const gaveUpAt = attempts.length;
      assert.deepEqual(attempts, Array.from({ length: gaveUpAt }, (_, i) => i + 1), `${call.operation}: attempts ${attempts.join(', ')}`);
      assert.ok(gaveUpAt >= limit && gaveUpAt <= THROTTLED_ATTEMPTS, `${call.operation} gave up after ${gaveUpAt} attempts: ${call.entries.map((e) => e.fault).join(', ')}`);
    }
    const awsChanged = changed.filter((c) => isAws(c.key));
    const newAwsGaps = [...gapKeys(chaos, AWS_SOURCES)].filter((key) => !gapKeys(baseline, AWS_SOURCES).has(key));
    if (failed.length === 0) {
      assert.deepEqual(awsChanged, [], 'AWS findings changed although every call was answered in the end');
      assert.deepEqual(newAwsGaps, []);
    }
    // Each new AWS coverage gap traces back to a call that failed on every attempt: a bucket's gap to
    // a call on that bucket (S3 is addressed path-style behind the fake), any other to an
    // account or region call.
    for (const gap of newAwsGaps) {
      const bucket = /^arn:aws:s3:::([^ ]+) /.exec(gap)?.[1];
      const cause = failed.find((call) => (bucket ? bucketOf(call) === bucket : bucketOf(call) === undefined));
      assert.ok(cause, `${gap}: no call failed on every attempt for it (failed: ${failed.map((c) => `${c.operation} ${c.entries[0]?.path}`).join('; ')})`);
    }

    // GitHub: likewise, each call either got an answer or failed on every attempt, having used
    // the client's retries; and each GitHub finding that changed, and each new gap, traces back
    // to such a call about its repository or organisation.
    const gCalls = githubCalls(chaos.githubLog);
    const gFailed = gCalls.filter((call) => call.entries.every((e) => e.fault !== undefined));
    for (const call of gFailed) {
      // Every kind of failure gets the retry plugin's three retries at least; a request throttled
      // each time gets the throttling plugin's five; mixed, the two plugins' retries add up.
      const faults = call.entries.map((e) => e.fault);
      const throttled = faults.filter((f) => f === 'secondary-rate-limit').length;
      const expected = throttled === 0 ? [GITHUB_ATTEMPTS, GITHUB_ATTEMPTS] : throttled === faults.length ? [GITHUB_THROTTLED_ATTEMPTS, GITHUB_THROTTLED_ATTEMPTS] : [GITHUB_ATTEMPTS, GITHUB_ATTEMPTS + GITHUB_THROTTLED_ATTEMPTS];
      assert.ok(call.entries.length >= (expected[0] as number) && call.entries.length <= (expected[1] as number), `${call.key} gave up after ${call.entries.length} attempts: ${faults.join(', ')}`);
    }
    const githubChanged = changed.filter((c) => !isAws(c.key));
    const newGithubGaps = (chaos.facts.sources.find((s) => s.id === 'github')?.gaps ?? []).filter(
      (g) => !(baseline.facts.sources.find((s) => s.id === 'github')?.gaps ?? []).some((b) => JSON.stringify(b) === JSON.stringify(g)),
    );
    if (gFailed.length === 0) {
      assert.deepEqual(githubChanged, [], 'GitHub findings changed although every request was answered in the end');
      assert.deepEqual(newGithubGaps, []);
    }
    const failedList = (): string => gFailed.map((c) => `${c.key} [${c.entries.map((e) => e.fault).join(',')}]`).join('; ');
    for (const change of githubChanged) {
      const resource = change.key.split(' ')[1] as string;
      const cause = githubCause(resource, change.to === undefined, gFailed, chaos.githubNodes);
      assert.ok(cause, `${change.key} (${change.from} -> ${change.to}): no GitHub call about it failed on every attempt (failed: ${failedList()})`);
    }
    for (const gap of newGithubGaps) {
      assert.ok(githubCause(gap.resource, false, gFailed, chaos.githubNodes), `${gap.resource} ${gap.attributes.join(',')}: no GitHub call about it failed on every attempt (failed: ${failedList()})`);
    }
    return { changed, failed, gFailed };
  };

  for (const seed of SEEDS) {
    it(`seed ${seed}: 30% throttling, 5% 5xx, 1% resets, 1% latency beyond the timeout; nothing flips, unknown only where every attempt failed`, async () => {
      const chaos = await scanDemo({ awsFaults: awsChaos(seed, CHAOS, SLOW_MS), githubFaults: githubChaos(seed, CHAOS, SLOW_MS), timeoutMs: TIMEOUT_MS, settleMs: SLOW_MS });
      const { changed, failed, gFailed } = checkRun(chaos);

      totals.findings += faultFree.size;
      totals.kept += faultFree.size - changed.length;
      totals.awsAttempts += chaos.awsLog.length;
      totals.awsFaults += chaos.awsLog.filter((e) => e.fault).length;
      totals.githubRequests += chaos.githubLog.length;
      totals.githubFaults += chaos.githubLog.filter((e) => e.fault).length;
      totals.failedCalls += failed.length;
      totals.githubFailedCalls += gFailed.length;
      assert.ok(chaos.awsLog.some((e) => e.fault === 'throttle') && chaos.githubLog.some((e) => e.fault === 'secondary-rate-limit'), 'the plan injected throttling');
    });
  }

  it(`keeps at least 99% of findings at their fault-free status over ${SEEDS.length} seeds`, () => {
    assert.ok(totals.findings > 0);
    const kept = totals.kept / totals.findings;
    process.stderr.write(
      `      chaos: ${SEEDS.length} seeds, ${totals.awsFaults} faults in ${totals.awsAttempts} AWS attempts, ${totals.githubFaults} in ${totals.githubRequests} GitHub requests; ` +
        `${totals.failedCalls} AWS and ${totals.githubFailedCalls} GitHub calls failed on every attempt; ${totals.kept}/${totals.findings} findings kept (${(kept * 100).toFixed(2)}%)\n`,
    );
    assert.ok(kept >= 0.99, `${(kept * 100).toFixed(2)}% kept`);
  });

  it(`heavy faults (${HEAVY_SEED_NOTE}): calls fail on every attempt on both sides, and each unknown traces back to one of them`, async () => {
    const chaos = await scanDemo({ awsFaults: awsChaos(HEAVY_SEED, HEAVY, SLOW_MS), githubFaults: githubChaos(HEAVY_SEED, HEAVY, SLOW_MS), timeoutMs: TIMEOUT_MS });
    const { changed, failed, gFailed } = checkRun(chaos);
    process.stderr.write(`      heavy: ${failed.length} AWS and ${gFailed.length} GitHub calls failed on every attempt; ${changed.filter((c) => isAws(c.key)).length} AWS and ${changed.filter((c) => !isAws(c.key)).length} GitHub findings changed\n`);
    assert.ok(failed.length > 0 && gFailed.length > 0, 'the plan made calls fail on both sides');
    assert.ok(changed.some((c) => isAws(c.key)) && changed.some((c) => !isAws(c.key)), 'findings became unknown on both sides (each traced back above)');
  });

  it('a collector that crashes outright leaves the other sources\' findings intact and the scan incomplete', async () => {
    const crashing: Collector = {
      id: 'osv',
      description: 'a stand-in that crashes',
      needsCredentials: false,
      kinds: ['dependency.package'],
      collect: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'packages')")),
    };
    const outcome = await scanDemo({ extra: [crashing] });
    const crashed = outcome.result.coverage.sources.find((s) => s.id === 'osv');
    assert.equal(crashed?.status, 'failed');
    assert.match(crashed?.reason ?? '', /reading 'packages'/);
    assert.deepEqual(crashed?.gaps.map((g) => g.attributes), [['*']]);
    for (const source of baseline.facts.sources) assert.equal(outcome.facts.sources.find((s) => s.id === source.id)?.status, source.status, source.id);
    assert.deepEqual(changes(faultFree, statusMap(outcome.result)), []);
  });
});

describe('AWS retry quota', () => {
  const throttled: RetryErrorInfo = { errorType: 'THROTTLING' };

  /** How many of `calls` calls, each throttled on four attempts in a row, get all four retries. */
  const fullyRetried = async (strategy: { acquireInitialRetryToken: (scope: string) => Promise<StandardRetryToken>; refreshRetryTokenForRetry: (token: StandardRetryToken, info: RetryErrorInfo) => Promise<StandardRetryToken> }, calls: number): Promise<number> => {
    let served = 0;
    for (let i = 0; i < calls; i++) {
      let token = await strategy.acquireInitialRetryToken('iam');
      try {
        for (let retry = 0; retry < MAX_ATTEMPTS - 1; retry++) token = await strategy.refreshRetryTokenForRetry(token, throttled);
        served++;
      } catch {
        // "No retry token available": the call is given up.
      }
    }
    return served;
  };

  it('the SDK\'s standard strategy runs dry after a few hundred throttled retries; posture\'s does not', async () => {
    const sdk = await fullyRetried(new ConfiguredRetryStrategy(MAX_ATTEMPTS, 0), 100);
    assert.ok(sdk < 30, `the SDK's quota served ${sdk} of 100 calls`);
    assert.equal(await fullyRetried(new UnmeteredRetryStrategy(MAX_ATTEMPTS, () => 0), 100), 100);
  });

  it('still stops at the attempt limit (twice as many for throttling) and does not retry what is not retryable', async () => {
    const strategy = new UnmeteredRetryStrategy(3, () => 0);
    const retries = async (info: RetryErrorInfo): Promise<number> => {
      let token = await strategy.acquireInitialRetryToken('iam');
      for (let n = 0; ; n++) {
        try {
          token = await strategy.refreshRetryTokenForRetry(token, info);
        } catch (error) {
          assert.match((error as Error).message, /No retry token available/);
          return n;
        }
      }
    };
    assert.equal(await retries(throttled), 5);
    assert.equal(await retries({ errorType: 'TRANSIENT' }), 2);
    assert.equal(await retries({ errorType: 'CLIENT_ERROR' }), 0);
  });
});
