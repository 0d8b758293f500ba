import assert from 'node:assert/strict';
import { applyBaseline, carryFirstSeen, diffResults, renderDiffJson, renderDiffMarkdown, renderDiffText } from '../../src/diff/index.js';
import type { ResultDocument } from '../../src/engine/types.js';
import { assertValid, createSchemaSet } from '../../src/facts/documents.js';
import { ciResources, ciResult } from '../support/ci-results.js';

const withAttributes = (id: string, attributes: Record<string, unknown>) => ciResources().map((r) => (r.id === id ? { ...r, attributes: { ...r.attributes, ...attributes } } : r));

const LODASH = 'https://github.com/acme/rockets/package-lock.json#pkg:npm/lodash@4.17.15';

describe('posture diff', () => {
  // Baseline: release.yml not there yet, lodash only medium, acme-logs failing, a workflow that is gone now.
  const baseline = (): ResultDocument =>
    ciResult({
      scanTime: '2026-02-01T00:00:00.000Z',
      resources: [
        ...withAttributes(LODASH, { severity: 'medium' }).filter((r) => !r.id.endsWith('release.yml')),
        { kind: 'source.workflow', id: 'https://github.com/acme/rockets/.github/workflows/old.yml', name: 'old.yml', source: 'local-repo', location: { path: '.github/workflows/old.yml' }, attributes: { actions: [{ uses: 'x/y@v1', line: 3, pinned: false }] } },
      ],
    });
  const current = (): ResultDocument => ciResult({ resources: withAttributes('arn:aws:s3:::acme-logs', { enabled: true }) });

  it('sorts failing findings into new, fixed (with what they are now), changed severity and unchanged', () => {
    const diff = diffResults(baseline(), current());
    assert.deepEqual(diff.new.map((f) => f.resource.name), ['.github/workflows/release.yml']);
    assert.deepEqual(diff.fixed.map((f) => [f.before.resource.name, f.now]).sort(), [['acme-logs', 'pass'], ['old.yml', 'gone']]);
    assert.deepEqual(diff.changed.map((c) => [c.after.resource.name, c.before.severity, c.after.severity]), [['lodash@4.17.15', 'medium', 'high']]);
    assert.ok(diff.unchanged.length >= 4);
    assert.ok(diff.unchanged.every((f) => f.status === 'fail'));
    assert.equal(diff.sameRules, true);
    assert.deepEqual(diff.warnings, []);
    assert.deepEqual(diff.suppressions.expired.map((s) => s.resource), ['arn:aws:s3:::acme-legacy']);
    assert.equal(diff.suppressions.stale.length, 1);
  });

  it('counts a finding that is now suppressed as fixed, saying so', () => {
    // Before the suppression was written, the finding failed.
    const before = ciResult({ scanTime: '2026-02-01T00:00:00.000Z' });
    before.findings.filter((f) => f.resource.name === 'acme-public-assets').forEach((f) => (f.status = 'fail'));
    const diff = diffResults(before, ciResult());
    assert.deepEqual(diff.fixed.map((f) => [f.before.resource.name, f.now]), [['acme-public-assets', 'suppressed']]);
  });

  it('warns when the baseline was made with other rules', () => {
    const old = baseline();
    old.scan.rulesHash = 'f'.repeat(64);
    const diff = diffResults(old, current());
    assert.equal(diff.sameRules, false);
    assert.match(diff.warnings[0]!, /was made with other rules \(rulesHash ffffffffffff, now 111111111111\)/);
    assert.match(renderDiffText(diff), /^warning: the baseline/m);
    assert.match(renderDiffMarkdown(diff), /> \*\*Warning:\*\* the baseline/);
  });

  it('carries firstSeen forward from the baseline, else the baseline scan time, else this scan', () => {
    const old = baseline();
    const ci = old.findings.find((f) => f.resource.name === '.github/workflows/ci.yml')!;
    ci.firstSeen = '2025-11-11T11:11:11.000Z';
    const carried = carryFirstSeen(current(), old);
    const byName = (name: string) => carried.findings.find((f) => f.resource.name === name && f.status !== 'pass')!;
    assert.equal(byName('.github/workflows/ci.yml').firstSeen, '2025-11-11T11:11:11.000Z');
    assert.equal(byName('lodash@4.17.15').firstSeen, '2026-02-01T00:00:00.000Z', 'the baseline had no firstSeen: its scan time');
    assert.equal(byName('.github/workflows/release.yml').firstSeen, '2026-03-01T00:00:00.000Z', 'new: this scan');
    assert.equal(byName('acme-public-assets').firstSeen, '2026-02-01T00:00:00.000Z', 'suppressed findings keep their age too');
    assert.equal(carried.findings.find((f) => f.resource.name === 'acme-ok')!.firstSeen, undefined, 'passing findings have none');
    assert.equal(carried.findings.find((f) => f.resource.name === 'acme-logs')!.firstSeen, undefined, 'fixed now: none');
    // A second scan carries the first scan's firstSeen on.
    const third = carryFirstSeen(ciResult({ scanTime: '2026-04-01T00:00:00.000Z' }), carried);
    assert.equal(third.findings.find((f) => f.resource.name === '.github/workflows/release.yml' && f.status === 'fail')!.firstSeen, '2026-03-01T00:00:00.000Z');
  });

  it('fills the result document baseline section, which validates against the result schema', () => {
    const { result } = applyBaseline(current(), baseline());
    assertValid(createSchemaSet(), 'result', JSON.parse(JSON.stringify(result)), 'result with baseline');
    assert.deepEqual(result.baseline?.counts, { new: 1, fixed: 2, unchanged: result.baseline!.counts.unchanged, changed: 1 });
    assert.equal(result.baseline?.new.length, 1);
  });

  it('renders JSON with counts and entries, text with markers, Markdown with escaping and within the size limit', () => {
    const diff = diffResults(baseline(), current());
    const json = JSON.parse(renderDiffJson(diff)) as { counts: Record<string, number>; new: { ruleId: string; location: { path: string } }[]; fixed: { now: string }[]; changed: { from: string; to: string }[] };
    assert.deepEqual(json.counts, { new: 1, fixed: 2, changed: 1, unchanged: diff.unchanged.length });
    assert.equal(json.new[0]!.location.path, '.github/workflows/release.yml');
    assert.deepEqual(json.changed.map((c) => [c.from, c.to]), [['medium', 'high']]);
    const text = renderDiffText(diff);
    assert.match(text, /^posture diff: 1 new, 2 fixed, 1 changed severity/);
    assert.match(text, /\+ medium\s+workflow-actions-pinned\s+\.github\/workflows\/release\.yml:5/);
    assert.match(text, /~ medium -> high\s+dependency-no-known-vulnerabilities/);
    assert.match(text, /- high\s+s3-bucket-encrypted\s+arn:aws:s3:::acme-logs\s+\(passes\)/);
    const md = renderDiffMarkdown(diff, { header: '<!-- marker -->' });
    assert.ok(md.startsWith('<!-- marker -->\n## posture: changes since the baseline'));
    assert.match(md, /\| MEDIUM \| `workflow-actions-pinned` \| `\.github\/workflows\/release\.yml:5` \|/);
    assert.match(md, /\*\*expired\*\* `s3-bucket-encrypted` on `arn:aws:s3:::acme-legacy`/);

    const hostile = ciResult({
      resources: [...ciResources(), { kind: 'source.workflow', id: 'https://github.com/acme/rockets/x.yml', name: '<img src=x> @octocat', source: 'local-repo', location: { path: 'x|y.yml' }, attributes: { actions: [{ uses: 'a@v1', line: 1, pinned: false }] } }],
    });
    const escaped = renderDiffMarkdown(diffResults(baseline(), hostile));
    assert.ok(!escaped.replace(/`[^`]*`/g, '').includes('<img'), 'no raw HTML outside code spans');
    assert.ok(!escaped.includes('@octocat'), 'no mention');
    const many = ciResult({
      resources: Array.from({ length: 2000 }, (_, i) => ({ kind: 'source.workflow' as const, id: `https://github.com/acme/rockets/w${i}.yml`, name: `w${i}-${'x'.repeat(60)}.yml`, source: 'local-repo' as const, location: { path: `w${i}.yml` }, attributes: { actions: [{ uses: 'a@v1', line: 1, pinned: false }] } })),
    });
    const cut = renderDiffMarkdown(diffResults(baseline(), many), { limitBytes: 20_000 });
    assert.ok(Buffer.byteLength(cut) <= 20_000, `${Buffer.byteLength(cut)}`);
    assert.match(cut, /and \d+ more: see the job's report\.md/);
  });
});
