import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultDocument } from '../../src/engine/types.js';
import { assertValid, createSchemaSet } from '../../src/facts/documents.js';
import { escapeMarkdown } from '../../src/reporters/escape.js';
import { summariseBaseline } from '../../src/threat-model/baseline.js';
import { renderThreatSummaryMarkdown } from '../../src/threat-model/markdown.js';
import { FIXTURES, sampleFixtureResult } from './support/fixture.js';
import { buildSampleResult, sampleBaselineFacts, sampleFacts } from './support/sample.js';

describe('baseline summary', () => {
  it('counts new, fixed, changed and unchanged failing findings by fingerprint', () => {
    const current = buildSampleResult();
    const baseline = buildSampleResult(sampleBaselineFacts());
    const summary = summariseBaseline(current, baseline);
    assert.deepEqual(summary.counts, { new: 1, fixed: 1, unchanged: 28, changed: 1 });
    const bob = current.findings.find((f) => f.ruleId === 'iam-user-mfa-enabled' && f.resource.name === 'bob');
    assert.deepEqual(summary.new, [bob?.fingerprint]);
    assert.equal(summary.fixed[0]?.resource.name, 'alice');
    assert.deepEqual(summary.changed.map((c) => [c.from, c.to]), [['high', 'critical']]);
    assert.equal(summary.sameRules, true);
  });

  it('says when the baseline ran other rules', () => {
    const current = buildSampleResult();
    const baseline = buildSampleResult();
    baseline.scan.rulesHash = 'f'.repeat(64);
    assert.equal(summariseBaseline(current, baseline).sameRules, false);
  });
});

describe('the fixture result document', () => {
  it('validates against the result schema', () => {
    const fixture = JSON.parse(readFileSync(path.join(FIXTURES, 'result.json'), 'utf8')) as ResultDocument;
    assertValid(createSchemaSet(), 'result', fixture, 'fixtures/threat-model/result.json');
  });

  it('is what the sample generator writes (regenerate with test/threat-model/support/write-fixtures.ts)', () => {
    const fixture = JSON.parse(readFileSync(path.join(FIXTURES, 'result.json'), 'utf8')) as ResultDocument;
    assert.deepEqual(fixture, JSON.parse(JSON.stringify(sampleFixtureResult())));
  });
});

describe('threat summary in Markdown', () => {
  it('lists the top open risks with their arithmetic and the register per STRIDE category', () => {
    const text = renderThreatSummaryMarkdown(buildSampleResult(), escapeMarkdown);
    assert.match(text, /^## Top risks/m);
    assert.match(text, /\| 1 \| \*\*critical\*\* \| 120 \| s3-bucket-not-public \| acme-customer-uploads \| Customer uploads and payment exports \| critical 10 × restricted 4 × public 3 = 120 \|/);
    assert.match(text, /^## Threat register/m);
    assert.match(text, /\| Information disclosure \| \d+ \| \d+ \| \d+ \| \d+ \| \d+ \|/);
    assert.match(text, /1 risk\(s\) accepted until their expiry date/);
    assert.match(text, /1 accepted risk\(s\) expired and count again:\*\*\n\n- s3-bucket-versioning-enabled on acme-build-cache: medium, 16 \(accepted by platform@\u200b?acme\.example until 2025-12-31\)/);
  });

  it('caps the risks at ten and says how many more there are', () => {
    const result = buildSampleResult();
    const open = result.risks!.filter((r) => r.residual > 0).length;
    const text = renderThreatSummaryMarkdown(result, escapeMarkdown);
    assert.equal(text.split('\n').filter((l) => /^\| \d+ \| \*\*/.test(l)).length, 10);
    assert.match(text, new RegExp(`${open - 10} more open risk\\(s\\)`));
  });

  it('passes every outside string through the escape function', () => {
    const facts = sampleFacts({ names: { 'arn:aws:s3:::acme-customer-uploads': '<img src=x onerror=alert(1)>|pipe' } });
    const text = renderThreatSummaryMarkdown(buildSampleResult(facts), escapeMarkdown);
    assert.doesNotMatch(text, /<img/);
    assert.match(text, /&lt;img src=x onerror=alert\(1\)&gt;\\\|pipe/);
  });

  it('is empty for a result without a threat-model section', () => {
    const { threatModel: _t, assets: _a, threatRegister: _r, risks: _k, ...plain } = buildSampleResult();
    assert.equal(renderThreatSummaryMarkdown(plain, escapeMarkdown), '');
  });
});
