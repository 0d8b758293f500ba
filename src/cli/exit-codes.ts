import type { FailOn } from '../config/types.js';
import type { ResultDocument, Severity } from '../engine/types.js';
import { PostureError } from './errors.js';

/** The documented exit codes: users' CI scripts depend on them. */
export const EXIT = { ok: 0, findings: 1, error: 2, incomplete: 3 } as const;

const RANK: Record<Severity, number> = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };

export type GateOptions = {
  failOn: FailOn;
  failOnGaps: boolean;
  require: string[];
  /** Only failing findings that are not failing in the baseline count (and those whose suppression expired). */
  failOnNew?: boolean;
  /** Fingerprints of the findings failing in the baseline (`--baseline`). */
  baselineFailing?: ReadonlySet<string>;
};

export type GateDecision = { code: 0 | 1 | 3; reasons: string[] };

/**
 * Decides the exit code of a finished scan: 3 (incomplete, when asked to care) beats 1 (failing
 * findings at or above the threshold) beats 0. `unknown` findings never cause 1. With `failOnNew`,
 * findings already failing in the baseline do not count, except those whose suppression expired.
 */
export const gate = (result: ResultDocument, options: GateOptions): GateDecision => {
  if (options.failOnNew && !options.baselineFailing) throw new PostureError('usage', '--fail-on-new needs --baseline FILE (the result.json of an earlier scan): without a baseline every finding is new');
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
  if (options.failOnNew && options.baselineFailing) {
    const known = options.baselineFailing;
    // The engine leaves `suppression` on a failing finding only when that suppression expired.
    const expired = failing.filter((f) => f.suppression !== undefined);
    const fresh = failing.filter((f) => f.suppression === undefined && !known.has(f.fingerprint));
    const old = failing.length - fresh.length - expired.length;
    const tail = old > 0 ? `; ${old} failing finding(s) already in the baseline do not fail the build` : '';
    if (fresh.length + expired.length === 0) return { code: EXIT.ok, reasons: old > 0 ? [`no new failing finding at or above ${options.failOn}${tail}`] : reasons };
    const parts = [...(fresh.length ? [`${fresh.length} new failing finding(s) at or above ${options.failOn}`] : []), ...(expired.length ? [`${expired.length} failing finding(s) whose suppression expired`] : [])];
    return { code: EXIT.findings, reasons: [`${parts.join(' and ')}${tail}`] };
  }
  if (failing.length > 0) return { code: EXIT.findings, reasons: [`${failing.length} failing finding(s) at or above ${options.failOn}`] };
  return { code: EXIT.ok, reasons };
};
