import { createScanIdentities } from '../aws/identities.js';
import type { FactsDocument, SourceReport } from '../facts/types.js';
import { collectIsolated, STOP_GRACE_MS, type WarmWorkers } from './isolate.js';
import { shardOfUnit, unitIds } from './shard.js';
import { createSharedSteps } from './shared.js';
import { createCallRecorder, type CollectContext, type CollectProgress, type Collector } from './types.js';

export type RunCollectorsInput = {
  collectors: Collector[];
  /** The context without the per-source parts (logger prefix, call recorder). */
  context: Omit<CollectContext, 'calls'>;
  tool: { name: string; version: string };
  /** The scanned path as the user gave it, and the tree's id. */
  targets: { path: string; treeId: string };
  demo?: boolean;
  /** A progress display: one line per source, fed with each call recorded and the resources found. */
  progress?: { source: (id: Collector['id']) => CollectProgress; done?: (id: Collector['id'], status: SourceReport['status']) => void };
  /**
   * Runs the collectors marked `isolated` in worker threads (see collectIsolated); their context
   * is rebuilt from data there, so the concurrency limits come as a table.
   */
  isolation?: { concurrency: Record<string, number>; warm?: WarmWorkers };
  /**
   * The overall deadline: when it passes, `abort` cancels every call in flight (each becomes a
   * gap), and a source still running `graceMs` later is reported failed without its resources.
   */
  deadline?: { ms: number; abort: () => void; graceMs?: number };
};

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * Runs the selected collectors side by side. One that throws is recorded as `failed` with its
 * reason and the others' resources stand; the facts document says what was and was not seen.
 */
export const runCollectors = async (input: RunCollectorsInput): Promise<FactsDocument> => {
  const { context, deadline } = input;
  let expired = false;
  const timers: NodeJS.Timeout[] = [];
  // Settles when the sources still running after the deadline have had their grace period.
  const abandoned = new Promise<void>((resolve) => {
    if (!deadline) return;
    timers.push(
      setTimeout(() => {
        expired = true;
        context.logger.warn(`the deadline of ${seconds(deadline.ms)} passed: calls in flight are cancelled and reported as gaps`);
        deadline.abort();
        timers.push(setTimeout(resolve, deadline.graceMs ?? STOP_GRACE_MS));
      }, deadline.ms),
    );
  });
  // Work several collectors need (the AWS Organization's accounts) is done once for the scan.
  const steps = createSharedSteps();
  // So is assuming each AWS role and asking each caller identity, whichever collector asks first.
  const identities = createScanIdentities();
  if (input.collectors.some((collector) => collector.id.startsWith('aws-'))) identities.preload();
  const outcomes = await Promise.all(
    input.collectors.map(async (collector) => {
      const calls = createCallRecorder();
      const progress = input.progress?.source(collector.id);
      if (progress) {
        // Wrapping the recorder counts every call as it is made, so collectors need no change.
        const record = calls.record;
        calls.record = (api, outcome) => {
          record(api, outcome);
          progress.call();
        };
      }
      const logger = context.logger.child(collector.id);
      const started = performance.now();
      const { shard } = context;
      if (shard && !collector.shardsItself && !shard.owns(unitIds.tree(context.treeId))) {
        const owner = shardOfUnit(unitIds.tree(context.treeId), shard.n);
        const reason = `shard ${shard.k}/${shard.n}: the tree's unit belongs to shard ${owner}/${shard.n}`;
        const report: SourceReport = { id: collector.id, status: 'skipped', gaps: [], calls: calls.snapshot(), durationMs: 0, notes: [], reason };
        return { report, resources: [], excluded: [] };
      }
      try {
        const base: CollectContext = { ...context, calls, logger, ...(progress ? { progress } : {}) };
        const own: CollectContext = { ...base, awsIdentities: identities.for(collector.id, base) };
        const sharedNotes: string[] = [];
        const work = (async () => {
          const { shared, notes } = await steps.resultsFor(collector, own);
          sharedNotes.push(...notes);
          const ctx: CollectContext = Object.keys(shared).length > 0 ? { ...own, shared } : own;
          return collector.isolated && input.isolation
            ? collectIsolated(collector.id, collector.kinds, ctx, input.isolation.concurrency, input.isolation.warm)
            : collector.collect(ctx);
        })();
        const output = await Promise.race([
          work,
          abandoned.then(() => {
            throw new Error(`did not finish within the deadline of ${seconds(deadline?.ms ?? 0)}, nor stop within ${seconds(deadline?.graceMs ?? STOP_GRACE_MS)} after it`);
          }),
        ]);
        progress?.resources(output.resources.length);
        const gaps = output.gaps ?? [];
        const notes = [...sharedNotes, ...identities.notesFor(collector.id), ...(output.notes ?? [])];
        // A source that was still running at the deadline lost the calls it had not made; they are its gaps.
        if (expired) notes.push(`the scan's deadline of ${seconds(deadline?.ms ?? 0)} passed while this source was running`);
        const report: SourceReport = {
          id: collector.id,
          status: output.status ?? (gaps.length > 0 ? 'partial' : 'complete'),
          ...(output.endpoint ? { endpoint: output.endpoint } : {}),
          ...(output.identity ? { identity: output.identity } : {}),
          gaps,
          calls: calls.snapshot(),
          durationMs: Math.round(performance.now() - started),
          notes,
          ...(output.reason ? { reason: output.reason } : {}),
        };
        logger.debug(`${report.status}: ${output.resources.length} resources, ${report.calls.total} API calls`);
        input.progress?.done?.(collector.id, report.status);
        return { report, resources: output.resources, excluded: output.excluded ?? [] };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        logger.error(`failed: ${reason}`);
        input.progress?.done?.(collector.id, 'failed');
        const report: SourceReport = {
          id: collector.id,
          status: 'failed',
          gaps: [{ resource: context.treeId, attributes: ['*'], reason }],
          calls: calls.snapshot(),
          durationMs: Math.round(performance.now() - started),
          notes: [],
          reason,
        };
        return { report, resources: [], excluded: [] };
      }
    }),
  ).finally(() => timers.forEach(clearTimeout));
  return {
    schemaVersion: '1',
    tool: input.tool,
    scan: {
      startedAt: context.scanTime.toISOString(),
      targets: input.targets,
      ...(input.demo ? { demo: true } : {}),
    },
    sources: outcomes.map((o) => o.report),
    resources: outcomes.flatMap((o) => o.resources),
    excluded: [...new Set(outcomes.flatMap((o) => o.excluded))].sort(),
  };
};
