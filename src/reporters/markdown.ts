import { CSF_FUNCTIONS, type CsfFunction, type Finding, type ResultDocument, type RuleMeta } from '../engine/types.js';
import { buildFrom, combineVisitors, type ReportBuild, type ResultHead } from './visit.js';
import { codeSpan, escapeMarkdown as md, escapeRuleMarkdown } from './escape.js';

/** GitHub takes 65,535 characters in a PR comment or check-run summary; stay well below. */
export const MARKDOWN_BYTE_LIMIT = 60_000;

export const FUNCTION_NAMES: Record<CsfFunction, string> = {
  GV: 'Govern',
  ID: 'Identify',
  PR: 'Protect',
  DE: 'Detect',
  RS: 'Respond',
  RC: 'Recover',
};

export type MarkdownOptions = {
  /** Extra sections (e.g. the threat register) placed after the summary. */
  extraSections?: string[];
  limitBytes?: number;
};

const SEVERITY_LABEL: Record<Finding['severity'], string> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFO' };

const where = (finding: Finding): string =>
  finding.location ? codeSpan(`${finding.location.path}${finding.location.line ? `:${finding.location.line}` : ''}`) : codeSpan(finding.resource.id);

const renderFinding = (finding: Finding, rule: RuleMeta | undefined): string => {
  const lines = [`- **${SEVERITY_LABEL[finding.severity]}** ${codeSpan(finding.ruleId)}: ${md(finding.message)}`, `  - Resource: ${where(finding)}`];
  const evidence = finding.evidence.slice(0, 10);
  for (const item of evidence) lines.push(`  - ${item.line ? `line ${item.line}: ` : ''}${md(item.detail)}`);
  if (finding.evidence.length > evidence.length) lines.push(`  - and ${finding.evidence.length - evidence.length} more`);
  if (finding.suppression) lines.push(`  - Suppression by ${md(finding.suppression.owner)} expired on ${finding.suppression.expires}`);
  if (rule) lines.push(`  - Fix: ${escapeRuleMarkdown(rule.remediation.text)}`);
  return lines.join('\n');
};

const header = (result: ResultHead): string[] => {
  const target = result.scan.targets.treeId ?? result.scan.targets.path ?? 'scan';
  const out = [`# posture report: ${md(target)}`, ''];
  if (result.scan.demo) out.push('> **Simulated data.** This report describes the fictional demo estate shipped with posture, not a real system.', '');
  out.push(
    `Scanned ${result.scan.scanTime} with ${result.tool.name} ${result.tool.version}: ${result.rules.length} rules, ${result.coverage.sources.length} sources.`,
    '',
  );
  return out;
};

const summary = (result: ResultHead): string[] => {
  const s = result.summary;
  const failing = s.byStatus.fail;
  const severities = (['critical', 'high', 'medium', 'low', 'info'] as const).filter((sev) => s.bySeverity[sev] > 0).map((sev) => `${s.bySeverity[sev]} ${sev}`);
  const incomplete = result.coverage.sources.filter((source) => source.status !== 'complete');
  const out = [
    '## Summary',
    '',
    `**${failing} failing**${severities.length ? ` (${severities.join(', ')})` : ''}, **${s.byStatus.unknown} could not be checked**, ${s.byStatus.pass} passing, ${s.byStatus.suppressed} suppressed, ${s.byStatus.not_applicable} not applicable.`,
    '',
  ];
  if (incomplete.length > 0) {
    out.push(`**The scan was incomplete:** ${incomplete.map((source) => `${source.id} ${source.status}`).join(', ')}. See "What the scan could not see".`, '');
  }
  out.push('| CSF 2.0 function | Fail | Unknown | Pass | Suppressed | N/A |', '|---|---:|---:|---:|---:|---:|');
  for (const fn of CSF_FUNCTIONS) {
    const c = s.byFunction[fn];
    const total = c.fail + c.unknown + c.pass + c.suppressed + c.not_applicable;
    out.push(`| ${FUNCTION_NAMES[fn]} (${fn}) | ${c.fail} | ${c.unknown} | ${c.pass} | ${c.suppressed} | ${c.not_applicable}${total === 0 ? ' (no rule covers it)' : ''} |`);
  }
  out.push('');
  return out;
};

/**
 * The failing findings in the order they are shown (grouped by CSF function), as far as they can
 * be: each function keeps its findings, rendered, only until they alone pass the byte limit, as no
 * report can show more of it. `count` is every failing finding, `shown` those of a CSF function.
 */
type FailingList = { count: number; shown: number; fns: CsfFunction[]; text: (i: number) => string; bytes: (i: number) => number };

const collectFailing = (result: ResultHead, limit: number) => {
  const rules = new Map(result.rules.map((rule) => [rule.id, rule]));
  const byFunction = new Map<CsfFunction, { texts: string[]; sizes: number[]; bytes: number }>(CSF_FUNCTIONS.map((fn) => [fn, { texts: [], sizes: [], bytes: 0 }]));
  let count = 0;
  let shown = 0;
  const add = (finding: Finding): void => {
    if (finding.status !== 'fail') return;
    count++;
    // Findings of a function outside CSF_FUNCTIONS are never shown, only counted.
    const list = byFunction.get(finding.csf.function);
    if (!list) return;
    shown++;
    if (list.bytes > limit) return;
    const text = renderFinding(finding, rules.get(finding.ruleId));
    const size = Buffer.byteLength(text);
    list.texts.push(text);
    list.sizes.push(size);
    list.bytes += size + 1;
  };
  const list = (): FailingList => {
    const fns: CsfFunction[] = [];
    const texts: string[] = [];
    const sizes: number[] = [];
    for (const [fn, kept] of byFunction) {
      for (let i = 0; i < kept.texts.length; i++) fns.push(fn);
      texts.push(...kept.texts);
      sizes.push(...kept.sizes);
    }
    return { count, shown, fns, text: (i) => texts[i] as string, bytes: (i) => sizes[i] as number };
  };
  return { add, list };
};
const groupHeading = (fn: CsfFunction): string => `### ${FUNCTION_NAMES[fn]} (${fn})`;
const moreLine = (hidden: number): string =>
  `**${hidden} more failing findings are not shown here** to stay within GitHub's size limit: see result.json for all of them, or report.html (which lists failing findings first, up to its own limit).`;

/** The lines of the failing section showing the first `limit` findings of the list. */
const failing = (list: FailingList, limit: number): string[] => {
  const out = ['## Failing findings', ''];
  if (list.count === 0) return [...out, 'None.', ''];
  const shown = Math.min(limit, list.shown);
  for (let i = 0; i < shown; i++) {
    const fn = list.fns[i] as CsfFunction;
    if (i === 0 || list.fns[i - 1] !== fn) {
      if (i > 0) out.push('');
      out.push(groupHeading(fn), '');
    }
    out.push(list.text(i));
  }
  if (shown > 0) out.push('');
  if (shown < list.count) out.push(moreLine(list.count - shown), '');
  return out;
};

/**
 * The byte length of the failing section with `limit` findings, counting each line and the newline
 * that joins it to the next one; it stops counting once past `cap`, rendering no finding beyond.
 */
const failingBytes = (list: FailingList, limit: number, cap: number): number => {
  let bytes = Buffer.byteLength('## Failing findings') + 2;
  if (list.count === 0) return bytes + Buffer.byteLength('None.') + 2;
  const shown = Math.min(limit, list.shown);
  for (let i = 0; i < shown && bytes <= cap; i++) {
    // Past the findings kept of a function there is one that alone passed the limit: no count
    // that reaches it fits (the cap stops the count before it gets here).
    if (i >= list.fns.length) return Number.POSITIVE_INFINITY;
    const fn = list.fns[i] as CsfFunction;
    if (i === 0 || list.fns[i - 1] !== fn) bytes += (i > 0 ? 1 : 0) + Buffer.byteLength(groupHeading(fn)) + 2;
    bytes += list.bytes(i) + 1;
  }
  if (shown > 0) bytes += 1;
  if (shown < list.count) bytes += Buffer.byteLength(moreLine(list.count - shown)) + 2;
  return bytes;
};

type UnknownRule = { ruleId: string; count: number; reason: string; permissions: Set<string> };

const collectUnknowns = () => {
  const unknowns = new Map<string, UnknownRule>();
  const add = (finding: Finding): void => {
    if (finding.status !== 'unknown') return;
    const reason = finding.unknown?.reason ?? 'unknown';
    const key = `${finding.ruleId}\u0000${reason}`;
    let entry = unknowns.get(key);
    if (!entry) {
      entry = { ruleId: finding.ruleId, count: 0, reason, permissions: new Set<string>() };
      unknowns.set(key, entry);
    }
    entry.count++;
    if (finding.unknown?.permission) entry.permissions.add(finding.unknown.permission);
  };
  return { add, unknowns };
};

const blind = (result: ResultHead, unknowns: Map<string, UnknownRule>): string[] => {
  const out = ['## What the scan could not see', '', '| Source | Status | API calls | Gaps |', '|---|---|---:|---|'];
  for (const source of result.coverage.sources) {
    const reason = source.reason ? ` (${md(source.reason)})` : '';
    out.push(`| ${source.id} | ${source.status}${reason} | ${source.calls.total} | ${source.gaps.length} |`);
  }
  out.push('');
  const gaps = result.coverage.sources.flatMap((source) => source.gaps.map((gap) => ({ source: source.id, gap })));
  for (const { source, gap } of gaps.slice(0, 50)) {
    out.push(`- ${source}: ${codeSpan(gap.resource)} ${md(gap.attributes.join(', '))}: ${md(gap.reason)}${gap.permission ? ` (needs ${codeSpan(gap.permission)})` : ''}`);
  }
  if (gaps.length > 50) out.push(`- and ${gaps.length - 50} more gaps (see result.json)`);
  if (unknowns.size > 0) {
    out.push('', 'Rules that could not be checked (neither pass nor fail):', '');
    for (const entry of unknowns.values()) {
      const permissions = [...entry.permissions];
      const needs = permissions.length === 1 ? ` (needs ${codeSpan(permissions[0] as string)})` : permissions.length > 1 ? ` (needs ${permissions.length} permissions, listed above)` : '';
      out.push(`- ${codeSpan(entry.ruleId)} on ${entry.count} resource(s): ${md(entry.reason)}${needs}`);
    }
  }
  if (result.coverage.excluded.length > 0) {
    const shown = result.coverage.excluded.slice(0, 20);
    out.push('', `Excluded from the scan (not checked): ${shown.map(codeSpan).join(', ')}${result.coverage.excluded.length > 20 ? ` and ${result.coverage.excluded.length - 20} more` : ''}`);
  }
  out.push('');
  return out;
};

const suppressions = (result: ResultHead): string[] => {
  if (result.suppressions.length === 0) return [];
  const out = ['## Suppressions and accepted risks', '', '| Rule | Resource | State | Owner | Expires | Reason |', '|---|---|---|---|---|---|'];
  for (const s of result.suppressions) {
    out.push(`| ${codeSpan(s.rule)} | ${codeSpan(s.resource)} | ${s.state} | ${md(s.owner)} | ${s.expires} | ${md(s.reason)} |`);
  }
  out.push('');
  return out;
};

/**
 * The Markdown report: summary by CSF function and severity, failing findings grouped by function
 * with their remediation, and what the scan could not see. Sized for a PR comment or step summary:
 * when it would exceed the byte limit, failing findings are cut (most severe kept) with a pointer
 * to the full reports. Extra sections (the threat summary) are built from the same findings.
 */
export const startMarkdown = (result: ResultHead, options: MarkdownOptions & { extra?: ReportBuild[] } = {}): ReportBuild => {
  const limit = options.limitBytes ?? MARKDOWN_BYTE_LIMIT;
  const failingFindings = collectFailing(result, limit);
  const unknowns = collectUnknowns();
  const extra = options.extra ?? [];
  const visitor = combineVisitors([
    {
      finding: (finding) => {
        failingFindings.add(finding);
        unknowns.add(finding);
      },
    },
    ...extra.map((build) => build.visitor),
  ]);
  const render = (): string => {
    const list = failingFindings.list();
    const extraSections = [...(options.extraSections ?? []), ...extra.map((build) => build.render()).filter(Boolean)];
    const head = [...header(result), ...summary(result), ...extraSections];
    const tail = [...blind(result, unknowns.unknowns), ...suppressions(result)];
    const build = (findingLimit: number): string => [...head, ...failing(list, findingLimit), ...tail].join('\n');
    // Every line but the last is followed by one newline in the joined text.
    const fixedBytes = [...head, ...tail].reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0) - 1;
    const fits = (findingLimit: number): boolean => fixedBytes + failingBytes(list, findingLimit, limit - fixedBytes) <= limit;
    const failCount = list.count;
    if (fits(failCount)) return build(failCount);
    let low = 0;
    let high = failCount;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (fits(mid)) low = mid;
      else high = mid - 1;
    }
    const text = build(low);
    if (Buffer.byteLength(text) <= limit) return text;
    // Even without findings the coverage is too long: cut at a line boundary below the limit.
    const cut = Buffer.from(text).subarray(0, limit - 200).toString('utf8').replace(/\n[^\n]*$/, '').replace(/\uFFFD$/, '');
    return `${cut}\n\n**Report cut to stay within GitHub's size limit: see report.html or result.json.**\n`;
  };
  return { visitor, render };
};

export const renderMarkdown = (result: ResultDocument, options: MarkdownOptions = {}): string => buildFrom(result, (head) => startMarkdown(head, options));
