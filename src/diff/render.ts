import type { Finding } from '../engine/types.js';
import { codeSpan, escapeMarkdown as md } from '../reporters/escape.js';
import { MARKDOWN_BYTE_LIMIT } from '../reporters/markdown.js';
import type { FixedEntry, ResultDiff } from './compare.js';

/** The formats `posture diff` writes. */
export type DiffFormat = 'text' | 'json' | 'md';
export const DIFF_FORMATS: DiffFormat[] = ['text', 'json', 'md'];

const where = (finding: Finding): string =>
  finding.location ? `${finding.location.path}${finding.location.line ? `:${finding.location.line}` : ''}` : finding.resource.id;

const entry = (finding: Finding) => ({
  fingerprint: finding.fingerprint,
  ruleId: finding.ruleId,
  severity: finding.severity,
  title: finding.title,
  message: finding.message,
  resource: { kind: finding.resource.kind, id: finding.resource.id, name: finding.resource.name },
  ...(finding.location ? { location: finding.location } : {}),
  ...(finding.firstSeen ? { firstSeen: finding.firstSeen } : {}),
  ...(finding.suppression && finding.status === 'fail' ? { expiredSuppression: { owner: finding.suppression.owner, expires: finding.suppression.expires } } : {}),
});

const NOW_LABEL: Record<FixedEntry['now'], string> = {
  pass: 'passes',
  not_applicable: 'no longer applies',
  suppressed: 'is suppressed',
  unknown: 'could not be checked',
  gone: 'resource or rule gone',
};

/** The diff as JSON: counts, then each finding with enough to act on it. */
export const renderDiffJson = (diff: ResultDiff): string =>
  `${JSON.stringify(
    {
      baseline: diff.baseline,
      current: diff.current,
      sameRules: diff.sameRules,
      warnings: diff.warnings,
      counts: { new: diff.new.length, fixed: diff.fixed.length, changed: diff.changed.length, unchanged: diff.unchanged.length },
      new: diff.new.map(entry),
      fixed: diff.fixed.map(({ before, now }) => ({ ...entry(before), now })),
      changed: diff.changed.map(({ before, after }) => ({ ...entry(after), from: before.severity, to: after.severity })),
      unchanged: diff.unchanged.map((f) => f.fingerprint),
      suppressions: {
        expired: diff.suppressions.expired.map(({ rule, resource, owner, expires, source }) => ({ rule, resource, owner, expires, source })),
        stale: diff.suppressions.stale.map(({ rule, resource, owner, expires, source }) => ({ rule, resource, owner, expires, source })),
      },
    },
    null,
    2,
  )}\n`;

/** The diff as plain text for a terminal or a log. */
export const renderDiffText = (diff: ResultDiff): string => {
  const out = [
    `posture diff: ${diff.new.length} new, ${diff.fixed.length} fixed, ${diff.changed.length} changed severity, ${diff.unchanged.length} unchanged failing finding(s)`,
    `baseline ${diff.baseline.scanTime} (${diff.baseline.tool}) -> current ${diff.current.scanTime} (${diff.current.tool})`,
    ...diff.warnings.map((w) => `warning: ${w}`),
  ];
  const section = (title: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push('', `${title}:`, ...lines.map((l) => `  ${l}`));
  };
  section('New', diff.new.map((f) => `+ ${f.severity.padEnd(8)} ${f.ruleId}  ${where(f)}  ${f.message}`));
  section('Fixed', diff.fixed.map(({ before, now }) => `- ${before.severity.padEnd(8)} ${before.ruleId}  ${where(before)}  (${NOW_LABEL[now]})`));
  section('Changed severity', diff.changed.map(({ before, after }) => `~ ${before.severity} -> ${after.severity}  ${after.ruleId}  ${where(after)}`));
  section('Expired suppressions (their findings fail again)', diff.suppressions.expired.map((s) => `${s.rule} ${s.resource} (owner ${s.owner}, expired ${s.expires}, ${s.source})`));
  section('Stale suppressions (matched nothing)', diff.suppressions.stale.map((s) => `${s.rule} ${s.resource} (${s.source})`));
  return `${out.join('\n')}\n`;
};

const SEVERITY_LABEL: Record<Finding['severity'], string> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFO' };

export type DiffMarkdownOptions = {
  /** A first line, such as the hidden marker of a sticky pull-request comment. */
  header?: string;
  limitBytes?: number;
};

/**
 * The diff as Markdown for a pull-request comment: new failing findings first (they fail a
 * `--fail-on-new` build), then fixed, changed and the suppressions that need attention. Within
 * GitHub's comment size; outside text is escaped so a resource name cannot inject Markdown,
 * mentions or HTML.
 */
export const renderDiffMarkdown = (diff: ResultDiff, options: DiffMarkdownOptions = {}): string => {
  const limit = options.limitBytes ?? MARKDOWN_BYTE_LIMIT;
  const build = (rows: number): string => {
    const out: string[] = [...(options.header ? [options.header] : []), '## posture: changes since the baseline', ''];
    out.push(
      `**${diff.new.length} new** failing finding(s), ${diff.fixed.length} fixed, ${diff.changed.length} changed severity, ${diff.unchanged.length} unchanged. Baseline: scan of ${diff.baseline.scanTime}.`,
      '',
    );
    for (const warning of diff.warnings) out.push(`> **Warning:** ${md(warning)}`, '');
    const table = (title: string, items: string[], total: number) => {
      if (total === 0) return;
      out.push(`### ${title}`, '', '| Severity | Rule | Where | Finding |', '|---|---|---|---|', ...items.slice(0, rows));
      if (total > Math.min(rows, items.length)) out.push('', `and ${total - Math.min(rows, items.length)} more: see the job's report.md or \`posture diff\`.`);
      out.push('');
    };
    const row = (f: Finding, extra = '') => `| ${SEVERITY_LABEL[f.severity]} | ${codeSpan(f.ruleId)} | ${codeSpan(where(f))} | ${md(f.message)}${extra} |`;
    table('New failing findings', diff.new.map((f) => row(f, f.suppression ? ` (suppression expired ${f.suppression.expires})` : '')), diff.new.length);
    table('Fixed', diff.fixed.map(({ before, now }) => row(before, ` (${NOW_LABEL[now]})`)), diff.fixed.length);
    table('Changed severity', diff.changed.map(({ before, after }) => row(after, ` (was ${before.severity})`)), diff.changed.length);
    if (diff.suppressions.expired.length > 0 || diff.suppressions.stale.length > 0) {
      out.push('### Suppressions', '');
      for (const s of diff.suppressions.expired.slice(0, rows)) out.push(`- **expired** ${codeSpan(s.rule)} on ${codeSpan(s.resource)}: owner ${md(s.owner)}, expired ${s.expires} (${codeSpan(s.source)}); its findings fail again`);
      for (const s of diff.suppressions.stale.slice(0, rows)) out.push(`- **stale** ${codeSpan(s.rule)} on ${codeSpan(s.resource)} matched nothing (${codeSpan(s.source)}): remove it`);
      out.push('');
    }
    if (diff.new.length + diff.fixed.length + diff.changed.length === 0) out.push('No change in failing findings.', '');
    return out.join('\n');
  };
  const most = Math.max(diff.new.length, diff.fixed.length, diff.changed.length, diff.suppressions.expired.length, diff.suppressions.stale.length);
  let low = 0;
  let high = most;
  if (Buffer.byteLength(build(most)) <= limit) return build(most);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (Buffer.byteLength(build(mid)) <= limit) low = mid;
    else high = mid - 1;
  }
  return build(low);
};

/** Renders the diff in one of the formats of `posture diff`. */
export const renderDiff = (diff: ResultDiff, format: DiffFormat): string =>
  format === 'json' ? renderDiffJson(diff) : format === 'md' ? renderDiffMarkdown(diff) : renderDiffText(diff);
