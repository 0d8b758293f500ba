import assert from 'node:assert/strict';
import { loadSuppressions } from '../../src/config/load.js';
import { applySuppressions, isExpired, type SuppressionSource } from '../../src/engine/suppressions.js';
import type { Finding, Suppression } from '../../src/engine/types.js';
import { createSchemaSet } from '../../src/facts/documents.js';
import { PostureError } from '../../src/cli/errors.js';
import { tempTree } from '../support/temp.js';

const finding = (ruleId: string, id: string, status: Finding['status'] = 'fail'): Finding => ({
  ruleId,
  status,
  severity: 'high',
  resource: { kind: 'aws.s3.bucket', id, name: id, source: 'aws-s3' },
  csf: { function: 'PR', category: 'PR.DS', subcategories: ['PR.DS-01'] },
  threats: [],
  title: 't',
  message: `${id} fails`,
  evidence: [],
  fingerprint: 'f'.repeat(64),
});

const sup = (rule: string, resource: string, expires = '2026-12-31', extra: Partial<Suppression> = {}): SuppressionSource => ({
  suppression: { rule, resource, reason: 'accepted for now', owner: 'sec@acme.example', expires, ...extra },
  source: 'posture.yaml',
});

const scan = new Date('2026-03-01T12:00:00Z');

describe('suppressions', () => {
  it('match the rule id exactly and the resource id by an anchored, case-sensitive glob where dots are literal', () => {
    const cases: [string, string, boolean][] = [
      ['arn:aws:s3:::logs-*', 'arn:aws:s3:::logs-2026', true],
      ['arn:aws:s3:::logs-*', 'arn:aws:s3:::logs-a/b:c', true],
      ['arn:aws:s3:::logs-*', 'xarn:aws:s3:::logs-1', false],
      ['arn:aws:s3:::Logs-*', 'arn:aws:s3:::logs-1', false],
      ['arn:aws:s3:::logs-?', 'arn:aws:s3:::logs-1', true],
      ['arn:aws:s3:::logs-?', 'arn:aws:s3:::logs-12', false],
      ['arn:aws:s3:::a.b', 'arn:aws:s3:::axb', false],
      ['arn:aws:s3:::a.b', 'arn:aws:s3:::a.b', true],
      ['https://github.com/acme/*/.github/workflows/ci.yml', 'https://github.com/acme/rockets/.github/workflows/ci.yml', true],
      ['*', 'anything at all', true],
    ];
    for (const [glob, id, expected] of cases) {
      const findings = [finding('s3-bucket-encrypted', id)];
      applySuppressions(findings, [sup('s3-bucket-encrypted', glob)], scan);
      assert.equal(findings[0]!.status, expected ? 'suppressed' : 'fail', `${glob} vs ${id}`);
    }
    const other = [finding('s3-bucket-encrypted', 'arn:aws:s3:::x')];
    applySuppressions(other, [sup('s3-bucket-*', '*')], scan);
    assert.equal(other[0]!.status, 'fail', 'the rule id is exact, not a glob');
  });

  it('are valid through the end of their expiry day, UTC', () => {
    assert.equal(isExpired('2026-03-01', new Date('2026-03-01T23:59:59.999Z')), false);
    assert.equal(isExpired('2026-03-01', new Date('2026-03-02T00:00:00.000Z')), true);
    assert.equal(isExpired('2026-03-01', new Date('2026-03-01T00:00:00.000+14:00')), false, 'the day is the UTC day');
  });

  it('once expired, stop suppressing: the finding fails again, says so, and the suppression is reported as expired', () => {
    const findings = [finding('r', 'arn:aws:s3:::old')];
    const states = applySuppressions(findings, [sup('r', 'arn:aws:s3:::old', '2026-02-28', { ticket: 'SEC-1' })], scan);
    assert.equal(findings[0]!.status, 'fail');
    assert.deepEqual(findings[0]!.suppression, { reason: 'accepted for now', owner: 'sec@acme.example', expires: '2026-02-28', ticket: 'SEC-1', source: 'posture.yaml' });
    assert.match(findings[0]!.message, /suppression expired on 2026-02-28/);
    assert.deepEqual(states.map((s) => [s.state, s.matched]), [['expired', 1]]);
  });

  it('are stale when active and matching nothing; an expired one that matches nothing stays expired', () => {
    const findings = [finding('r', 'arn:aws:s3:::a'), finding('r', 'arn:aws:s3:::b', 'pass')];
    const states = applySuppressions(findings, [sup('r', 'arn:aws:s3:::gone*'), sup('r', 'arn:aws:s3:::b'), sup('r', 'arn:aws:s3:::z', '2025-01-01'), sup('r', 'arn:aws:s3:::a')], scan);
    assert.deepEqual(states.map((s) => s.state), ['stale', 'stale', 'expired', 'active'], 'a passing finding is never suppressed, so its suppression is stale');
    assert.equal(findings[1]!.status, 'pass');
  });

  it('an active suppression wins over an expired one for the same finding', () => {
    const findings = [finding('r', 'arn:aws:s3:::a')];
    const states = applySuppressions(findings, [sup('r', 'arn:aws:s3:::*', '2025-01-01'), sup('r', 'arn:aws:s3:::a')], scan);
    assert.equal(findings[0]!.status, 'suppressed');
    assert.equal(findings[0]!.suppression?.expires, '2026-12-31');
    assert.deepEqual(states.map((s) => s.state), ['expired', 'active']);
  });

  it('come from posture.yaml and .posture-ignore.yaml, where reason, owner and expiry are required', () => {
    const schemas = createSchemaSet();
    const good = tempTree({
      '.posture-ignore.yaml': 'suppressions:\n  - rule: s3-bucket-encrypted\n    resource: "arn:aws:s3:::logs-*"\n    reason: Access logs only\n    owner: platform@acme.example\n    expires: 2026-06-30\n',
    });
    const bad = tempTree({ '.posture-ignore.yaml': 'suppressions:\n  - rule: s3-bucket-encrypted\n    resource: "*"\n    reason: forever\n    owner: someone\n' });
    try {
      const loaded = { config: { suppressions: [{ rule: 'r', resource: '*', reason: 'in config', owner: 'o', expires: '2026-01-01' }] }, file: 'posture.yaml', hash: '0'.repeat(64) };
      const sources = loadSuppressions(schemas, loaded, good.dir);
      assert.deepEqual(sources.map((s) => [s.source, s.suppression.rule, String(s.suppression.expires)]), [
        ['posture.yaml', 'r', '2026-01-01'],
        ['.posture-ignore.yaml', 's3-bucket-encrypted', '2026-06-30'],
      ]);
      assert.throws(() => loadSuppressions(schemas, { config: {}, hash: '0'.repeat(64) }, bad.dir), (e: unknown) => e instanceof PostureError && /expires/.test(e.message));
    } finally {
      good.cleanup();
      bad.cleanup();
    }
  });
});
