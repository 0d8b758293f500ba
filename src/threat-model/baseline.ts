import type { Finding, ResultDocument } from '../engine/types.js';
import type { BaselineSummary } from './types.js';

const failing = (result: ResultDocument): Map<string, Finding> =>
  new Map(result.findings.filter((f) => f.status === 'fail').map((f) => [f.fingerprint, f]));

/**
 * What changed since a baseline result, compared on failing findings by fingerprint: new (failing
 * now, not failing then), fixed (failing then, not now), changed (failing in both, another
 * severity), unchanged. Pure; the report's executive summary shows it.
 */
export const summariseBaseline = (current: ResultDocument, baseline: ResultDocument): BaselineSummary => {
  const now = failing(current);
  const then = failing(baseline);
  const added = [...now.keys()].filter((fp) => !then.has(fp));
  const fixed = [...then.values()]
    .filter((f) => !now.has(f.fingerprint))
    .map((f) => ({ fingerprint: f.fingerprint, ruleId: f.ruleId, title: f.title, severity: f.severity, resource: { kind: f.resource.kind, id: f.resource.id, name: f.resource.name } }));
  const changed: BaselineSummary['changed'] = [];
  let unchanged = 0;
  for (const [fp, finding] of now) {
    const before = then.get(fp);
    if (!before) continue;
    if (before.severity === finding.severity) unchanged++;
    else changed.push({ fingerprint: fp, from: before.severity, to: finding.severity });
  }
  return {
    scanTime: baseline.scan.scanTime,
    rulesHash: baseline.scan.rulesHash,
    sameRules: baseline.scan.rulesHash === current.scan.rulesHash,
    counts: { new: added.length, fixed: fixed.length, unchanged, changed: changed.length },
    new: added,
    fixed,
    changed,
  };
};
