import assert from 'node:assert/strict';
import { createEngine, evaluate } from '../../src/engine/evaluate.js';
import { fingerprint } from '../../src/engine/fingerprint.js';
import type { FactsDocument, Resource } from '../../src/facts/types.js';
import { unknown } from '../../src/facts/types.js';
import { makeRule } from '../support/rules.js';

const scanTime = new Date('2026-03-01T00:00:00Z');
const engine = createEngine(scanTime);
const decide = (rule = makeRule(), attributes: Record<string, unknown> = {}, params: Record<string, unknown> = {}) =>
  engine.decide(engine.compile(rule, params), { attributes });

describe('engine: decisions', () => {
  it('passes, fails and is not applicable on known data', () => {
    assert.equal(decide(makeRule(), { enabled: true }).status, 'pass');
    assert.equal(decide(makeRule(), { enabled: false }).status, 'fail');
    const when = makeRule({ requires: ['enabled', 'kind'], when: { properties: { kind: { const: 'data' } } } });
    assert.equal(decide(when, { enabled: false, kind: 'logs' }).status, 'not_applicable');
    assert.equal(decide(when, { enabled: false, kind: 'data' }).status, 'fail');
  });

  it('is unknown, naming the reason and permission, when a required attribute could not be read', () => {
    const decision = decide(makeRule(), { enabled: unknown('AccessDenied', 's3:GetEncryptionConfiguration') });
    assert.equal(decision.status, 'unknown');
    assert.deepEqual(decision.unknown, { reason: 'AccessDenied', attributes: ['enabled'], permission: 's3:GetEncryptionConfiguration' });
  });

  it('treats a required attribute that was never collected as unknown, but a null parent as a real value', () => {
    const rule = makeRule({ requires: ['block.all'], condition: { properties: { block: { type: 'object', properties: { all: { const: true } }, required: ['all'] } }, required: ['block'] } });
    assert.equal(decide(rule, {}).status, 'unknown');
    assert.equal(decide(rule, { block: null }).status, 'fail');
    assert.equal(decide(rule, { block: { all: true } }).status, 'pass');
  });

  it('lets known inputs decide an anyOf when one branch passes (three-valued logic)', () => {
    const rule = makeRule({
      requires: ['own', 'account'],
      condition: { anyOf: [{ properties: { own: { const: true } }, required: ['own'] }, { properties: { account: { const: true } }, required: ['account'] }] },
    });
    assert.equal(decide(rule, { own: true, account: unknown('AccessDenied') }).status, 'pass');
    assert.equal(decide(rule, { own: false, account: unknown('AccessDenied') }).status, 'unknown');
    assert.equal(decide(rule, { own: false, account: false }).status, 'fail');
  });

  it('lets a known failing conjunct decide an allOf despite an unknown', () => {
    const rule = makeRule({ requires: ['a', 'b'], condition: { properties: { a: { const: true }, b: { const: true } } } });
    assert.equal(decide(rule, { a: false, b: unknown('Throttled') }).status, 'fail');
    assert.equal(decide(rule, { a: true, b: unknown('Throttled') }).status, 'unknown');
  });

  it('never decides from an unknown element inside a list', () => {
    const rule = makeRule({ requires: ['keys'], condition: { properties: { keys: { type: 'array', maxItems: 1 } } } });
    assert.equal(decide(rule, { keys: [unknown('x'), unknown('y')] }).status, 'fail', 'two entries are more than one whatever they hold');
    const contains = makeRule({ requires: ['keys'], condition: { properties: { keys: { contains: { const: 'ok' } } } } });
    assert.equal(decide(contains, { keys: [unknown('x')] }).status, 'unknown');
  });

  it('substitutes params and ages against the scan clock', () => {
    const rule = makeRule({
      requires: ['rotated'],
      params: { maxAgeDays: { type: 'integer', default: 90, description: 'maximum key age' } },
      condition: { properties: { rotated: { type: 'string', format: 'date-time', formatMinimum: { $ago: { days: { $param: 'maxAgeDays' } } } } } },
    });
    assert.equal(decide(rule, { rotated: '2026-01-01T00:00:00Z' }, { maxAgeDays: 90 }).status, 'pass');
    assert.equal(decide(rule, { rotated: '2025-11-01T00:00:00Z' }, { maxAgeDays: 90 }).status, 'fail');
    assert.equal(decide(rule, { rotated: '2025-11-01T00:00:00Z' }, { maxAgeDays: 200 }).status, 'pass');
  });

  it('turns validation errors into evidence with one item per offending place and its line', () => {
    const rule = makeRule({
      resource: 'source.workflow',
      requires: ['actions'],
      condition: { properties: { actions: { items: { anyOf: [{ properties: { pinned: { const: true } } }, { properties: { local: { const: true } } }] } } } },
      evidence: '{{uses}} is not pinned',
    });
    const decision = decide(rule, {
      actions: [
        { uses: 'actions/checkout@v4', line: 12, pinned: false, local: false },
        { uses: './local', line: 15, pinned: false, local: true },
        { uses: 'evil/action@main', line: 20, pinned: false, local: false },
      ],
    });
    assert.equal(decision.status, 'fail');
    assert.deepEqual(decision.evidence.map((e) => [e.line, e.detail]), [
      [12, 'actions/checkout@v4 is not pinned'],
      [20, 'evil/action@main is not pinned'],
    ]);
  });

  it('describes a scalar failure with the attribute path and the value seen', () => {
    const decision = decide(makeRule({ requires: ['mode'], condition: { properties: { mode: { enum: ['read', 'none'] } } } }), { mode: 'write-all' });
    assert.equal(decision.evidence[0]?.detail, 'mode is "write-all"; expected one of "read", "none"');
  });
});

describe('engine: evaluate', () => {
  const resource = (id: string, enabled: unknown, extra: Partial<Resource> = {}): Resource => ({
    kind: 'aws.s3.bucket',
    id,
    name: id.split(':').pop() as string,
    source: 'aws-s3',
    attributes: { enabled },
    ...extra,
  });
  const facts = (resources: Resource[]): FactsDocument => ({
    schemaVersion: '1',
    tool: { name: 'posture', version: 'test' },
    scan: { startedAt: scanTime.toISOString(), targets: {} },
    sources: [],
    resources,
    excluded: [],
  });
  const run = (resources: Resource[], suppressions: Parameters<typeof evaluate>[1]['suppressions'] = []) =>
    evaluate(facts(resources), {
      rules: [makeRule()],
      params: new Map(),
      scanTime,
      suppressions,
      configHash: '0'.repeat(64),
      rulesHash: '1'.repeat(64),
      tool: { name: 'posture', version: 'test' },
    });

  it('emits one finding per (rule, resource) with CSF, threats, summary and a stable fingerprint', () => {
    const result = run([resource('arn:aws:s3:::a', true), resource('arn:aws:s3:::b', false), resource('arn:aws:s3:::c', unknown('AccessDenied'))]);
    assert.deepEqual(result.findings.map((f) => [f.resource.id, f.status]), [
      ['arn:aws:s3:::b', 'fail'],
      ['arn:aws:s3:::c', 'unknown'],
      ['arn:aws:s3:::a', 'pass'],
    ]);
    const fail = result.findings[0]!;
    assert.deepEqual(fail.csf, { function: 'PR', category: 'PR.DS', subcategories: ['PR.DS-01'] });
    assert.equal(fail.message, 'b is not compliant');
    assert.equal(fail.fingerprint, fingerprint('test-rule', 'aws.s3.bucket', 'arn:aws:s3:::b'));
    assert.equal(result.summary.byStatus.fail, 1);
    assert.equal(result.summary.bySeverity.high, 1);
    assert.equal(result.summary.byFunction.PR.unknown, 1);
  });

  it('gives the findings of a rule one evidence list where their lists are equal, and only there', () => {
    const result = run([
      resource('arn:aws:s3:::a', false),
      resource('arn:aws:s3:::b', false),
      resource('arn:aws:s3:::c', 'false'),
      resource('arn:aws:s3:::d', 0),
      resource('arn:aws:s3:::e', -0),
      resource('arn:aws:s3:::f', 'false'),
    ]);
    const evidenceOf = (id: string) => result.findings.find((f) => f.resource.id === `arn:aws:s3:::${id}`)!.evidence;
    assert.equal(evidenceOf('a'), evidenceOf('b'), 'the same place, sentence and value: one list');
    assert.equal(evidenceOf('c'), evidenceOf('f'));
    assert.notEqual(evidenceOf('a'), evidenceOf('c'), 'false and "false" are different values');
    assert.notEqual(evidenceOf('d'), evidenceOf('e'), '-0 is not 0');
    assert.ok(Object.is(evidenceOf('e')[0]!.value, -0));
    assert.deepEqual(evidenceOf('a'), [{ path: 'enabled', detail: evidenceOf('a')[0]!.detail, value: false }]);
    assert.deepEqual(evidenceOf('c')[0]!.value, 'false');
  });

  it('locates a finding in the file its first offending place names, else in the resource file', () => {
    const rule = makeRule({
      resource: 'source.repository',
      requires: ['manifests'],
      condition: { properties: { manifests: { items: { properties: { lockfile: { type: 'string' } } } } } },
    });
    const repo: Resource = {
      kind: 'source.repository',
      id: 'app',
      name: 'app',
      source: 'local-repo',
      attributes: { manifests: [{ path: 'a/package.json', line: 1, lockfile: 'a/package-lock.json' }, { path: 'b/package.json', line: 1, lockfile: null }] },
    };
    const result = evaluate(facts([repo]), { rules: [rule], params: new Map(), scanTime, suppressions: [], configHash: '0'.repeat(64), rulesHash: '1'.repeat(64), tool: { name: 'posture', version: 'test' } });
    assert.deepEqual(result.findings[0]?.location, { path: 'b/package.json', line: 1 });
    assert.equal(result.findings[0]?.evidence[0]?.file, 'b/package.json');
  });

  it('keeps the fingerprint when lines, messages or status change', () => {
    const a = run([resource('arn:aws:s3:::b', false, { location: { path: 'x', line: 3 } })]).findings[0]!;
    const b = run([resource('arn:aws:s3:::b', true, { location: { path: 'x', line: 9 } })]).findings[0]!;
    assert.equal(a.fingerprint, b.fingerprint);
    assert.notEqual(a.status, b.status);
  });

  it('suppresses until the end of the expiry day, reports expired and stale suppressions', () => {
    const base = { rule: 'test-rule', reason: 'accepted for the migration', owner: 'team-a' };
    const result = run([resource('arn:aws:s3:::logs-1', false), resource('arn:aws:s3:::data', false)], [
      { suppression: { ...base, resource: 'arn:aws:s3:::logs-?', expires: '2026-02-28' }, source: 'posture.yaml' },
      { suppression: { ...base, resource: 'arn:aws:s3:::data', expires: '2026-01-01' }, source: 'posture.yaml' },
      { suppression: { ...base, resource: 'arn:aws:s3:::gone*', expires: '2027-01-01' }, source: '.posture-ignore.yaml' },
    ]);
    const byId = new Map(result.findings.map((f) => [f.resource.id, f]));
    assert.equal(byId.get('arn:aws:s3:::logs-1')?.status, 'fail', 'expired at the end of 2026-02-28, before the scan');
    assert.deepEqual(result.suppressions.map((s) => s.state), ['expired', 'expired', 'stale']);

    const sameDay = evaluate(facts([resource('arn:aws:s3:::logs-1', false)]), {
      rules: [makeRule()],
      params: new Map(),
      scanTime: new Date('2026-02-28T23:59:00Z'),
      suppressions: [{ suppression: { ...base, resource: 'arn:aws:s3:::logs-*', expires: '2026-02-28' }, source: 'posture.yaml' }],
      configHash: '0'.repeat(64),
      rulesHash: '1'.repeat(64),
      tool: { name: 'posture', version: 'test' },
    });
    assert.equal(sameDay.findings[0]?.status, 'suppressed');
    assert.equal(sameDay.suppressions[0]?.state, 'active');
  });
});
