import type { AwsIdentities } from '../aws/identities.js';
import type { PostureConfig } from '../config/types.js';
import type { ApiStats, CollectorId, CoverageGap, Resource, ResourceKind, SourceStatus } from '../facts/types.js';
import type { Logger } from '../util/logger.js';
import type { Redactor } from '../util/redact.js';
import type { Shard } from './shard.js';
import type { SharedResults, SharedStepId } from './shared.js';

/** Counts API calls per operation, for coverage and budgets. One recorder per source. */
export type CallRecorder = {
  record: (api: string, outcome: { ms: number; retries?: number; throttles?: number; error?: boolean }) => void;
  snapshot: () => { total: number; byApi: Record<string, ApiStats> };
};

export const createCallRecorder = (): CallRecorder => {
  const byApi: Record<string, ApiStats> = {};
  return {
    record: (api, outcome) => {
      const stats = (byApi[api] ??= { calls: 0, retries: 0, throttles: 0, errors: 0, ms: 0 });
      stats.calls++;
      stats.retries += outcome.retries ?? 0;
      stats.throttles += outcome.throttles ?? 0;
      stats.errors += outcome.error ? 1 : 0;
      stats.ms += Math.round(outcome.ms);
    },
    snapshot: () => ({
      total: Object.values(byApi).reduce((sum, s) => sum + s.calls, 0),
      byApi: Object.fromEntries(Object.entries(byApi).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { ...v }])),
    }),
  };
};

/** Live progress of one source, for a progress display; `runCollectors` feeds it from the call recorder. */
export type CollectProgress = {
  /** Resources seen so far (a running total). */
  resources: (n: number) => void;
  /** One more API call made. */
  call: () => void;
};

/** A command-line option a collector adds to `scan` and `collect`. */
export type CollectorOption = {
  flags: string;
  description: string;
  /** Repeatable options collect their values into a list. */
  repeatable?: boolean;
};

/** What every collector receives: no module-level state, everything injected per scan. */
export type CollectContext = {
  /** The scanned tree, absolute. */
  root: string;
  /** The tree's id: its origin URL without credentials, else the directory name. */
  treeId: string;
  /** When collection started; rules derive ages from it. */
  scanTime: Date;
  logger: Logger;
  calls: CallRecorder;
  /** Attributes the enabled rules need per kind; a collector may skip calls nothing needs. */
  needs: (kind: ResourceKind) => ReadonlySet<string>;
  config: PostureConfig;
  /** Values of the collectors' own command-line options, keyed by commander's camelCase name. */
  options: Record<string, unknown>;
  excludes: string[];
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  limits: { timeoutMs: number; concurrency: (service: string, fallback: number) => number; maxFileBytes: number };
  /** The scan's one redactor: collectors register detected secrets and redact what they log. */
  redactor?: Redactor;
  /** This source's progress display, when one is shown; collectors may report resources early. */
  progress?: CollectProgress;
  /** Set by `posture collect --shard K/N`: collect only the units this shard owns. */
  shard?: Shard;
  /** The results of the shared steps the collector names in `shares`, done once for the scan (see src/collectors/shared.ts). */
  shared?: Partial<SharedResults>;
  /** The scan's STS answers: each role assumed and each caller identity asked once for every AWS collector (see src/aws/identities.ts). */
  awsIdentities?: AwsIdentities;
};

export type CollectorOutput = {
  /** Defaults to `partial` when there are gaps, else `complete`. */
  status?: SourceStatus;
  resources: Resource[];
  gaps?: CoverageGap[];
  notes?: string[];
  endpoint?: string;
  identity?: string;
  reason?: string;
  excluded?: string[];
};

/** A collector's description, kept apart from its code so that listing collectors loads no SDK. */
export type CollectorMeta = Omit<Collector, 'collect'>;

/** The contract of a collector; each lives in src/collectors/<id>/index.ts. */
export type Collector = {
  id: CollectorId;
  description: string;
  /** Collectors without credentials form the default set. */
  needsCredentials: boolean;
  kinds: ResourceKind[];
  cliOptions?: CollectorOption[];
  /**
   * The collector splits its work into units of its own and consults `ctx.shard`; otherwise the
   * whole source is one unit, the scanned tree (`tree:<treeId>`), run by the shard that owns it.
   */
  shardsItself?: boolean;
  /**
   * The collector spends its time in API calls whose client-side CPU (signing, parsing) adds up:
   * the CLI runs it in a worker thread of its own so that sources use the machine's cores side by
   * side. Its context must then be data (see src/collectors/isolate.ts).
   */
  isolated?: boolean;
  /**
   * Work this collector needs that others need too (listing the AWS Organization's accounts):
   * `runCollectors` does each step once per scan and passes its result in `ctx.shared`.
   */
  shares?: SharedStepId[];
  collect: (ctx: CollectContext) => Promise<CollectorOutput>;
};
