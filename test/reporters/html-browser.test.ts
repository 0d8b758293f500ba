import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Finding, ResultDocument } from '../../src/engine/types.js';
import { renderHtml } from '../../src/reporters/html.js';
import { sampleFixtureResult } from '../threat-model/support/fixture.js';
import { PAYLOADS, hostileResult } from '../threat-model/support/hostile.js';
import { buildSampleResult, sampleFacts } from '../threat-model/support/sample.js';
import { defaultThreatModel } from '../../src/threat-model/model.js';

const CHROMIUM = '/usr/bin/chromium';
/** The findings limit of the capped report: fewer than the large result's 199 failing findings. */
const CAPPED = 150;

// The callbacks passed to the page run in Chromium; this project compiles without the DOM library.
declare const document: { querySelectorAll: (selector: string) => { length: number }; body: { textContent: string | null } };
declare const getComputedStyle: (element: unknown) => { backgroundColor: string };
type Hideable = { hidden: boolean };

type Opened = { page: Page; errors: string[]; requests: string[]; dialogs: string[]; url: string };

/** What a finding is searched by, as the report promises: rule, title, message, resource, path, evidence, asset. */
const searchable = (finding: Finding, asset: string): string =>
  [finding.ruleId, finding.title, finding.message, finding.resource.name, finding.resource.id, finding.location?.path ?? '', ...finding.evidence.map((e) => e.detail), asset].join('\n').toLowerCase();

/** The sample estate with 80 more buckets: more findings than one page of the table. */
const largeResult = (): ResultDocument => {
  const facts = sampleFacts();
  const template = facts.resources.find((r) => r.kind === 'aws.s3.bucket')!;
  for (let i = 0; i < 80; i++) facts.resources.push({ ...template, id: `arn:aws:s3:::bulk-${i}`, name: `bulk-${i}`, attributes: { ...template.attributes, public: i % 10 === 0 } });
  return buildSampleResult(facts, { model: defaultThreatModel(), source: 'default' });
};

const assetNames = (result: ResultDocument): Map<string, string> => {
  const names = new Map<string, string>();
  for (const asset of result.assets ?? []) for (const r of asset.resources) names.set(`${r.kind}\u0000${r.id}`, asset.name);
  return names;
};

describe('HTML report in Chromium', function () {
  this.timeout(120_000);
  let context: BrowserContext | undefined;
  let work: string;
  let result: ResultDocument;
  let hostile: ResultDocument;
  let large: ResultDocument;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install chromium)`);
      console.warn(`      skipped: ${CHROMIUM} is absent; install Debian's chromium to run the browser tests (they are required when CI=true)`);
      this.skip();
    }
    work = mkdtempSync(path.join(tmpdir(), 'posture-html-'));
    result = sampleFixtureResult();
    hostile = hostileResult();
    writeFileSync(path.join(work, 'report.html'), renderHtml(result, {}));
    writeFileSync(path.join(work, 'hostile.html'), renderHtml(hostile, {}));
    large = largeResult();
    writeFileSync(path.join(work, 'large.html'), renderHtml(large, {}));
    writeFileSync(path.join(work, 'capped.html'), renderHtml(large, { findingsLimit: CAPPED }));
    // An empty profile, no sandbox (containers), nothing that phones home; never a browser download.
    context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await context?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const open = async (file: string): Promise<Opened> => {
    const page = await context!.newPage();
    const opened: Opened = { page, errors: [], requests: [], dialogs: [], url: pathToFileURL(path.join(work, file)).href };
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') opened.errors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => opened.errors.push(`pageerror: ${error.message}`));
    page.on('request', (request) => opened.requests.push(request.url()));
    page.on('dialog', (dialog) => {
      opened.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(opened.url, { waitUntil: 'load' });
    return opened;
  };

  const visibleRows = (page: Page): Promise<number> =>
    page.$$eval('#findings-table tbody tr.finding', (rows) => rows.filter((row) => !(row as unknown as Hideable).hidden).length);

  const shownText = async (page: Page): Promise<string> => (await page.textContent('#findings-count')) ?? '';

  it('renders from a file URL with no console error and no request but the file itself', async () => {
    const { page, errors, requests, url } = await open('report.html');
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url]);
    // The hashes let the style and script run: the banner is styled and the script showed the filters.
    assert.equal(await page.$eval('.banner', (el) => getComputedStyle(el).backgroundColor), 'rgb(142, 27, 27)');
    assert.equal(await page.$eval('#filters', (el) => (el as unknown as Hideable).hidden), false);
    assert.equal(await visibleRows(page), result.findings.length);
    assert.equal(await shownText(page), `${result.findings.length} of ${result.findings.length} findings match`);
    await page.close();
  });

  it('gives, for every option of every filter, the row count that result.json implies', async () => {
    const { page, errors } = await open('report.html');
    const assets = assetNames(result);
    const keys: { select: string; of: (f: Finding) => string }[] = [
      { select: '#filter-function', of: (f) => f.csf.function },
      { select: '#filter-severity', of: (f) => f.severity },
      { select: '#filter-status', of: (f) => f.status },
      { select: '#filter-source', of: (f) => f.resource.source },
      { select: '#filter-asset', of: (f) => assets.get(`${f.resource.kind}\u0000${f.resource.id}`) ?? '' },
    ];
    let checked = 0;
    for (const key of keys) {
      const values = await page.$$eval(`${key.select} option`, (options) => options.map((o) => (o as unknown as { value: string }).value).filter(Boolean));
      assert.ok(values.length > 0, `${key.select} has no options`);
      for (const value of values) {
        await page.selectOption(key.select, value);
        const expected = result.findings.filter((f) => key.of(f) === value).length;
        assert.equal(await visibleRows(page), expected, `${key.select} = ${value}`);
        assert.equal(await shownText(page), `${expected} of ${result.findings.length} findings match`);
        checked++;
      }
      await page.selectOption(key.select, '');
    }
    assert.ok(checked >= 30, `only ${checked} filter values checked`);
    const rs = result.findings.filter((f) => f.csf.function === 'RS').length;
    await page.selectOption('#filter-function', 'RS');
    assert.equal(await visibleRows(page), rs);
    assert.equal(await page.isVisible('#findings-empty'), rs === 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('searches rule, resource, path and evidence, all words at once, and combines with the filters', async () => {
    const { page } = await open('report.html');
    const assets = assetNames(result);
    const expected = (query: string, filter: (f: Finding) => boolean = () => true): number => {
      const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
      return result.findings.filter((f) => filter(f) && terms.every((t) => searchable(f, assets.get(`${f.resource.kind}\u0000${f.resource.id}`) ?? '').includes(t))).length;
    };
    for (const query of ['acme-customer-uploads', 's3-bucket-not-public', 'package-lock.json', 'GuardDuty', 'actions/checkout@v4', 's3-bucket-versioning acme-app-logs', 'Third-party npm', 'no-such-thing-anywhere']) {
      await page.fill('#filter-search', query);
      const want = expected(query);
      assert.equal(await visibleRows(page), want, `search "${query}"`);
      if (query === 'no-such-thing-anywhere') assert.equal(want, 0);
      else assert.ok(want > 0, `"${query}" should match something`);
    }
    await page.fill('#filter-search', 'acme');
    await page.selectOption('#filter-status', 'fail');
    await page.selectOption('#filter-source', 'aws-s3');
    assert.equal(await visibleRows(page), expected('acme', (f) => f.status === 'fail' && f.resource.source === 'aws-s3'));
    await page.click('#filter-reset');
    await page.waitForFunction((total) => document.querySelectorAll('#findings-table tbody tr.finding:not([hidden])').length === total, result.findings.length);
    assert.equal(await page.inputValue('#filter-status'), '');
    await page.close();
  });

  it('shows a large table a page of 500 rows at a time, and the rest on request', async () => {
    const { page, errors } = await open('large.html');
    const total = large.findings.length;
    assert.ok(total > 500 && total <= 1000, `${total} findings`);
    assert.equal(await visibleRows(page), 500);
    assert.equal(await shownText(page), `${total} of ${total} findings match (showing 500)`);
    assert.equal(await page.textContent('#findings-more'), `Show ${total - 500} more`);
    await page.click('#findings-more');
    assert.equal(await visibleRows(page), total);
    assert.equal(await page.isVisible('#findings-more'), false);
    await page.selectOption('#filter-status', 'fail');
    const failing = large.findings.filter((f) => f.status === 'fail').length;
    assert.equal(await visibleRows(page), Math.min(500, failing));
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('in a capped report, shows the notice and filters the listed findings, saying so', async () => {
    const { page, errors } = await open('capped.html');
    const total = large.findings.length;
    const fails = large.findings.filter((f) => f.status === 'fail').length;
    assert.ok(fails > CAPPED && total > CAPPED, `${fails} failing of ${total}`);
    assert.equal(await page.isVisible('#findings-capped'), true);
    assert.match((await page.textContent('#findings-capped')) ?? '', new RegExp(`This report lists ${CAPPED} of ${total} findings`));
    assert.equal(await visibleRows(page), CAPPED);
    assert.equal(await shownText(page), `${CAPPED} of ${CAPPED} listed findings match; the result has ${total}, see the notice above`);
    // Every status gives the rows of that status the table lists, and the option says how many of the result's those are.
    for (const status of ['fail', 'unknown', 'suppressed', 'pass', 'not_applicable']) {
      await page.selectOption('#filter-status', status);
      const listed = await page.$$eval(`#findings-table tbody tr.finding.row-${status}`, (rows) => rows.length);
      const inResult = large.findings.filter((f) => f.status === status).length;
      assert.equal(listed, status === 'fail' ? CAPPED : 0, status);
      assert.equal(await visibleRows(page), listed, status);
      assert.equal(await shownText(page), `${listed} of ${CAPPED} listed findings match; the result has ${total}, see the notice above`);
      assert.match((await page.textContent(`#filter-status option[value="${status}"]`)) ?? '', new RegExp(`\\(${listed} listed of ${inResult.toLocaleString('en-US')}\\)$`));
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows hostile names and paths as text and runs none of them', async () => {
    const { page, errors, requests, dialogs, url } = await open('hostile.html');
    await page.waitForTimeout(300);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url]);
    assert.equal(await page.$$eval('img, iframe, object, embed', (els) => els.length), 0);
    assert.equal(await page.$$eval('[onerror], [onload], [onclick]', (els) => els.length), 0);
    assert.equal(await page.$$eval('script', (els) => els.length), 2);
    assert.equal(await page.$$eval('a[href^="javascript:"]', (els) => els.length), 0);
    const text = await page.evaluate(() => document.body.textContent ?? '');
    for (const payload of [PAYLOADS.bucket, PAYLOADS.repo, PAYLOADS.workflowPath, PAYLOADS.secretPath, PAYLOADS.reference]) assert.ok(text.includes(payload), `"${payload}" is not shown as text`);
    // The island survived its escaping: searching for the payload finds the bucket's findings.
    await page.fill('#filter-search', PAYLOADS.bucket);
    const bucketFindings = hostile.findings.filter((f) => f.resource.name === PAYLOADS.bucket).length;
    assert.ok(bucketFindings > 0);
    assert.equal(await visibleRows(page), bucketFindings);
    await page.close();
  });
});
