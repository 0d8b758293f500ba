import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { FactsDocument, Resource } from '../../src/facts/types.js';
import type { ResultDocument } from '../../src/engine/types.js';
import { renderHtml } from '../../src/reporters/html.js';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { buildSarif } from '../../src/reporters/sarif.js';
import { renderWorkflowCommands } from '../../src/reporters/workflow-commands.js';
import { buildSampleResult, sampleFacts } from '../threat-model/support/sample.js';

const CHROMIUM = '/usr/bin/chromium';

// The real hostile path from osv-scanner's own snapshot tests (shared data, machinejson_test.snap).
const OSV_PATH = 'dir/r::stop-commands::T/r::error::INJECTED/n::warning::pwn/lockfile';

/** Script, HTML, Markdown and workflow-command injections; each one is unique so it can be traced. */
const PAYLOADS = [
  '<script>alert("s1")</script>',
  '<img src=http://127.0.0.1:9/i1.png onerror=alert("i1")>',
  '"><svg onload=alert("v1")>',
  "'><iframe src=javascript:alert('f1')></iframe>",
  '</textarea></style></script><script>alert("x1")</script>',
  '{{constructor.constructor("alert(\\"h1\\")")()}}',
  '<a href="javascript:alert(\'a1\')">click</a>',
  '![m1](http://127.0.0.1:9/m1.png)',
  '[l1](javascript:alert("l1"))',
  '@octocat please look #123',
  '| c1 | c2 |\n|---|---|',
  '**b1** _e1_ `k1` ~~s1~~ # h1',
  '::error file=x,line=1::w1%0A::warning::w2',
  '::stop-commands::pwn1\r\n::add-mask::w3',
  '%25%0A%0D100%,a:b,c',
  OSV_PATH,
  'a\u2028b\u2029c\u0000d',
  '<!-- c1 --><details open><summary>d1</summary>',
];

/** Every string of a value replaced by the next payload (keys kept: they are schema names). */
const poison = (value: unknown, next: () => string): unknown => {
  if (typeof value === 'string') return /^\d{4}-\d{2}-\d{2}/.test(value) ? value : next();
  if (Array.isArray(value)) return value.map((v) => poison(v, next));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poison(v, next)]));
  }
  return value;
};

const hostileFacts = (): FactsDocument => {
  const facts = sampleFacts();
  let i = 0;
  const next = (): string => PAYLOADS[i++ % PAYLOADS.length] as string;
  facts.resources = facts.resources.map((resource): Resource => {
    const payload = next();
    return {
      ...resource,
      id: `${resource.id}/${payload}`,
      name: payload,
      ...(resource.tags ? { tags: Object.fromEntries(Object.keys(resource.tags).map((k) => [k, next()])) } : { tags: { note: next() } }),
      ...(resource.location ? { location: { ...resource.location, path: resource.kind === 'dependency.package' ? OSV_PATH : next() } } : {}),
      attributes: poison(resource.attributes, next) as Resource['attributes'],
    };
  });
  return facts;
};

describe('hostile names in reports', function () {
  this.timeout(120_000);
  let result: ResultDocument;
  before(() => {
    result = buildSampleResult(hostileFacts());
    assert.ok(result.findings.some((f) => f.status === 'fail' && PAYLOADS.includes(f.resource.name)), 'failing findings carry the hostile names');
    assert.ok(new Set(result.findings.map((f) => f.resource.kind)).size >= 8, 'findings on every kind of the sample estate');
  });

  it('Markdown: no raw HTML, no images or links, no table breaks, no mentions or issue references', () => {
    // Inside a code span GitHub shows HTML and Markdown literally; everything else must be inert.
    const md = renderMarkdown(result).replace(/`[^`\n]*`/g, '`code`');
    for (const tag of ['<script', '<img', '<svg', '<iframe', '<a ', '<details', '<summary', '<!--', '</textarea', '</style']) assert.ok(!md.includes(tag), `no raw ${tag}`);
    assert.doesNotMatch(md, /!\[m1\]\(/, 'no image');
    assert.doesNotMatch(md, /(?<!\\)\[l1(?<!\\)\]\(/, 'no link');
    assert.doesNotMatch(md, /(^|[^\w.-])@octocat/, 'the mention is broken');
    assert.doesNotMatch(md, /(^|[^\w&])#123/, 'the issue reference is broken');
    assert.match(md, /@\u200boctocat/);
    assert.doesNotMatch(md, /(?<!\\)\*\*b1(?<!\\)\*\*/, 'no bold from a name');
    // Every table row keeps its column count: a `|` from a name is always escaped.
    for (const line of md.split('\n').filter((l) => l.startsWith('|'))) {
      assert.doesNotMatch(line, /(?<!\\)\| c1 (?<!\\)\|/, line);
    }
  });

  it('workflow commands: one command per line, properties escape %, CR, LF, : and ,', () => {
    const { lines } = renderWorkflowCommands(result);
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.ok(!/[\r\n]/.test(line), `one line: ${JSON.stringify(line)}`);
      const match = /^::(error|warning|notice) ([^:]*)::([\s\S]*)$/.exec(line);
      if (!match) {
        assert.doesNotMatch(line, /^::/, `a plain summary line, not a command: ${line}`);
        continue;
      }
      const [, , properties, message] = match as unknown as [string, string, string, string];
      for (const property of properties.split(',')) assert.match(property, /^(file|line|title|col|endLine|endColumn)=[^,:\r\n]*$/, property);
      assert.doesNotMatch(message, /%(?!25|0A|0D)/, `data escapes %: ${message}`);
      assert.ok(!message.includes('::stop-commands::pwn1\r'), 'no raw CR');
    }
    assert.ok(lines.some((l) => l.includes('stop-commands%3A%3AT') || l.includes('r%3A%3Astop-commands')), `the osv-scanner path is escaped in file=: ${lines.join('\n').slice(0, 400)}`);
  });

  it('SARIF carries every payload intact, as data', () => {
    const log = buildSarif(result).log;
    const text = JSON.stringify(log);
    const decoded = JSON.parse(text) as unknown;
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(decoded);
    const all = strings.join('\n');
    const carried = PAYLOADS.filter((p) => all.includes(p));
    assert.ok(carried.length >= 3, `payloads appear verbatim in SARIF strings (${carried.length})`);
    const uris = strings.filter((s) => s.includes('stop-commands'));
    assert.ok(uris.length > 0, 'the osv-scanner path is in the SARIF log');
  });

  it('HTML in Chromium runs nothing and requests nothing', async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install chromium)`);
      this.skip();
    }
    const work = mkdtempSync(path.join(tmpdir(), 'posture-hostile-'));
    const file = path.join(work, 'report.html');
    writeFileSync(file, renderHtml(result, {}));
    const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      const dialogs: string[] = [];
      const errors: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      page.on('pageerror', (error) => errors.push(error.message));
      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });
      // Open every collapsed part and hover everything, so lazily built content is built too.
      await page.evaluate(`for (const d of document.querySelectorAll('details')) d.open = true;`);
      await page.waitForTimeout(300);
      assert.deepEqual(dialogs, [], 'no script ran');
      assert.deepEqual(requests, [url], 'no request but the file itself');
      assert.deepEqual(errors, []);
      const text = (await page.evaluate('document.body.textContent')) as string;
      assert.ok(text.includes('<script>alert("s1")</script>'), 'the script payload is shown as text');
      assert.ok(text.includes(OSV_PATH) || text.includes('stop-commands'), 'the hostile path is shown as text');
    } finally {
      await context.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
