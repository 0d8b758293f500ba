import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSF_FUNCTIONS, type ResultDocument } from '../../src/engine/types.js';
import { islandJson, renderHtml } from '../../src/reporters/html.js';
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
