import type { ApiStats } from '../src/facts/types.js';

/** A bound on concurrent calls: the APIs it covers and how many may be in flight. */
export type Bulkhead = { name: string; size: number; matches: (api: string) => boolean };

/**
 * APIs whose calls form a chain, each needing the previous answer: pagination by marker or token,
 * and the credential report (generate, then fetch).
 */
export const SEQUENTIAL_APIS = new Set([
  'iam.GetAccountAuthorizationDetails',
  'iam.GenerateCredentialReport',
  'iam.GetCredentialReport',
  's3.ListBuckets',
  'GET /orgs/{org}/repos',
]);

export type LowerBound = { ms: number; bulkheads: { name: string; size: number; calls: number; sequential: number; ms: number }[] };

/**
 * The least wall time the recorded calls allow: per bulkhead max(S, ceil(C / size)) × latency,
 * where C is its calls and S those of them in a chain; the maximum over bulkheads, since they run
 * side by side.
 */
export const lowerBound = (byApi: Record<string, ApiStats>, bulkheads: Bulkhead[], latencyMs: number): LowerBound => {
  const rows = bulkheads.map((bulkhead) => {
    const apis = Object.entries(byApi).filter(([api]) => bulkhead.matches(api));
    const calls = apis.reduce((sum, [, s]) => sum + s.calls, 0);
    const sequential = apis.filter(([api]) => SEQUENTIAL_APIS.has(api)).reduce((sum, [, s]) => sum + s.calls, 0);
    return { name: bulkhead.name, size: bulkhead.size, calls, sequential, ms: Math.max(sequential, Math.ceil(calls / bulkhead.size)) * latencyMs };
  });
  return { ms: Math.max(0, ...rows.map((r) => r.ms)), bulkheads: rows.filter((r) => r.calls > 0) };
};
