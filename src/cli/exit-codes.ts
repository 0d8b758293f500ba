import type { FailOn } from '../config/types.js';
import type { ResultDocument, Severity } from '../engine/types.js';

/** The documented exit codes: users' CI scripts depend on them. */
export const EXIT = { ok: 0, findings: 1, error: 2, incomplete: 3 } as const;

const RANK: Record<Severity, number> = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };

export type GateOptions = { failOn: FailOn; failOnGaps: boolean; require: string[] };

export type GateDecision = { code: 0 | 1 | 3; reasons: string[] };

/**
 * Decides the exit code of a finished scan: 3 (incomplete, when asked to care) beats 1 (failing
 * findings at or above the threshold) beats 0. `unknown` findings never cause 1.
 */
export const gate = (result: ResultDocument, options: GateOptions): GateDecision => {
  const reasons: string[] = [];
  const sources = new Map(result.coverage.sources.map((s) => [s.id as string, s]));
  let incomplete = false;
  if (options.failOnGaps) {
    for (const source of result.coverage.sources) {
      if (source.status === 'partial' || source.status === 'failed') {
        incomplete = true;
        reasons.push(`source ${source.id} is ${source.status}`);
      }
    }
  }
  for (const id of options.require) {
    const status = sources.get(id)?.status ?? 'not run';
    if (status !== 'complete') {
      incomplete = true;
      reasons.push(`required source ${id} is ${status}`);
    }
  }
  if (incomplete) return { code: EXIT.incomplete, reasons };
  if (options.failOn === 'none') return { code: EXIT.ok, reasons };
  const threshold = RANK[options.failOn];
  const failing = result.findings.filter((f) => f.status === 'fail' && RANK[f.severity] >= threshold);
  if (failing.length > 0) return { code: EXIT.findings, reasons: [`${failing.length} failing finding(s) at or above ${options.failOn}`] };
  return { code: EXIT.ok, reasons };
};
