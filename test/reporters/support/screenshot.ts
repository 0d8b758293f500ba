/**
 * Takes the README's screenshot of an HTML report with the local Chromium (no browser download):
 *   npx tsx test/reporters/support/screenshot.ts [posture-report/report.html] [docs/report-screenshot.png]
 * Without a report, it renders fixtures/threat-model/result.json first.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { ResultDocument } from '../../../src/engine/types.js';
import { renderHtml } from '../../../src/reporters/html.js';
import { FIXTURES } from '../../threat-model/support/sample.js';

const main = async (): Promise<void> => {
  const work = mkdtempSync(path.join(tmpdir(), 'posture-shot-'));
  try {
    let report = process.argv[2];
    if (!report) {
      report = path.join(work, 'report.html');
      const result = JSON.parse(readFileSync(path.join(FIXTURES, 'result.json'), 'utf8')) as ResultDocument;
      writeFileSync(report, renderHtml(result, {}));
    }
    const out = process.argv[3] ?? 'docs/report-screenshot.png';
    const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 1500 },
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    await page.goto(pathToFileURL(path.resolve(report)).href, { waitUntil: 'load' });
    await page.screenshot({ path: out, fullPage: false });
    await context.close();
    process.stdout.write(`wrote ${out}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

await main();
