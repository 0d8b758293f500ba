import { PostureError } from '../cli/errors.js';
import type { ApiStats, CoverageGap, FactsDocument, SourceReport, SourceStatus } from './types.js';

/** A shard's document and where it came from, for error messages. */
export type ShardInput = { file: string; facts: FactsDocument };

// failed and partial dominate: a unit that one shard could not see makes the whole source incomplete.
const STATUS_RANK: Record<SourceStatus, number> = { skipped: 0, complete: 1, partial: 2, failed: 3 };

const unique = <T>(items: T[]): T[] => {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

const mergeCalls = (reports: SourceReport[]): SourceReport['calls'] => {
  const byApi: Record<string, ApiStats> = {};
  for (const report of reports) {
    for (const [api, stats] of Object.entries(report.calls.byApi)) {
      const sum = (byApi[api] ??= { calls: 0, retries: 0, throttles: 0, errors: 0, ms: 0 });
      sum.calls += stats.calls;
      sum.retries += stats.retries;
      sum.throttles += stats.throttles;
      sum.errors += stats.errors;
      sum.ms += stats.ms;
    }
  }
  const sorted = Object.fromEntries(Object.entries(byApi).sort(([a], [b]) => a.localeCompare(b)));
  return { total: Object.values(sorted).reduce((sum, s) => sum + s.calls, 0), byApi: sorted };
};

const mergeSource = (reports: SourceReport[]): SourceReport => {
  const status = reports.reduce<SourceStatus>((worst, r) => (STATUS_RANK[r.status] > STATUS_RANK[worst] ? r.status : worst), 'skipped');
  const decisive = reports.filter((r) => r.status === status);
  const first = reports[0] as SourceReport;
  const endpoint = reports.find((r) => r.endpoint)?.endpoint;
  const identity = reports.find((r) => r.identity)?.identity;
  const reasons = unique(decisive.flatMap((r) => (r.reason ? [r.reason] : [])));
  return {
    id: first.id,
    status,
    ...(endpoint ? { endpoint } : {}),
    ...(identity ? { identity } : {}),
    gaps: unique(reports.flatMap((r) => r.gaps)) satisfies CoverageGap[],
    calls: mergeCalls(reports),
    // The shards ran side by side: the source took as long as its slowest shard.
    durationMs: Math.max(...reports.map((r) => r.durationMs)),
    notes: unique(reports.flatMap((r) => r.notes)),
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
  };
};

/**
 * Merges the documents of every shard of one sharded collection into the document an unsharded
 * collection would have written. Refuses documents that are not shards, shards of different
 * plans, a shard given twice or missing, and two shards that covered the same unit or emitted the
 * same resource: each would make the merged facts say something no collection saw.
 */
export const mergeShards = (inputs: ShardInput[]): FactsDocument => {
  if (inputs.length === 0) throw new PostureError('usage', 'posture merge needs the facts documents of every shard');
  const shards = inputs.map(({ file, facts }) => {
    if (!facts.shard) throw new PostureError('document-invalid', 'is not a shard\'s facts document (no "shard"; write it with posture collect --shard K/N)', { file });
    return { file, facts, shard: facts.shard };
  });
  const [head] = shards as [(typeof shards)[number]];
  for (const { file, shard } of shards) {
    if (shard.n !== head.shard.n) throw new PostureError('document-invalid', `is shard ${shard.k}/${shard.n}, but ${head.file} is shard ${head.shard.k}/${head.shard.n}: the shards come from different runs`, { file });
    if (shard.planId !== head.shard.planId) {
      throw new PostureError('document-invalid', `has plan ${shard.planId.slice(0, 12)}, but ${head.file} has plan ${head.shard.planId.slice(0, 12)}: the shards were collected with different configuration, rules or targets`, { file });
    }
    if (shard.k > shard.n) throw new PostureError('document-invalid', `says it is shard ${shard.k} of ${shard.n}`, { file });
  }
  const byK = new Map<number, string>();
  for (const { file, shard } of shards) {
    const other = byK.get(shard.k);
    if (other) throw new PostureError('document-invalid', `is shard ${shard.k}/${shard.n} again (also ${other})`, { file });
    byK.set(shard.k, file);
  }
  const missing = Array.from({ length: head.shard.n }, (_, i) => i + 1).filter((k) => !byK.has(k));
  if (missing.length > 0) throw new PostureError('document-invalid', `shard(s) ${missing.map((k) => `${k}/${head.shard.n}`).join(', ')} missing: merge needs all ${head.shard.n}`);

  const unitOwner = new Map<string, string>();
  const resourceOwner = new Map<string, string>();
  for (const { file, facts, shard } of shards) {
    for (const unit of shard.units) {
      const other = unitOwner.get(unit);
      if (other) throw new PostureError('document-invalid', `covers unit ${unit}, which ${other} covers too`, { file });
      unitOwner.set(unit, file);
    }
    // One shard may emit several resources with one id (a package with several advisories); two may not.
    for (const id of new Set(facts.resources.map((r) => r.id))) {
      const other = resourceOwner.get(id);
      if (other) throw new PostureError('document-invalid', `emits resource ${id}, which ${other} emits too`, { file });
      resourceOwner.set(id, file);
    }
  }

  const ordered = [...shards].sort((a, b) => a.shard.k - b.shard.k);
  const sourceIds = [...new Set(ordered.flatMap((s) => s.facts.sources.map((r) => r.id)))];
  const startedAt = ordered.map((s) => s.facts.scan.startedAt).sort()[0] as string;
  const demo = ordered.some((s) => s.facts.scan.demo);
  return {
    schemaVersion: '1',
    tool: head.facts.tool,
    scan: { startedAt, targets: head.facts.scan.targets, ...(demo ? { demo: true } : {}) },
    sources: sourceIds.map((id) => mergeSource(ordered.flatMap((s) => s.facts.sources.filter((r) => r.id === id)))),
    resources: ordered.flatMap((s) => s.facts.resources),
    excluded: [...new Set(ordered.flatMap((s) => s.facts.excluded))].sort(),
  };
};
