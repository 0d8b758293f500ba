import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarise } from '../../src/engine/evaluate.js';
import { CSF_FUNCTIONS, STATUSES, type Finding, type ResultDocument, type Status } from '../../src/engine/types.js';
import { HTML_ASSETS_LIMIT, HTML_FINDINGS_LIMIT, islandJson, renderHtml } from '../../src/reporters/html.js';
import { PAYLOADS, hostileResult } from '../threat-model/support/hostile.js';
import { sampleFixtureResult } from '../threat-model/support/fixture.js';

const REPORTS = fileURLToPath(new URL('../../reports/html/', import.meta.url));

const hash = (text: string): string => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

const decode = (text: string): string =>
  text.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&#x3D;/g, '=').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const between = (html: string, open: RegExp, close: string): string[] => {
  const out: string[] = [];
  for (const match of html.matchAll(new RegExp(`${open.source}([\\s\\S]*?)${close}`, 'g'))) out.push(match[1] as string);
  return out;
};

describe('HTML report (rendering)', () => {
  let sample: ResultDocument;
  let html: string;
  before(() => {
    sample = sampleFixtureResult();
    html = renderHtml(sample, {});
  });

  it('never uses triple-stash or ampersand output in its templates', () => {
    const files = [path.join(REPORTS, 'report.hbs'), ...readdirSync(path.join(REPORTS, 'partials')).map((f) => path.join(REPORTS, 'partials', f))];
    assert.ok(files.length > 5);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /\{\{\{|\{\{~?\s*&/, `${path.basename(file)} outputs unescaped`);
    }
  });

  it('allows its one inline style and its one inline script by SHA-256 under default-src none', () => {
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    assert.ok(meta, 'no CSP meta element');
    const csp = decode(meta[1] as string);
    assert.match(csp, /^default-src 'none'; /);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);
    const styles = between(html, /<style>/, '</style>');
    const scripts = between(html, /<script>/, '</script>');
    assert.equal(styles.length, 1);
    assert.equal(scripts.length, 1);
    assert.ok(csp.includes(`style-src '${hash(styles[0] as string)}'`), 'style hash does not match the inline style');
    assert.ok(csp.includes(`script-src '${hash(scripts[0] as string)}'`), 'script hash does not match the inline script');
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<style>'), 'the policy must come before the style');
  });

  it('loads nothing from anywhere: no src, no stylesheet link, no url() or @import', () => {
    assert.doesNotMatch(html, /\ssrc\s*=/i);
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /url\(|@import/i);
    assert.doesNotMatch(html, /<(img|iframe|object|embed|video|audio)\b/i);
  });

  it('shows every CSF function in the scorecard, and says that one no rule covers is a coverage gap', () => {
    for (const fn of CSF_FUNCTIONS) assert.match(html, new RegExp(`<tr class="fn[^"]*" data-function="${fn}">`));
    assert.match(html, /<tr class="fn uncovered" data-function="RS">/);
    assert.match(html, /No rule covers Respond\. This is a gap in coverage, not a pass\./);
    assert.equal((html.match(/<svg class="bar"/g) ?? []).length, 5);
  });

  it('carries the classification banner at the top and bottom, and the simulated-data notice for the demo', () => {
    assert.equal((html.match(/<div class="banner" role="note"><strong>CONFIDENTIAL — ACME ROCKETS INTERNAL<\/strong>/g) ?? []).length, 2);
    assert.match(html, /<strong>Simulated data\.<\/strong>/);
    const real = renderHtml({ ...sample, scan: { ...sample.scan, demo: false } }, {});
    assert.doesNotMatch(real, /Simulated data/);
  });

  it('has every section the reviewer needs', () => {
    for (const id of ['summary', 'scorecard', 'coverage', 'model', 'assets', 'register', 'plan', 'findings', 'accepted', 'formula']) {
      assert.match(html, new RegExp(`<section id="${id}">`), id);
    }
    assert.match(html, /Compared with the scan of 2026-02-02T09:00:00.000Z/);
    assert.match(decode(html), /critical 10 × restricted 4 × public 3 = 120/);
    assert.match(html, /s3:GetReplicationConfiguration/);
    assert.match(html, /Expired: counts again/);
  });

  it('has one table row per finding, failing first, each with its filter data in the island', () => {
    const rows = html.match(/<tr class="finding row-/g) ?? [];
    assert.equal(rows.length, sample.findings.length);
    const island = /<script type="application\/json" id="posture-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const data = JSON.parse(island) as { rows: { s: string; f: string }[] };
    assert.equal(data.rows.length, sample.findings.length);
    assert.deepEqual(data.rows.map((r) => r.s), sample.findings.map((f) => f.status));
  });

  it('orders the remediation plan by risk', () => {
    const plan = between(html, /<li class="step">\s*<h3><span class="badge band-\w+">\w+ · /, '<');
    const scores = plan.map(Number);
    assert.ok(scores.length > 5);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    assert.equal(scores[0], 120);
  });

  it('fills the resource into a remediation command only when it is safe to paste', () => {
    assert.match(html, /aws s3api put-public-access-block --bucket acme-customer-uploads /);
    const hostile = renderHtml(hostileResult(), {});
    assert.match(hostile, /put-public-access-block --bucket &lt;NAME&gt; /);
  });

  it('is a pure function of the result and the generation time', () => {
    assert.equal(renderHtml(sample, {}), html);
    assert.match(renderHtml(sample, { generatedAt: '2030-01-01T00:00:00Z' }), /Generated 2030-01-01T00:00:00Z by posture/);
  });

  it('lists an asset that selects nothing as a coverage warning, not as a register row', () => {
    const withEmpty: ResultDocument = { ...sample, assets: [...sample.assets!, { id: 'gone', name: 'Decommissioned archive', classification: 'restricted', source: 'model', owner: 'o', exposure: 'unknown', resources: [], findings: { pass: 0, fail: 0, unknown: 0, not_applicable: 0, suppressed: 0 }, risk: 0, band: 'none' }] };
    const text = renderHtml(withEmpty, {});
    assert.match(text, /1 asset\(s\) of the threat model select no resource in this scan: <span class="name">Decommissioned archive<\/span>/);
    assert.doesNotMatch(text, /<tr><th scope="row" class="name">Decommissioned archive<\/th>/);
    assert.match(text, /<tr><th scope="row" class="name">Backups<\/th>/);
  });

  it('renders a result without a threat-model section, ranking by severity', () => {
    const { threatModel: _m, assets: _a, threatRegister: _r, risks: _k, baseline: _b, ...plain } = sample;
    const text = renderHtml(plain, {});
    assert.match(text, /This result carries no threat model/);
    assert.match(text, /One step per failing rule, ordered by severity\./);
    assert.equal((text.match(/<tr class="finding row-/g) ?? []).length, sample.findings.length);
  });
});

describe('HTML report (hostile input)', () => {
  let html: string;
  before(() => {
    html = renderHtml(hostileResult(), {});
  });

  it('escapes names, paths and tags everywhere they appear', () => {
    for (const payload of [PAYLOADS.bucket, PAYLOADS.repo, PAYLOADS.workflowPath, PAYLOADS.secretPath]) assert.ok(!html.includes(payload), `raw ${payload}`);
    assert.doesNotMatch(html, /<img|<svg onload|<script>alert/);
    assert.match(html, /&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;/);
    assert.match(html, /config\/&lt;\/script&gt;&lt;script&gt;alert\(4\)&lt;\/script&gt;\.env/);
  });

  it('has exactly the two script elements it puts there', () => {
    assert.equal((html.match(/<script\b/gi) ?? []).length, 2);
    assert.equal((html.match(/<\/script/gi) ?? []).length, 2);
  });

  it('never links a javascript: reference', () => {
    assert.doesNotMatch(html, /href="javascript:/i);
    assert.match(html, /<li>javascript:alert\(5\)<\/li>/);
  });

  it('escapes <, >, &, U+2028 and U+2029 in the JSON island, which still parses to the same data', () => {
    const island = /<script type="application\/json" id="posture-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    assert.doesNotMatch(island, /[<>&\u2028\u2029]/);
    const data = JSON.parse(island) as { rows: { q: string }[] };
    assert.ok(data.rows.some((r) => r.q.includes(PAYLOADS.secretPath.toLowerCase())));
    assert.equal(islandJson({ a: '</script>\u2028&' }), '{"a":"\\u003c/script\\u003e\\u2028\\u0026"}');
  });
});

/**
 * The sample result with every finding, risk, asset and register cell copied `copies` times under
 * distinct fingerprints and resource ids, the summary counted again from the copies.
 */
const copied = (base: ResultDocument, copies: number, order: 'engine' | 'copies'): ResultDocument => {
  const suffix = (c: number) => (c === 0 ? '' : `#${c}`);
  const findings: Finding[] = [];
  for (let c = 0; c < copies; c++) for (const f of base.findings) findings.push({ ...f, fingerprint: `${f.fingerprint}${suffix(c)}`, resource: { ...f.resource, id: `${f.resource.id}${suffix(c)}` } });
  const rank: Record<Status, number> = { fail: 0, unknown: 1, suppressed: 2, pass: 3, not_applicable: 4 };
  // As evaluate() orders them: by status first (a stable sort keeps the rest of the order).
  if (order === 'engine') findings.sort((a, b) => rank[a.status] - rank[b.status]);
  const range = Array.from({ length: copies }, (_, c) => c);
  return {
    ...base,
    findings,
    summary: summarise(findings),
    risks: range.flatMap((c) => base.risks!.map((r) => ({ ...r, fingerprint: `${r.fingerprint}${suffix(c)}`, asset: `${r.asset}${suffix(c)}`, resource: { ...r.resource, id: `${r.resource.id}${suffix(c)}` } }))),
    assets: range.flatMap((c) =>
      base.assets!.map((a) => ({ ...a, id: `${a.id}${suffix(c)}`, name: c === 0 ? a.name : `${a.name} (${c})`, resources: a.resources.map((r) => ({ ...r, id: `${r.id}${suffix(c)}` })) })),
    ),
    threatRegister: range.flatMap((c) => base.threatRegister!.map((e) => ({ ...e, asset: `${e.asset}${suffix(c)}` }))),
  };
};

const tableRows = (html: string): { status: Status; index: number; fingerprint: string }[] =>
  [...html.matchAll(/<tr class="finding row-(\w+)" data-index="(\d+)">[\s\S]*?<\/tr>/g)].map((m) => ({
    status: m[1] as Status,
    index: Number(m[2]),
    fingerprint: /fingerprint <code>([^<]+)<\/code>/.exec(m[0])?.[1] ?? '',
  }));

const countBy = (statuses: Status[]): Record<Status, number> => {
  const counts = { fail: 0, unknown: 0, suppressed: 0, pass: 0, not_applicable: 0 };
  for (const s of statuses) counts[s]++;
  return counts;
};

const WORDS: Record<Status, string> = { fail: 'failing', unknown: 'could not be checked', suppressed: 'accepted', pass: 'passing', not_applicable: 'not applicable' };

/** The left-out counts by status, read from the notice above the table. */
const noticeOmitted = (html: string): Record<Status, number> => {
  const notice = /<p class="warning" id="findings-capped">([\s\S]*?)<\/p>/.exec(html)?.[1];
  assert.ok(notice, 'no notice above the findings table');
  const omitted = /Not listed here: ([\d,]+) findings \(([^)]*)\)/.exec(decode(notice));
  assert.ok(omitted, `no left-out counts in: ${notice}`);
  const counts = { fail: 0, unknown: 0, suppressed: 0, pass: 0, not_applicable: 0 };
  for (const status of STATUSES) {
    const match = new RegExp(`([\\d,]+) ${WORDS[status]}`).exec(omitted[2] as string);
    if (match) counts[status] = Number((match[1] as string).replace(/,/g, ''));
  }
  assert.equal(Number((omitted[1] as string).replace(/,/g, '')), STATUSES.reduce((n, s) => n + counts[s], 0), 'the total left out is the sum by status');
  return counts;
};

describe('HTML report (beyond its limits)', () => {
  let base: ResultDocument;
  let big: ResultDocument;
  let html: string;
  before(() => {
    base = sampleFixtureResult();
    // 160 copies of the 68 sample findings: 10,880 findings, of which 5,440 fail, could not be checked or are accepted.
    big = copied(base, 160, 'engine');
    html = renderHtml(big, {});
  });

  it('lists as many findings as its limit, every failing, unknown and accepted one before any passing one', () => {
    assert.ok(big.findings.length > HTML_FINDINGS_LIMIT, `${big.findings.length} findings`);
    const rows = tableRows(html);
    assert.equal(rows.length, HTML_FINDINGS_LIMIT);
    const all = countBy(big.findings.map((f) => f.status));
    const listed = countBy(rows.map((r) => r.status));
    assert.ok(all.fail + all.unknown + all.suppressed < HTML_FINDINGS_LIMIT && all.pass > 0);
    assert.equal(listed.fail, all.fail);
    assert.equal(listed.unknown, all.unknown);
    assert.equal(listed.suppressed, all.suppressed);
    assert.equal(listed.pass, HTML_FINDINGS_LIMIT - all.fail - all.unknown - all.suppressed);
    assert.equal(listed.not_applicable, 0);
    const firstPass = rows.findIndex((r) => r.status === 'pass');
    assert.ok(rows.slice(firstPass).every((r) => r.status === 'pass'), 'a failing, unknown or accepted row after a passing one');
    // The table's rows and the filter data describe the same findings.
    const island = JSON.parse(/<script type="application\/json" id="posture-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '') as { rows: { s: Status }[]; total: number };
    assert.equal(island.rows.length, HTML_FINDINGS_LIMIT);
    assert.equal(island.total, big.findings.length);
    assert.deepEqual(rows.map((r) => island.rows[r.index]?.s), rows.map((r) => r.status));
  });

  it('says exactly how many findings of each status it left out', () => {
    const all = countBy(big.findings.map((f) => f.status));
    const listed = countBy(tableRows(html).map((r) => r.status));
    const omitted = noticeOmitted(html);
    for (const status of STATUSES) assert.equal(omitted[status], all[status] - listed[status], status);
    assert.equal(omitted.pass, 720);
    assert.equal(omitted.not_applicable, 160);
    assert.match(decode(html), /This report lists 10,000 of 10,880 findings<\/strong>: all 4,800 failing, all 480 could not be checked, all 160 accepted and 4,560 of the 5,280 passing/);
    assert.match(html, /<option value="pass">Pass \(4,560 listed of 5,280\)<\/option>/);
  });

  it('counts the scorecard, the summary and the coverage from the whole result', () => {
    const s = big.summary;
    for (const fn of CSF_FUNCTIONS) {
      const row = new RegExp(`<tr class="fn[^"]*" data-function="${fn}">[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
      const cells = [...row.matchAll(/<td class="num[^"]*">(\d+)<\/td>/g)].map((m) => Number(m[1]));
      const c = s.byFunction[fn];
      assert.deepEqual(cells.slice(1, 6), [c.fail, c.unknown, c.suppressed, c.pass, c.not_applicable], fn);
    }
    assert.match(html, new RegExp(`<text x="21" y="20" class="donut-total">${s.total}</text>`));
    assert.match(html, new RegExp(`<span class="value">${s.byStatus.fail}</span><span class="label">Failing checks</span>`));
    assert.match(html, new RegExp(`<span class="value">${s.byStatus.pass}</span><span class="label">Passing checks</span>`));
    const unknownRows = [...html.matchAll(/<table class="unknowns">[\s\S]*?<\/table>/g)].map((m) => m[0]).join('');
    const unknownCount = [...unknownRows.matchAll(/<td class="num">(\d+)<\/td>/g)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(unknownCount, s.byStatus.unknown);
    assert.match(decode(html), /This report lists 10,000 of 10,880 findings<\/strong>, and the counts here are of all of them/);
  });

  it('lists the assets of highest risk in the inventory and the register, and says how many more there are', () => {
    const assets = big.assets!;
    assert.ok(assets.length > HTML_ASSETS_LIMIT);
    const inventory = [...html.matchAll(/<tr class="asset" data-asset="([^"]+)">/g)].map((m) => decode(m[1] as string));
    assert.equal(inventory.length, HTML_ASSETS_LIMIT);
    const risk = new Map(assets.map((a) => [a.id, a.risk]));
    const shown = new Set(inventory);
    const lowestShown = Math.min(...inventory.map((id) => risk.get(id) ?? 0));
    const omitted = assets.filter((a) => !shown.has(a.id));
    assert.ok(omitted.every((a) => a.risk <= lowestShown), 'an asset of higher risk was left out');
    const atRisk = omitted.filter((a) => a.risk > 0);
    assert.match(
      decode(html),
      new RegExp(`This inventory lists the 500 assets of highest risk of ${assets.length.toLocaleString('en-US')}\\.</strong> The other ${omitted.length.toLocaleString('en-US')} are in result.json; ${atRisk.length.toLocaleString('en-US')} of them carry an open risk \\(up to ${Math.max(...atRisk.map((a) => a.risk))}\\)`),
    );
    const registerRows = html.match(/<details class="register-detail">/g) ?? [];
    assert.equal(registerRows.length, HTML_ASSETS_LIMIT);
    assert.match(html, /<p class="warning" id="register-capped"><strong>This register lists the 500 assets of highest risk of/);
  });

  it('lists the failing findings of highest risk when they alone exceed the limit, whatever the result order', () => {
    const result = copied(base, 5, 'copies');
    const limit = 100;
    const text = renderHtml(result, { findingsLimit: limit });
    const rows = tableRows(text);
    assert.equal(rows.length, limit);
    assert.ok(rows.every((r) => r.status === 'fail'));
    const residual = new Map(result.risks!.map((r) => [r.fingerprint, r.residual]));
    const listed = new Set(rows.map((r) => r.fingerprint));
    const lowestListed = Math.min(...rows.map((r) => residual.get(r.fingerprint) ?? 0));
    const omittedFails = result.findings.filter((f) => f.status === 'fail' && !listed.has(f.fingerprint));
    assert.equal(omittedFails.length, 150 - limit);
    assert.ok(omittedFails.every((f) => (residual.get(f.fingerprint) ?? 0) <= lowestListed), 'a failing finding of higher risk was left out');
    assert.ok(lowestListed > 0);
    // The listed rows keep the result's order.
    const position = new Map(result.findings.map((f, i) => [f.fingerprint, i]));
    const order = rows.map((r) => position.get(r.fingerprint) ?? -1);
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
    const omitted = noticeOmitted(text);
    assert.deepEqual(omitted, { fail: 50, unknown: 15, suppressed: 5, pass: 165, not_applicable: 5 });
    assert.match(decode(text), /This report lists 100 of 340 findings<\/strong>: 100 of the 150 failing \(highest risk first\)\./);
  });

  it('lists every finding and no notice at the limit itself', () => {
    const text = renderHtml(base, { findingsLimit: base.findings.length });
    assert.equal(tableRows(text).length, base.findings.length);
    assert.doesNotMatch(text, /findings-capped|assets-capped|register-capped|listed findings/);
    assert.match(text, /<h2>All findings<\/h2>/);
  });
});
