import assert from 'node:assert/strict';
import { bandOf, cvssScore, rate } from '../../../src/collectors/osv/severity.js';

describe('osv: severity', () => {
  it('computes CVSS base scores from vectors (v3.0, v3.1, v4.0)', () => {
    assert.equal(cvssScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H')?.score, 7.5);
    assert.equal(cvssScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')?.score, 9.8);
    assert.equal(cvssScore('CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H')?.score, 8.8);
    assert.equal(cvssScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')?.score, 9.3);
  });

  it('gives no score for incomplete, unknown or v2 vectors', () => {
    assert.equal(cvssScore('CVSS:3.1/AV:N'), undefined);
    assert.equal(cvssScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H/XX:Y'), undefined);
    assert.equal(cvssScore('AV:N/AC:L/Au:N/C:P/I:P/A:P'), undefined);
    assert.equal(cvssScore('1'), undefined);
  });

  it('bands scores: 9.0 critical, 7.0 high, 4.0 medium, below low', () => {
    assert.deepEqual([9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 0].map(bandOf), ['critical', 'high', 'high', 'medium', 'medium', 'low', 'low']);
  });

  it('takes a numeric group max_severity first', () => {
    const r = rate({ maxSeverity: '9', severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }], databaseSeverity: 'LOW' }, 'high');
    assert.equal(r.severity, 'critical');
    assert.match(r.basis, /max severity 9/);
  });

  it('then the highest CVSS vector, ignoring an empty max_severity', () => {
    const r = rate(
      { maxSeverity: '', severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }, { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }], databaseSeverity: 'LOW' },
      'high',
    );
    assert.equal(r.severity, 'critical');
    assert.equal(r.cvss?.version, '4.0');
    assert.match(r.basis, /^CVSS 9\.3 /);
  });

  it('then the database severity, MODERATE being medium', () => {
    const r = rate({ severity: [], databaseSeverity: 'MODERATE' }, 'high');
    assert.equal(r.severity, 'medium');
    assert.equal(r.rated, true);
  });

  it('else the unrated severity, and says it is unrated', () => {
    const r = rate({ severity: [{ score: '1' }] }, 'low');
    assert.equal(r.severity, 'low');
    assert.equal(r.rated, false);
    assert.match(r.basis, /unrated/);
  });
});
