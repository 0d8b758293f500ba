import assert from 'node:assert/strict';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, StandardRetryToken } from '@smithy/types';
import { UnmeteredRetryStrategy } from '../../src/aws/session.js';
import type { Collector } from '../../src/collectors/types.js';
import type { CallLogEntry } from '../support/fake-aws/server.js';
import { awsChaos, CHAOS, changes, githubChaos, scanDemo, statusMap, type ScanOutcome } from './support.js';

// The fast variant runs in `npm test`; POSTURE_CHAOS=1 (a CI step of its own) runs many more seeds.
const SLOW = process.env.POSTURE_CHAOS === '1';
const SEEDS = SLOW ? Array.from({ length: 40 }, (_, i) => i + 1) : [1, 2, 3];
/** The production default of aws.maxAttempts, and the attempts a throttled call gets. */
const MAX_ATTEMPTS = 5;
const THROTTLED_ATTEMPTS = 10;
/** The GitHub client's attempts at a request that meets secondary rate limits (maxThrottleRetries + 1). */
const GITHUB_THROTTLED_ATTEMPTS = 6;
/** Per-attempt timeout of the chaos runs, and the latency spikes well beyond it. */
// Long enough that a loaded CI machine never times out on an answer the fake gave on time.
const TIMEOUT_MS = 2000;
const SLOW_MS = 2500;

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

const gapKeys = (outcome: ScanOutcome, sources: Set<string>): Set<string> =>
  new Set(outcome.facts.sources.filter((s) => sources.has(s.id)).flatMap((s) => s.gaps.map((g) => `${g.resource} ${[...g.attributes].sort().join(',')}`)));

const githubErrors = (outcome: ScanOutcome): number => Object.values(outcome.facts.sources.find((s) => s.id === 'github')?.calls.byApi ?? {}).reduce((sum, s) => sum + s.errors, 0);

describe('chaos: seeded faults against the local fake endpoints', function () {
  this.timeout(SLOW ? 30 * 60_000 : 120_000);

  let baseline: ScanOutcome;
  let faultFree: Map<string, string>;
  const totals = { findings: 0, kept: 0, awsAttempts: 0, awsFaults: 0, githubRequests: 0, githubFaults: 0, failedCalls: 0 };

  before(async () => {
    baseline = await scanDemo();
    faultFree = statusMap(baseline.result);
    assert.ok(faultFree.size > 150, `the demo estate gives ${faultFree.size} findings`);
    assert.deepEqual(
      baseline.facts.sources.map((s) => `${s.id} ${s.status}`),
      ['aws-iam complete', 'aws-s3 complete', 'github partial'],
      'fault-free baseline: AWS complete; two demo repositories are deliberately not fully readable',
    );
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: 30% throttling, 5% 5xx, 1% resets, 1% latency beyond the timeout; nothing flips, unknown only where every attempt failed`, async () => {
      const chaos = await scanDemo({ awsFaults: awsChaos(seed, CHAOS, SLOW_MS), githubFaults: githubChaos(seed, CHAOS, SLOW_MS), timeoutMs: TIMEOUT_MS, settleMs: SLOW_MS });
      const after = statusMap(chaos.result);

      // The scan completes: every source answers, none fails.
      assert.deepEqual(chaos.facts.sources.map((s) => s.id), baseline.facts.sources.map((s) => s.id));
      for (const source of chaos.facts.sources) assert.notEqual(source.status, 'failed', `${source.id}: ${source.reason}`);

      // No finding appears, disappears or flips between pass and fail: a change is only to unknown.
      const changed = changes(faultFree, after);
      // A resource only one call lists (IAM roles) may vanish with it, under a gap covering all of it.
      const wholesale = chaos.facts.sources.flatMap((s) => s.gaps).filter((g) => g.attributes.includes('*') && g.resource.endsWith('*'));
      // GitHub: the organisation's repository listing lost after every attempt (the throttling
      // plugin's retries) takes its repositories with it, under a gap on the organisation.
      const listing = chaos.githubLog.filter((e) => e.route === 'GET /orgs/{org}/repos');
      const listingLost =
        listing.length >= GITHUB_THROTTLED_ATTEMPTS &&
        listing.slice(-GITHUB_THROTTLED_ATTEMPTS).every((e) => e.fault !== undefined) &&
        chaos.facts.sources.some((s) => s.gaps.some((g) => g.attributes.includes('repositories')));
      for (const change of changed) {
        const resource = change.key.split(' ')[1] as string;
        if (change.to === undefined && wholesale.some((g) => resource.startsWith(g.resource.slice(0, -1)))) continue;
        if (change.to === undefined && listingLost && resource.startsWith('https://github.com/acme-rockets/')) continue;
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
      // Each new coverage gap traces back to a call that failed on every attempt: a bucket's gap to
      // a call on that bucket (S3 is addressed path-style behind the fake), any other to an
      // account or region call.
      for (const gap of newAwsGaps) {
        const bucket = /^arn:aws:s3:::([^ ]+) /.exec(gap)?.[1];
        const cause = failed.find((call) => (bucket ? bucketOf(call) === bucket : bucketOf(call) === undefined));
        assert.ok(cause, `${gap}: no call failed on every attempt for it (failed: ${failed.map((c) => `${c.operation} ${c.entries[0]?.path}`).join('; ')})`);
      }

      // GitHub: a finding changes only when a request ended in an error after the client's retries.
      const githubChanged = changed.filter((c) => !isAws(c.key));
      if (githubChanged.length > 0) assert.ok(githubErrors(chaos) > githubErrors(baseline), `GitHub findings changed without a failed request: ${JSON.stringify(githubChanged)}`);

      totals.findings += faultFree.size;
      totals.kept += faultFree.size - changed.length;
      totals.awsAttempts += chaos.awsLog.length;
      totals.awsFaults += chaos.awsLog.filter((e) => e.fault).length;
      totals.githubRequests += chaos.githubLog.length;
      totals.githubFaults += chaos.githubLog.filter((e) => e.fault).length;
      totals.failedCalls += failed.length;
      assert.ok(chaos.awsLog.some((e) => e.fault === 'throttle') && chaos.githubLog.some((e) => e.fault === 'secondary-rate-limit'), 'the plan injected throttling');
    });
  }

  it(`keeps at least 99% of findings at their fault-free status over ${SEEDS.length} seeds`, () => {
    assert.ok(totals.findings > 0);
    const kept = totals.kept / totals.findings;
    process.stderr.write(
      `      chaos: ${SEEDS.length} seeds, ${totals.awsFaults} faults in ${totals.awsAttempts} AWS attempts, ${totals.githubFaults} in ${totals.githubRequests} GitHub requests; ` +
        `${totals.failedCalls} AWS calls failed on every attempt; ${totals.kept}/${totals.findings} findings kept (${(kept * 100).toFixed(2)}%)\n`,
    );
    assert.ok(kept >= 0.99, `${(kept * 100).toFixed(2)}% kept`);
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
