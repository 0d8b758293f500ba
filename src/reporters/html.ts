import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import {
  CSF_FUNCTIONS,
  SEVERITIES,
  STATUSES,
  THREATS,
  type CsfFunction,
  type Finding,
  type ResultDocument,
  type RuleMeta,
  type Severity,
  type Status,
} from '../engine/types.js';
import { THREAT_LABELS } from '../threat-model/markdown.js';
import { REGISTER_STATUSES, type AssetEntry, type RegisterEntry, type RegisterStatus, type RiskBand, type RiskEntry } from '../threat-model/types.js';
import { buildFrom, createTopK, type ReportBuild, type ResultHead, type ResultVisitor, type RiskScore } from './visit.js';
import { packageRoot } from '../util/package-root.js';

export type HtmlOptions = {
  generatedAt?: string;
  /** The most findings the table lists (HTML_FINDINGS_LIMIT unless given). */
  findingsLimit?: number;
};

const TEMPLATE_DIR = path.join(packageRoot, 'reports', 'html');

const FUNCTION_NAMES: Record<CsfFunction, string> = { GV: 'Govern', ID: 'Identify', PR: 'Protect', DE: 'Detect', RS: 'Respond', RC: 'Recover' };
const STATUS_LABELS: Record<Status, string> = { fail: 'Fail', unknown: 'Unknown', suppressed: 'Accepted', pass: 'Pass', not_applicable: 'Not applicable' };
const REGISTER_LABELS: Record<RegisterStatus, string> = { 'at-risk': 'At risk', unverified: 'Could not be checked', accepted: 'Accepted', mitigated: 'Mitigated', 'not-covered': 'No rule covers it' };
const REGISTER_SYMBOLS: Record<RegisterStatus, string> = { 'at-risk': '✗', unverified: '?', accepted: '≈', mitigated: '✓', 'not-covered': '·' };
const THREAT_LETTERS: Record<(typeof THREATS)[number], string> = {
  spoofing: 'S',
  tampering: 'T',
  repudiation: 'R',
  'information-disclosure': 'I',
  'denial-of-service': 'D',
  'elevation-of-privilege': 'E',
};
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const DAY_MS = 86_400_000;

const BAR_WIDTH = 320;
const BAR_ORDER: Status[] = ['fail', 'unknown', 'suppressed', 'pass', 'not_applicable'];

/**
 * The most findings the table lists. A listed failing finding costs 2.5 to 3 KB of markup and
 * filter data (its evidence, remediation and references; a passing one about 1 KB): 10,000 keep
 * the table near 30 MB, which a browser opens and filters a page at a time, where the 362,287
 * findings of a 50,000-resource estate would need about 1 GB, more than a browser opens and
 * longer than V8's longest string. Beyond the limit the report says what it left out; result.json
 * has every finding.
 */
export const HTML_FINDINGS_LIMIT = 10_000;
/**
 * The most assets the inventory and the threat register list, highest risk first. An asset's
 * register detail costs about 8 KB: 500 keep both sections near 5 MB.
 */
export const HTML_ASSETS_LIMIT = 500;
/** The most resources listed under one asset of the inventory. */
export const HTML_ASSET_RESOURCES_LIMIT = 100;
/** The most rows of the coverage gap table, and of the lists of names and paths in the coverage section. */
export const HTML_GAPS_LIMIT = 1_000;
export const HTML_NAMES_LIMIT = 200;

/** Words for a count of findings of one status, as the notices use them. */
const STATUS_WORDS: Record<Status, string> = { fail: 'failing', unknown: 'could not be checked', suppressed: 'accepted', pass: 'passing', not_applicable: 'not applicable' };

/** A count with thousands separators, written here so the report does not depend on the locale data of the Node build. */
export const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const zeroCounts = (): Record<Status, number> => ({ fail: 0, unknown: 0, suppressed: 0, pass: 0, not_applicable: 0 });

/** "a, b and c" */
const listText = (parts: string[]): string => (parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`);

/** At most `limit` of a list, and how many more there are. */
const head = <T>(list: T[], limit: number): { shown: T[]; more: number; total: number } => ({ shown: list.length > limit ? list.slice(0, limit) : list, more: Math.max(0, list.length - limit), total: list.length });

export type FindingListing = {
  /** The listed findings, in the result's order. */
  findings: Finding[];
  total: number;
  capped: boolean;
  listed: Record<Status, number>;
  omitted: Record<Status, number>;
};

type Candidate = { index: number; residual: number; score: number; rank: number };

const byListingOrder = (a: Candidate, b: Candidate): number => b.residual - a.residual || b.score - a.score || a.rank - b.rank || a.index - b.index;

/**
 * Which findings the table lists: all of them up to the limit; beyond it, by what a reviewer acts on
 * first: failing, then could not be checked, accepted, passing and not applicable, so that no failing
 * or unknown finding is left out while a passing one is listed. Within the status the limit cuts,
 * the highest residual risk first, then the highest risk before acceptance, then the most severe,
 * then the result's order (only failing and accepted findings carry a risk). The listed findings
 * keep the result's order. The risks' scores are seen first, the findings are then ranked by them
 * (only their places are kept), and shown again for the chosen ones to be taken.
 */
const collectListing = (limit: number) => {
  const all = zeroCounts();
  let total = 0;
  // The risk of each finding that has one, by fingerprint: the place of its residual and score in
  // `scores` (a result can hold hundreds of thousands).
  const riskOf = new Map<string, number>();
  let scores = new Float64Array(0);
  const riskScore = (entry: RiskScore): void => {
    let at = riskOf.get(entry.fingerprint);
    if (at === undefined) {
      if (riskOf.size * 2 === scores.length) {
        const grown = new Float64Array(Math.max(1024, scores.length * 2));
        grown.set(scores);
        scores = grown;
      }
      at = riskOf.size;
      riskOf.set(entry.fingerprint, at);
    }
    scores[at * 2] = entry.residual;
    scores[at * 2 + 1] = entry.score;
  };
  // Each status's first `limit` findings in listing order: no more of a status can be listed.
  const ranked = new Map<Status, ReturnType<typeof createTopK<Candidate>>>(STATUSES.map((status) => [status, createTopK<Candidate>(limit, byListingOrder)]));
  const count = (finding: Finding, index: number): void => {
    all[finding.status]++;
    total++;
    const at = riskOf.get(finding.fingerprint);
    ranked.get(finding.status)?.add({ index, residual: at === undefined ? 0 : (scores[at * 2] as number), score: at === undefined ? 0 : (scores[at * 2 + 1] as number), rank: SEVERITY_RANK[finding.severity] });
  };
  let chosen: Set<number> | undefined;
  const listed = new Map<number, Finding>();
  const take = (finding: Finding, index: number): void => {
    if (!chosen) {
      chosen = new Set();
      let room = limit;
      for (const status of BAR_ORDER) {
        const first = (ranked.get(status)?.result() ?? []).slice(0, room);
        for (const candidate of first) chosen.add(candidate.index);
        room -= first.length;
      }
      ranked.clear();
    }
    if (chosen.has(index)) listed.set(index, finding);
  };
  const listing = (): FindingListing => {
    const findings = [...listed.entries()].sort((a, b) => a[0] - b[0]).map(([, finding]) => finding);
    if (total <= limit) return { findings, total, capped: false, listed: all, omitted: zeroCounts() };
    const shown = zeroCounts();
    for (const finding of findings) shown[finding.status]++;
    const omitted = zeroCounts();
    for (const status of STATUSES) omitted[status] = all[status] - shown[status];
    return { findings, total, capped: true, listed: shown, omitted };
  };
  return { riskScore, count, take, listing };
};

/** The notice above a capped findings table: what is listed, and exactly what is not, by status. */
const listingNotice = (listing: FindingListing, ranked: boolean) => {
  const chosenBy = (status: Status): string => (ranked && (status === 'fail' || status === 'suppressed') ? 'highest risk first' : 'most severe first');
  const listedParts = BAR_ORDER.filter((st) => listing.listed[st] > 0).map((st) =>
    listing.omitted[st] === 0 ? `all ${grouped(listing.listed[st])} ${STATUS_WORDS[st]}` : `${grouped(listing.listed[st])} of the ${grouped(listing.listed[st] + listing.omitted[st])} ${STATUS_WORDS[st]} (${chosenBy(st)})`,
  );
  const omittedParts = BAR_ORDER.filter((st) => listing.omitted[st] > 0).map((st) => `${grouped(listing.omitted[st])} ${STATUS_WORDS[st]}`);
  return {
    listed: grouped(listing.findings.length),
    total: grouped(listing.total),
    listedText: listText(listedParts),
    omittedCount: grouped(listing.total - listing.findings.length),
    omittedText: listText(omittedParts),
  };
};

/** Only web links become links: a `javascript:` reference in a user's rule stays text. */
const safeUrl = (value: string): string | undefined => (/^https?:\/\/[^\s"'<>]+$/i.test(value) ? value : undefined);

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

type Segment = { x: number; width: number; status: Status; count: number; label: string };

const barSegments = (counts: Record<Status, number>, statuses: Status[] = BAR_ORDER): Segment[] => {
  const total = statuses.reduce((sum, s) => sum + counts[s], 0);
  if (total === 0) return [];
  const segments: Segment[] = [];
  let x = 0;
  for (const status of statuses) {
    const count = counts[status];
    if (count === 0) continue;
    const width = Math.max(2, Math.round((count / total) * BAR_WIDTH * 10) / 10);
    segments.push({ x: Math.round(x * 10) / 10, width, status, count, label: `${count} ${STATUS_LABELS[status].toLowerCase()}` });
    x += width;
  }
  // Rounding and the 2-unit minimum can overshoot; scale back so the bar ends at its width.
  const scale = x > BAR_WIDTH ? BAR_WIDTH / x : 1;
  if (scale !== 1) {
    let at = 0;
    for (const segment of segments) {
      segment.width = Math.round(segment.width * scale * 10) / 10;
      segment.x = Math.round(at * 10) / 10;
      at += segment.width;
    }
  }
  return segments;
};

/** Arcs of a ring whose circumference is 100 (r = 15.9155), starting at twelve o'clock. */
const donutSegments = (counts: Record<Status, number>) => {
  const total = BAR_ORDER.reduce((sum, st) => sum + counts[st], 0);
  if (total === 0) return [];
  let done = 0;
  return BAR_ORDER.filter((status) => counts[status] > 0).map((status) => {
    const share = Math.round((counts[status] / total) * 1000) / 10;
    const segment = { status, dash: `${share} ${Math.round((100 - share) * 10) / 10}`, offset: Math.round((25 - done) * 10) / 10, label: `${counts[status]} ${STATUS_LABELS[status].toLowerCase()}` };
    done += share;
    return segment;
  });
};

/**
 * A rule's remediation with `{{name}}` and `{{id}}` filled for one resource; for several, or for
 * a value with shell metacharacters, a visible placeholder to replace. Other placeholders stay.
 */
const fillRemediation = (remediation: RuleMeta['remediation'], resource: { name: string; id: string } | undefined): RuleMeta['remediation'] => {
  // A value goes into a command only if it cannot change the command's meaning when pasted into a shell.
  const usable = (value: string): boolean => /^[A-Za-z0-9._:/@+=,-]+$/.test(value);
  const fill = (text: string | undefined): string | undefined =>
    text?.replace(/\{\{\s*(name|id)\s*\}\}/g, (_, key: 'name' | 'id') => (resource && usable(resource[key]) ? resource[key] : key === 'name' ? '<NAME>' : '<ID>'));
  return { text: fill(remediation.text) ?? '', ...(remediation.cli ? { cli: fill(remediation.cli) } : {}), ...(remediation.terraform ? { terraform: fill(remediation.terraform) } : {}) };
};

const daysBetween = (from: string, toDate: string): number => Math.floor((Date.parse(`${toDate}T23:59:59.999Z`) - Date.parse(from)) / DAY_MS);

const findingSearchText = (finding: Finding, assetName: string | undefined): string =>
  [
    finding.ruleId,
    finding.title,
    finding.message,
    finding.resource.name,
    finding.resource.id,
    finding.location?.path ?? '',
    ...finding.evidence.map((e) => e.detail),
    assetName ?? '',
  ]
    .join('\n')
    .toLowerCase();

/** JSON for a `<script type="application/json">` island: nothing in it can end the element or the script. */
export const islandJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const sha256 = (text: string): string => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

const escapeHtml = Handlebars.escapeExpression;

/** The remediation block of a finding's details: filled per resource only where the rule has placeholders. */
const remediationHtml = (remediation: RuleMeta['remediation']): string =>
  `<p class="fix">${escapeHtml(remediation.text)}</p>${remediation.cli ? `<pre><code>${escapeHtml(remediation.cli)}</code></pre>` : ''}${remediation.terraform ? `<pre><code>${escapeHtml(remediation.terraform)}</code></pre>` : ''}`;

const referencesHtml = (references: string[]): string =>
  references.length === 0
    ? ''
    : `<p class="small muted">References</p><ul class="refs">${references
        .map((ref) => {
          const href = safeUrl(ref);
          return `<li>${href ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer">${escapeHtml(ref)}</a>` : escapeHtml(ref)}</li>`;
        })
        .join('')}</ul>`;

const hasPlaceholder = (remediation: RuleMeta['remediation']): boolean => [remediation.text, remediation.cli, remediation.terraform].some((text) => text?.includes('{{'));

/**
 * The rows of the findings table. A report can hold tens of thousands of findings; as a Handlebars
 * block each row cost a context object and a helper call per field, which made this table most of
 * the report's rendering time. The markup is written here instead, every outside value through
 * Handlebars' own escapeExpression, exactly as the templates escape it; what a rule shares across
 * its findings (references, a remediation without placeholders) is escaped once per rule.
 */
const findingRowsHtml = (findings: Finding[], rules: Map<string, RuleMeta>, assetOf: (finding: Finding) => string | undefined): string[] => {
  const perRule = new Map<string, { remediation?: string; references: string }>();
  const ruleParts = (ruleId: string) => {
    let parts = perRule.get(ruleId);
    if (!parts) {
      const rule = rules.get(ruleId);
      parts = {
        ...(rule && !hasPlaceholder(rule.remediation) ? { remediation: remediationHtml(rule.remediation) } : {}),
        references: referencesHtml(rule?.references ?? []),
      };
      perRule.set(ruleId, parts);
    }
    return parts;
  };
  const out: string[] = [];
  findings.forEach((finding, index) => {
    const status = escapeHtml(finding.status);
    const severity = escapeHtml(finding.severity);
    let details = '';
    if (finding.status !== 'pass' && finding.status !== 'not_applicable') {
      const rule = rules.get(finding.ruleId);
      const parts = ruleParts(finding.ruleId);
      const evidence = finding.evidence.length
        ? `<ul class="evidence">${finding.evidence.map((e) => `<li>${e.line ? `<span class="line">line ${escapeHtml(String(e.line))}</span> ` : ''}${escapeHtml(e.detail)}</li>`).join('')}</ul>`
        : '';
      const unknown = finding.unknown;
      const unknownText = unknown
        ? `<p>Could not be checked: ${escapeHtml(unknown.reason)}${unknown.permission ? `; needs <code>${escapeHtml(unknown.permission)}</code>` : ''} (attributes ${escapeHtml(unknown.attributes.join(', '))}).</p>`
        : '';
      const sup = finding.suppression;
      const expired = finding.status === 'fail';
      const suppression = sup
        ? `<p class="${expired ? 'warning' : 'accepted'}">${expired ? `Acceptance expired on ${escapeHtml(sup.expires)}` : `Accepted until ${escapeHtml(sup.expires)}`} by ${escapeHtml(sup.owner)}: ${escapeHtml(sup.reason)}${sup.ticket ? ` (${escapeHtml(sup.ticket)})` : ''}. Source: ${escapeHtml(sup.source)}.</p>`
        : '';
      const remediation = rule ? (parts.remediation ?? remediationHtml(fillRemediation(rule.remediation, finding.resource))) : '';
      const threats = finding.threats.map((t) => THREAT_LABELS[t]).join(', ');
      details =
        `\n          <details><summary>Evidence and remediation</summary>` +
        `\n            ${evidence}` +
        `\n            ${unknownText}` +
        `\n            ${suppression}` +
        `\n            ${remediation}` +
        `\n            ${parts.references}` +
        `\n            <p class="muted small">CSF ${escapeHtml(finding.csf.subcategories.join(', '))} · ${escapeHtml(threats)} · fingerprint <code>${escapeHtml(finding.fingerprint)}</code>${finding.firstSeen ? ` · first seen ${escapeHtml(finding.firstSeen)}` : ''}</p>` +
        `\n          </details>`;
    }
    const location = finding.location ? `${finding.location.path}${finding.location.line ? `:${finding.location.line}` : ''}` : '';
    out.push(
      `<tr class="finding row-${status}" data-index="${index}">` +
        `\n        <td><span class="badge status-${status}">${escapeHtml(STATUS_LABELS[finding.status])}</span></td>` +
        `\n        <td><span class="badge sev-${severity}">${severity}</span></td>` +
        `\n        <td class="what"><strong>${escapeHtml(finding.title)}</strong><div class="msg">${escapeHtml(finding.message)}</div><code class="rule">${escapeHtml(finding.ruleId)}</code>` +
        details +
        `\n        </td>` +
        `\n        <td class="res"><span class="name">${escapeHtml(finding.resource.name)}</span><div class="muted small">${escapeHtml(finding.resource.kind)}</div><div class="id small">${escapeHtml(finding.resource.id)}</div>${location ? `<div class="loc">${escapeHtml(location)}</div>` : ''}</td>` +
        `\n        <td>${escapeHtml(assetOf(finding) ?? '')}</td>` +
        `\n        <td>${escapeHtml(finding.csf.function)}</td>` +
        `\n        <td>${escapeHtml(finding.resource.source)}</td>` +
        `\n      </tr>`,
    );
  });
  return out;
};

type FallbackRule = { ruleId: string; first: Finding; count: number; names: string[]; rank: number; index: number };
type PlanRule = { ruleId: string; top: RiskEntry; list: RiskEntry[]; count: number; max: number; sum: number };
type AssetRank = { list: ReturnType<typeof createTopK<AssetEntry>>; total: number; atRisk: number };

const PLAN_RESOURCES = 20;
const TOP_RISKS = 5;
const BASELINE_SHOWN = 15;

/**
 * What the report shows of a result's long arrays, gathered an element at a time: the counts of
 * everything, and of each list only the part the report lists.
 */
const collectView = (result: ResultHead, options: HtmlOptions) => {
  const listing = collectListing(options.findingsLimit ?? HTML_FINDINGS_LIMIT);
  const unknownReasons = new Map<string, { reason: string; permission: string; count: number; rules: Set<string> }>();
  // Without a threat model, the plan is the failing findings by rule.
  const fallback = new Map<string, FallbackRule>();
  const assetName = new Map<string, string>();
  const assetOfResource = new Map<string, string>();
  let assetCount = 0;
  const unknownExposure = { names: [] as string[], total: 0 };
  const emptyAssets = { names: [] as string[], total: 0 };
  const assetOrder = (a: AssetEntry, b: AssetEntry): number => b.risk - a.risk || (a.source === b.source ? 0 : a.source === 'model' ? -1 : 1) || a.name.localeCompare(b.name);
  // One more than are listed: the first left out tells how high the risk of the rest goes.
  const rankAssets = (): AssetRank => ({ list: createTopK<AssetEntry>(HTML_ASSETS_LIMIT + 1, assetOrder), total: 0, atRisk: 0 });
  const inventory = rankAssets();
  const registered = rankAssets();
  let shownAssets: Set<string> | undefined;
  const cellOf = new Map<string, RegisterEntry>();
  const cells = { total: 0, notCovered: 0 };
  const openRisks = { count: 0, top: [] as RiskEntry[], bands: { critical: 0, high: 0, medium: 0, low: 0 } as Record<RiskBand, number> };
  const plan = new Map<string, PlanRule>();
  // The findings that the top risks and the baseline name, by fingerprint.
  let wanted: Set<string> | undefined;
  const findingByFingerprint = new Map<string, Finding>();

  const rank = (ranking: AssetRank, asset: AssetEntry): void => {
    ranking.total++;
    if (asset.risk > 0) ranking.atRisk++;
    ranking.list.add(asset);
  };
  const named = (list: { names: string[]; total: number }, name: string): void => {
    list.total++;
    if (list.names.length < HTML_NAMES_LIMIT) list.names.push(name);
  };

  const visitor: ResultVisitor = {
    riskScore: listing.riskScore,
    finding: (f, index) => {
      listing.count(f, index);
      if (f.status === 'unknown') {
        const reason = f.unknown?.reason ?? 'not collected';
        const permission = f.unknown?.permission ?? '';
        const key = `${reason}\u0000${permission}`;
        let entry = unknownReasons.get(key);
        if (!entry) {
          entry = { reason, permission, count: 0, rules: new Set<string>() };
          unknownReasons.set(key, entry);
        }
        entry.count++;
        entry.rules.add(f.ruleId);
      } else if (f.status === 'fail' && !result.has.risks) {
        const severity = SEVERITY_RANK[f.severity];
        const rule = fallback.get(f.ruleId);
        if (!rule) fallback.set(f.ruleId, { ruleId: f.ruleId, first: f, count: 1, names: [f.resource.name], rank: severity, index });
        else {
          rule.count++;
          if (rule.names.length < PLAN_RESOURCES) rule.names.push(f.resource.name);
          if (severity < rule.rank) Object.assign(rule, { rank: severity, index });
        }
      }
    },
    asset: (asset) => {
      assetCount++;
      assetName.set(asset.id, asset.name);
      for (const r of asset.resources) assetOfResource.set(`${r.kind}\u0000${r.id}`, asset.name);
      if (asset.exposure === 'unknown' && asset.resources.length > 0) named(unknownExposure, asset.name);
      if (asset.resources.length === 0) named(emptyAssets, asset.name);
      rank(inventory, asset);
      if (asset.resources.length > 0) rank(registered, asset);
    },
    cell: (entry) => {
      cells.total++;
      if (entry.status === 'not-covered') cells.notCovered++;
      shownAssets ??= new Set([...inventory.list.result(), ...registered.list.result()].map((a) => a.id));
      if (shownAssets.has(entry.asset)) cellOf.set(`${entry.asset}\u0000${entry.threat}`, entry);
    },
    risk: (risk) => {
      if (!(risk.residual > 0)) return;
      openRisks.count++;
      if (openRisks.top.length < TOP_RISKS) openRisks.top.push(risk);
      if (Object.hasOwn(openRisks.bands, risk.band)) openRisks.bands[risk.band]++;
      const rule = plan.get(risk.ruleId);
      if (!rule) plan.set(risk.ruleId, { ruleId: risk.ruleId, top: risk, list: [risk], count: 1, max: risk.residual, sum: risk.residual });
      else {
        rule.count++;
        if (rule.list.length < PLAN_RESOURCES) rule.list.push(risk);
        rule.max = Math.max(rule.max, risk.residual);
        rule.sum += risk.residual;
      }
    },
    findingAgain: (f, index) => {
      listing.take(f, index);
      wanted ??= new Set([
        ...openRisks.top.map((r) => r.fingerprint),
        ...(result.baseline ? [...result.baseline.new.slice(0, BASELINE_SHOWN), ...result.baseline.changed.slice(0, BASELINE_SHOWN).map((c) => c.fingerprint)] : []),
      ]);
      if (wanted.has(f.fingerprint)) findingByFingerprint.set(f.fingerprint, f);
    },
  };

  const gathered = () => ({
    listing: listing.listing(),
    unknownReasons,
    fallback: [...fallback.values()].sort((a, b) => a.rank - b.rank || a.index - b.index),
    assetName,
    assetOfResource,
    assetCount,
    unknownExposure,
    emptyAssets,
    inventory,
    registered,
    cellOf,
    cells,
    openRisks,
    plan: [...plan.values()],
    findingByFingerprint,
  });
  return { visitor, gathered };
};

type Gathered = ReturnType<ReturnType<typeof collectView>['gathered']>;

/** Everything the templates show, computed here so the templates only place and escape it. */
const buildView = (result: ResultHead, gathered: Gathered, options: HtmlOptions = {}) => {
  const scanTime = result.scan.scanTime;
  const rules = new Map<string, RuleMeta>(result.rules.map((rule) => [rule.id, rule]));
  const { assetName, assetOfResource, findingByFingerprint, openRisks, cellOf } = gathered;
  const assetOf = (finding: Finding): string | undefined => assetOfResource.get(`${finding.resource.kind}\u0000${finding.resource.id}`);
  const model = result.threatModel;
  const s = result.summary;
  const incomplete = result.coverage.sources.filter((source) => source.status === 'partial' || source.status === 'failed');
  const skipped = result.coverage.sources.filter((source) => source.status === 'skipped');

  // ---- executive summary ------------------------------------------------------------------
  const topBand: RiskBand = openRisks.top[0]?.band ?? 'none';
  const worstSeverity = SEVERITIES.find((sev) => s.bySeverity[sev] > 0);
  const rating = result.has.risks ? topBand : (worstSeverity === 'info' ? 'low' : (worstSeverity ?? 'none'));
  const headline: Record<RiskBand, string> = {
    critical: 'Critical risks are open',
    high: 'High risks are open',
    medium: 'Medium risks are open',
    low: 'Only low risks are open',
    none: 'No open risk was found',
  };
  const bandCounts = (['critical', 'high', 'medium', 'low'] as const).map((band) => ({ band, count: openRisks.bands[band] }));
  const riskView = (risk: RiskEntry, index: number) => {
    const finding = findingByFingerprint.get(risk.fingerprint);
    return {
      rank: index + 1,
      band: risk.band,
      score: risk.residual,
      inherent: risk.score,
      title: risk.title,
      ruleId: risk.ruleId,
      resource: risk.resource.name,
      resourceId: risk.resource.id,
      asset: assetName.get(risk.asset) ?? risk.asset,
      assetId: risk.asset,
      formula: risk.formula,
      message: finding?.message ?? risk.title,
      expired: risk.state === 'acceptance-expired',
      acceptance: risk.acceptance,
    };
  };

  const baseline = result.baseline
    ? (() => {
        const b = result.baseline;
        const describe = (fp: string) => {
          const f = findingByFingerprint.get(fp);
          return f ? { title: f.title, resource: f.resource.name, severity: f.severity, ruleId: f.ruleId } : { title: fp, resource: '', severity: 'info' as Severity, ruleId: '' };
        };
        return {
          scanTime: b.scanTime,
          sameRules: b.sameRules,
          counts: b.counts,
          added: b.new.slice(0, 15).map(describe),
          addedMore: Math.max(0, b.new.length - 15),
          fixed: b.fixed.slice(0, 15).map((f) => ({ title: f.title, resource: f.resource.name, severity: f.severity, ruleId: f.ruleId })),
          fixedMore: Math.max(0, b.fixed.length - 15),
          changed: b.changed.slice(0, 15).map((c) => ({ ...describe(c.fingerprint), from: c.from, to: c.to })),
        };
      })()
    : undefined;

  // ---- scorecard --------------------------------------------------------------------------
  const rulesByFunction = new Map<CsfFunction, number>(CSF_FUNCTIONS.map((fn) => [fn, 0]));
  for (const rule of result.rules) {
    const fn = rule.csf[0]?.id.split('.')[0] as CsfFunction | undefined;
    if (fn && rulesByFunction.has(fn)) rulesByFunction.set(fn, (rulesByFunction.get(fn) ?? 0) + 1);
  }
  const scorecard = CSF_FUNCTIONS.map((fn) => {
    const counts = s.byFunction[fn];
    const total = STATUSES.reduce((sum, st) => sum + counts[st], 0);
    const ruleCount = rulesByFunction.get(fn) ?? 0;
    const decided = counts.pass + counts.fail;
    return {
      id: fn,
      name: FUNCTION_NAMES[fn],
      counts,
      total,
      rules: ruleCount,
      segments: barSegments(counts),
      passRate: decided > 0 ? `${Math.round((counts.pass / decided) * 100)}%` : '–',
      uncovered: ruleCount === 0,
      unexercised: ruleCount > 0 && total === 0,
    };
  });
  const uncoveredFunctions = scorecard.filter((f) => f.uncovered).map((f) => `${f.name} (${f.id})`);
  const overall = { donut: donutSegments(s.byStatus), counts: s.byStatus, total: s.total };

  // ---- coverage ---------------------------------------------------------------------------
  // Gaps, reasons and names can run to one per resource: each list is cut, and says how many more result.json has.
  const gaps = head(
    result.coverage.sources.flatMap((source) =>
      source.gaps.map((gap) => ({ source: source.id, resource: gap.resource, attributes: gap.attributes.join(', '), reason: gap.reason, permission: gap.permission ?? '' })),
    ),
    HTML_GAPS_LIMIT,
  );
  const unknowns = head(
    [...gathered.unknownReasons.values()].sort((a, b) => b.count - a.count).map((u) => ({ reason: u.reason, permission: u.permission, count: u.count, rules: [...u.rules].sort().join(', ') })),
    HTML_GAPS_LIMIT,
  );
  const excluded = head(result.coverage.excluded, HTML_GAPS_LIMIT);
  const cut = (list: { names: string[]; total: number }) => ({ shown: list.names, more: list.total - list.names.length, total: list.total });
  const unknownExposure = cut(gathered.unknownExposure);
  const emptyAssets = cut(gathered.emptyAssets);
  const coverage = {
    sources: result.coverage.sources.map((source) => ({
      id: source.id,
      status: source.status,
      identity: source.identity ?? '',
      endpoint: source.endpoint ?? '',
      calls: source.calls.total,
      seconds: (source.durationMs / 1000).toFixed(1),
      reason: source.reason ?? '',
      notes: source.notes,
      gapCount: source.gaps.length,
    })),
    gaps: gaps.shown,
    gapsMore: gaps.more,
    gapCount: gaps.total,
    unknowns: unknowns.shown,
    unknownsMore: unknowns.more,
    excluded: excluded.shown,
    excludedMore: excluded.more,
    incomplete: incomplete.map((source) => `${source.id} ${source.status}`),
    skipped: skipped.map((source) => `${source.id}${source.reason ? ` (${source.reason})` : ''}`),
    uncoveredFunctions,
    notCoveredCells: gathered.cells.notCovered,
    cells: gathered.cells.total,
    unknownExposure: unknownExposure.shown,
    unknownExposureMore: unknownExposure.more,
    emptyAssets: emptyAssets.shown,
    emptyAssetsMore: emptyAssets.more,
    emptyAssetCount: emptyAssets.total,
  };

  // ---- assets and register ----------------------------------------------------------------
  const zoneNames = new Map((model?.trustZones ?? []).map((z) => [z.id, z.name]));
  const assetRow = (asset: AssetEntry) => ({
    id: asset.id,
    name: asset.name,
    description: asset.description ?? '',
    classification: asset.classification,
    owner: asset.owner ?? '',
    zone: asset.zone ? (zoneNames.get(asset.zone) ?? asset.zone) : '',
    exposure: asset.exposure,
    declared: asset.declaredExposure ?? '',
    source: asset.source,
    resourceCount: asset.resources.length,
    empty: asset.resources.length === 0,
    resources: asset.resources.slice(0, HTML_ASSET_RESOURCES_LIMIT).map((r) => ({
      kind: r.kind,
      name: r.name,
      id: r.id,
      exposure: r.exposure,
      exposureReason: r.exposureReason,
      tags: Object.entries(r.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', '),
    })),
    resourcesMore: Math.max(0, asset.resources.length - HTML_ASSET_RESOURCES_LIMIT),
    counts: asset.findings,
    risk: asset.risk,
    band: asset.band,
    uncovered: THREATS.filter((threat) => (cellOf.get(`${asset.id}\u0000${threat}`)?.status ?? 'not-covered') === 'not-covered').map((t) => THREAT_LABELS[t]).join(', '),
    cells: THREATS.map((threat) => {
      const entry = cellOf.get(`${asset.id}\u0000${threat}`);
      const status: RegisterStatus = entry?.status ?? 'not-covered';
      return {
        threat: THREAT_LABELS[threat],
        letter: THREAT_LETTERS[threat],
        status,
        symbol: REGISTER_SYMBOLS[status],
        label: REGISTER_LABELS[status],
        risk: entry?.risk ?? 0,
        attackers: (entry?.attackers ?? []).join(', '),
        rules: (entry?.rules ?? []).map((rule) => ({ ...rule, statusLabel: STATUS_LABELS[rule.status] })),
      };
    }),
  });
  // An estate can have an asset per resource: the inventory and the register list those of
  // highest risk, and say how many more result.json has and how high their risk goes.
  const rowOf = new Map<AssetEntry, ReturnType<typeof assetRow>>();
  const rowsFor = (ranking: AssetRank) => {
    const top = ranking.list.result();
    const shown = top.slice(0, HTML_ASSETS_LIMIT);
    const total = ranking.total;
    const more = total - shown.length;
    const rows = shown.map((asset) => {
      let row = rowOf.get(asset);
      if (!row) {
        row = assetRow(asset);
        rowOf.set(asset, row);
      }
      return row;
    });
    // Sorted by risk first: every one left out at risk comes before any that is not.
    const atRisk = ranking.atRisk - shown.filter((a) => a.risk > 0).length;
    const next = top[shown.length];
    return {
      rows,
      capped: more > 0 ? { listed: grouped(shown.length), total: grouped(total), more: grouped(more), atRisk: grouped(atRisk), highest: next && next.risk > 0 ? next.risk : 0 } : undefined,
    };
  };
  const inventory = rowsFor(gathered.inventory);
  const registerRows = rowsFor(gathered.registered);

  // ---- remediation plan: failing risks grouped by rule, the largest risk first -------------
  type PlanFigures = { band: RiskBand; max: number; sum: number; resources: { name: string; asset: string; score: number; band: RiskBand; expired: boolean }[] };
  const planEntry = (index: number, ruleId: string, count: number, title: string, only: { name: string; id: string } | undefined, figures: PlanFigures) => {
    const rule = rules.get(ruleId);
    return {
      rank: index + 1,
      ruleId,
      title: rule?.title ?? title,
      ...figures,
      count,
      more: Math.max(0, count - PLAN_RESOURCES),
      remediation: fillRemediation(rule?.remediation ?? { text: 'See the rule documentation.' }, count === 1 ? only : undefined),
      references: (rule?.references ?? []).map((ref) => ({ text: ref, href: safeUrl(ref) })),
    };
  };
  const plan = [...gathered.plan]
    .sort((a, b) => b.max - a.max || b.sum - a.sum || a.ruleId.localeCompare(b.ruleId))
    .map((item, index) =>
      planEntry(index, item.ruleId, item.count, item.top.title, item.top.resource, {
        band: item.top.band,
        max: item.max,
        sum: item.sum,
        resources: item.list.map((r) => ({ name: r.resource.name, asset: assetName.get(r.asset) ?? r.asset, score: r.residual, band: r.band, expired: r.state === 'acceptance-expired' })),
      }),
    );
  // Without a threat model, order the plan by the failing findings' severity instead.
  const fallbackPlan = gathered.fallback.map((item, index) =>
    planEntry(index, item.ruleId, item.count, item.first.title, item.first.resource, {
      band: item.first.severity === 'info' ? 'low' : item.first.severity,
      max: 0,
      sum: 0,
      resources: item.names.map((name) => ({ name, asset: '', score: 0, band: 'none', expired: false })),
    }),
  );

  // ---- findings table and its filter data ---------------------------------------------------
  // The table, its filters and its search cover the listed findings; every count outside the
  // table comes from the summary of the whole result.
  const listing = gathered.listing;
  const listed = listing.findings;
  const distinctValues = new Set<string>();
  for (const finding of listed) {
    const name = assetOf(finding);
    if (name) distinctValues.add(name);
  }
  const distinct = <T extends string>(values: T[]): T[] => [...new Set(values)].sort();
  const filterAssets = distinct([...distinctValues]);
  const filters = {
    functions: CSF_FUNCTIONS.map((fn) => ({ value: fn, label: `${FUNCTION_NAMES[fn]} (${fn})` })),
    severities: SEVERITIES.map((sev) => ({ value: sev, label: sev })),
    statuses: STATUSES.map((st) => ({
      value: st,
      label: listing.capped ? `${STATUS_LABELS[st]} (${grouped(listing.listed[st])} listed of ${grouped(listing.listed[st] + listing.omitted[st])})` : STATUS_LABELS[st],
    })),
    sources: distinct(listed.map((f) => f.resource.source)).map((src) => ({ value: src, label: src })),
    assets: filterAssets.map((name) => ({ value: name, label: name })),
  };
  const island = {
    rows: listed.map((finding) => {
      const asset = assetOf(finding);
      return { f: finding.csf.function, v: finding.severity, s: finding.status, o: finding.resource.source, a: asset ?? '', q: findingSearchText(finding, asset) };
    }),
    // Only in a capped report: the number of findings in the result, for the filter's count line.
    ...(listing.capped ? { total: listing.total } : {}),
  };

  // ---- accepted risks and suppressions -----------------------------------------------------
  const accepted = [...result.suppressions]
    .sort((a, b) => ({ expired: 0, active: 1, stale: 2 })[a.state] - ({ expired: 0, active: 1, stale: 2 })[b.state] || a.expires.localeCompare(b.expires))
    .map((sup) => {
      const days = daysBetween(scanTime, sup.expires);
      return {
        ...sup,
        ticket: sup.ticket ?? '',
        stateLabel: sup.state === 'expired' ? 'Expired: counts again' : sup.state === 'stale' ? 'Stale: matches nothing' : 'Active',
        when: sup.state === 'expired' ? `expired ${plural(-days, 'day')} before the scan` : `${plural(days, 'day')} left at the scan`,
        soon: sup.state === 'active' && days <= 30,
        fromModel: model?.file !== undefined && sup.source === model.file,
      };
    });

  const formula = model?.formula;
  return {
    title: model?.name ?? result.scan.targets.treeId ?? result.scan.targets.path ?? 'posture scan',
    classification: model?.reportClassification ?? 'CONFIDENTIAL',
    demo: result.scan.demo === true,
    scanTime,
    generatedAt: options.generatedAt ?? scanTime,
    target: result.scan.targets.treeId ?? result.scan.targets.path ?? '',
    tool: `${result.tool.name} ${result.tool.version}`,
    posture: {
      rating,
      headline: result.has.risks ? headline[topBand] : worstSeverity ? `Highest failing severity: ${worstSeverity}` : 'No failing finding',
      incomplete: coverage.incomplete,
      skipped: coverage.skipped,
      tiles: [
        { label: 'Failing checks', value: s.byStatus.fail, tone: s.byStatus.fail > 0 ? 'fail' : 'pass' },
        { label: 'Could not be checked', value: s.byStatus.unknown, tone: s.byStatus.unknown > 0 ? 'unknown' : 'pass' },
        { label: 'Passing checks', value: s.byStatus.pass, tone: 'pass' },
        { label: 'Accepted', value: s.byStatus.suppressed, tone: 'suppressed' },
        { label: 'Open risks', value: openRisks.count, tone: openRisks.count > 0 ? 'fail' : 'pass' },
        { label: 'Assets', value: gathered.assetCount, tone: 'neutral' },
      ],
      bandCounts,
      hasRisks: result.has.risks,
      expiredAcceptances: result.suppressions.filter((x) => x.state === 'expired').length,
      listed: listing.capped ? { listed: grouped(listing.findings.length), total: grouped(listing.total) } : undefined,
    },
    topRisks: openRisks.top.map(riskView),
    baseline,
    scorecard,
    overall,
    barWidth: BAR_WIDTH,
    coverage,
    model: model
      ? {
          name: model.name,
          scope: model.scope ?? '',
          owner: model.owner ?? '',
          source: model.source,
          file: model.file ?? '',
          defaultClassification: model.defaultClassification,
          zones: model.trustZones,
          attackers: model.attackers.map((a) => ({ ...a, threatLabels: a.threats.map((t) => THREAT_LABELS[t]).join(', '), zoneList: (a.zones ?? []).map((z) => zoneNames.get(z) ?? z).join(', ') })),
        }
      : undefined,
    assets: inventory.rows,
    assetsCapped: inventory.capped,
    registerAssets: registerRows.rows,
    registerCapped: registerRows.capped,
    threats: THREATS.map((t) => ({ label: THREAT_LABELS[t], letter: THREAT_LETTERS[t] })),
    registerLegend: REGISTER_STATUSES.map((status) => ({ status, symbol: REGISTER_SYMBOLS[status], label: REGISTER_LABELS[status] })),
    plan: result.has.risks ? plan : fallbackPlan,
    planByRisk: result.has.risks,
    findings: {
      rows: () => findingRowsHtml(listed, rules, assetOf),
      total: listing.total,
      capped: listing.capped ? listingNotice(listing, result.has.risks) : undefined,
      filters,
    },
    accepted,
    formula: formula
      ? {
          text: formula.text,
          severity: SEVERITIES.map((sev) => ({ name: sev, weight: formula.severity[sev] })),
          classification: (['restricted', 'confidential', 'internal', 'public'] as const).map((c) => ({ name: c, weight: formula.classification[c] })),
          exposure: (['public', 'internet-facing', 'unknown', 'internal'] as const).map((e) => ({ name: e, weight: formula.exposure[e] })),
          bands: formula.bands,
        }
      : undefined,
    island,
  };
};

type Trusted = Record<'css' | 'script' | 'data' | 'findingRows', string>;

/** Compiles the report template with its partials in an isolated Handlebars environment. */
const compileTemplate = (trusted: Trusted): HandlebarsTemplateDelegate => {
  const hb = Handlebars.create();
  const partialDir = path.join(TEMPLATE_DIR, 'partials');
  for (const file of readdirSync(partialDir).filter((f) => f.endsWith('.hbs')).sort()) {
    hb.registerPartial(path.basename(file, '.hbs'), readFileSync(path.join(partialDir, file), 'utf8'));
  }
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('gt', (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number' && a > b);
  hb.registerHelper('upper', (value: unknown) => String(value ?? '').toUpperCase());
  // The only unescaped output: posture's own stylesheet and script, the island JSON escaped by
  // islandJson, and the findings rows escaped by findingRowsHtml. Templates can name these four
  // blocks and nothing else.
  hb.registerHelper('inline', (name: unknown) => {
    if (name !== 'css' && name !== 'script' && name !== 'data' && name !== 'findingRows') throw new Error(`inline: unknown block ${String(name)}`);
    return new hb.SafeString(trusted[name]);
  });
  // Every helper is declared: a plain `{{field}}` then compiles to a property lookup instead of
  // code that first asks whether a helper of that name exists, which is less to generate and to run.
  return hb.compile(readFileSync(path.join(TEMPLATE_DIR, 'report.hbs'), 'utf8'), { knownHelpers: { eq: true, gt: true, upper: true, inline: true }, knownHelpersOnly: true });
};

const assertInlineSafe = (text: string, element: 'style' | 'script'): void => {
  if (new RegExp(`</${element}|<!--`, 'i').test(text)) throw new Error(`reports/html: the inline ${element} must not contain </${element} or <!--`);
};

/**
 * Renders the self-contained HTML threat-model report: inline stylesheet and script allowed by
 * their SHA-256 hashes under a `default-src 'none'` Content-Security-Policy, every outside string
 * escaped by Handlebars, and the filter data in a JSON island. Pure apart from reading posture's
 * own templates.
 */
export const startHtml = (result: ResultHead, options: HtmlOptions = {}): ReportBuild & { pieces: () => Iterable<string> } => {
  const collected = collectView(result, options);
  // The rows of a large report are most of its text: they are written one after another in place
  // of a marker in the rest of the page, which is never joined with them into one string.
  function* pieces(): Generator<string> {
    const css = readFileSync(path.join(TEMPLATE_DIR, 'report.css'), 'utf8');
    const script = readFileSync(path.join(TEMPLATE_DIR, 'report.js'), 'utf8');
    assertInlineSafe(css, 'style');
    assertInlineSafe(script, 'script');
    const view = buildView(result, collected.gathered(), options);
    const csp = [`default-src 'none'`, `style-src '${sha256(css)}'`, `script-src '${sha256(script)}'`, `base-uri 'none'`, `form-action 'none'`].join('; ');
    const marker = `posture-finding-rows-${randomUUID()}`;
    const page = compileTemplate({ css, script, data: islandJson(view.island), findingRows: marker })({ ...view, csp }).split(marker);
    if (page.length !== 2) throw new Error('reports/html: the template must place the finding rows once');
    const rows = view.findings.rows();
    yield page[0] as string;
    for (let index = 0; index < rows.length; index++) yield index === 0 ? (rows[index] as string) : `\n      ${rows[index] as string}`;
    yield page[1] as string;
  }
  return { visitor: collected.visitor, render: () => [...pieces()].join(''), pieces };
};

export const renderHtml = (result: ResultDocument, options: HtmlOptions = {}): string => buildFrom(result, (head) => startHtml(head, options));
