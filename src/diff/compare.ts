import type { Finding, ResultDocument, Severity, Status } from '../engine/types.js';
import type { BaselineSummary } from '../threat-model/types.js';

/** A failing finding of the baseline that fails no more, and what it is now. */
export type FixedEntry = { before: Finding; now: Exclude<Status, 'fail'> | 'gone' };

/** A finding failing in both results with another severity. */
export type ChangedEntry = { before: Finding; after: Finding };

/**
 * What changed between two result documents, compared on failing findings by fingerprint:
 * new (failing now, not failing in the baseline), fixed (failing then, not now: passing,
 * suppressed, unknown or gone), changed severity, and unchanged.
 */
export type ResultDiff = {
  baseline: { scanTime: string; rulesHash: string; tool: string };
  current: { scanTime: string; rulesHash: string; tool: string };
  /** False when the baseline was made with other rules: new and fixed then include rule changes. */
  sameRules: boolean;
  new: Finding[];
  fixed: FixedEntry[];
  changed: ChangedEntry[];
  unchanged: Finding[];
  /** Suppressions of the current result that expired or matched nothing. */
  suppressions: { expired: ResultDocument['suppressions']; stale: ResultDocument['suppressions'] };
  warnings: string[];
};

const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

const bySeverity = (a: Finding, b: Finding): number =>
  RANK[a.severity] - RANK[b.severity] || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) || (a.resource.id < b.resource.id ? -1 : a.resource.id > b.resource.id ? 1 : 0);

/** The warning for a baseline made with other rules. */
export const rulesMismatchWarning = (baseline: ResultDocument, current: ResultDocument): string | undefined =>
  baseline.scan.rulesHash === current.scan.rulesHash
    ? undefined
    : `the baseline (${baseline.scan.scanTime}) was made with other rules (rulesHash ${baseline.scan.rulesHash.slice(0, 12)}, now ${current.scan.rulesHash.slice(0, 12)}): findings of new or changed rules count as new, those of removed rules as fixed`;

/** Compares a result with its baseline. Pure. */
export const diffResults = (baseline: ResultDocument, current: ResultDocument): ResultDiff => {
  const then = new Map(baseline.findings.filter((f) => f.status === 'fail').map((f) => [f.fingerprint, f]));
  const nowAll = new Map(current.findings.map((f) => [f.fingerprint, f]));
  const now = current.findings.filter((f) => f.status === 'fail');
  const added: Finding[] = [];
  const changed: ChangedEntry[] = [];
  const unchanged: Finding[] = [];
  for (const finding of now) {
    const before = then.get(finding.fingerprint);
    if (!before) added.push(finding);
    else if (before.severity !== finding.severity) changed.push({ before, after: finding });
    else unchanged.push(finding);
  }
  const fixed: FixedEntry[] = [];
  for (const before of then.values()) {
    const after = nowAll.get(before.fingerprint);
    if (after?.status === 'fail') continue;
    fixed.push({ before, now: after ? (after.status as FixedEntry['now']) : 'gone' });
  }
  const mismatch = rulesMismatchWarning(baseline, current);
  return {
    baseline: { scanTime: baseline.scan.scanTime, rulesHash: baseline.scan.rulesHash, tool: `${baseline.tool.name} ${baseline.tool.version}` },
    current: { scanTime: current.scan.scanTime, rulesHash: current.scan.rulesHash, tool: `${current.tool.name} ${current.tool.version}` },
    sameRules: !mismatch,
    new: added.sort(bySeverity),
    fixed: fixed.sort((a, b) => bySeverity(a.before, b.before)),
    changed: changed.sort((a, b) => bySeverity(a.after, b.after)),
    unchanged: unchanged.sort(bySeverity),
    suppressions: { expired: current.suppressions.filter((s) => s.state === 'expired'), stale: current.suppressions.filter((s) => s.state === 'stale') },
    warnings: mismatch ? [mismatch] : [],
  };
};

/** The `baseline` section of the result document (schemas/result.schema.json#/definitions/baselineSummary). */
export const baselineSummary = (diff: ResultDiff): BaselineSummary => ({
  scanTime: diff.baseline.scanTime,
  rulesHash: diff.baseline.rulesHash,
  sameRules: diff.sameRules,
  counts: { new: diff.new.length, fixed: diff.fixed.length, unchanged: diff.unchanged.length, changed: diff.changed.length },
  new: diff.new.map((f) => f.fingerprint),
  fixed: diff.fixed.map(({ before }) => ({
    fingerprint: before.fingerprint,
    ruleId: before.ruleId,
    title: before.title,
    severity: before.severity,
    resource: { kind: before.resource.kind, id: before.resource.id, name: before.resource.name },
  })),
  changed: diff.changed.map(({ before, after }) => ({ fingerprint: after.fingerprint, from: before.severity, to: after.severity })),
});

const OPEN: ReadonlySet<Status> = new Set<Status>(['fail', 'suppressed']);

/**
 * A copy of the current result with `firstSeen` on its failing and suppressed findings: carried
 * forward from the baseline when the same finding (by fingerprint) was open there (its own
 * `firstSeen`, else the baseline's scan time), else this scan's time. An unknown finding keeps the
 * date the baseline had, since nobody can tell whether it was fixed in between.
 */
export const carryFirstSeen = (current: ResultDocument, baseline: ResultDocument): ResultDocument => {
  const before = new Map(baseline.findings.map((f) => [f.fingerprint, f]));
  const findings = current.findings.map((finding) => {
    const old = before.get(finding.fingerprint);
    const carried = old && (OPEN.has(old.status) || (old.status === 'unknown' && old.firstSeen)) ? (old.firstSeen ?? baseline.scan.scanTime) : undefined;
    if (OPEN.has(finding.status)) return { ...finding, firstSeen: carried ?? current.scan.scanTime };
    if (finding.status === 'unknown' && carried) return { ...finding, firstSeen: carried };
    const { firstSeen: _dropped, ...rest } = finding;
    return rest;
  });
  return { ...current, findings };
};

/**
 * Applies a baseline to a fresh result: `firstSeen` carried forward and the `baseline` section
 * filled in. Returns the new document and the comparison.
 */
export const applyBaseline = (current: ResultDocument, baseline: ResultDocument): { result: ResultDocument; diff: ResultDiff } => {
  const carried = carryFirstSeen(current, baseline);
  const diff = diffResults(baseline, carried);
  return { result: { ...carried, baseline: baselineSummary(diff) }, diff };
};
