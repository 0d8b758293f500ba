import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compareFor, isAffected, smallestFix, type AffectedEntry } from '../../../src/collectors/osv/versions.js';
import { packageRoot } from '../../../src/util/package-root.js';

type Advisory = { id: string; affected: { package: { ecosystem: string; name: string }; ranges?: AffectedEntry['ranges']; versions?: string[] }[] };

const advisory = (id: string): Advisory => JSON.parse(readFileSync(path.join(packageRoot, 'fixtures/osv/advisories', `${id}.json`), 'utf8')) as Advisory;

/** The advisory's entries for one package, as the collector selects them. */
const entries = (id: string, name: string): AffectedEntry[] =>
  advisory(id).affected.filter((a) => a.package.name.toLowerCase() === name.toLowerCase()).map((a) => ({ ranges: a.ranges ?? [], versions: a.versions ?? [] }));

describe('osv: fix versions from real advisories', () => {
  const cases: { name: string; ecosystem: string; installed: string; advisories: string[]; fix: string }[] = [
    { name: 'lodash', ecosystem: 'npm', installed: '4.17.15', advisories: ['GHSA-p6mc-m468-83gw', 'GHSA-35jh-r3h4-6jhm'], fix: '4.17.21' },
    { name: 'minimist', ecosystem: 'npm', installed: '1.2.5', advisories: ['GHSA-xvch-5gv4-984h'], fix: '1.2.6' },
    { name: 'minimist', ecosystem: 'npm', installed: '0.0.8', advisories: ['GHSA-xvch-5gv4-984h'], fix: '0.2.4' },
    { name: 'semver', ecosystem: 'npm', installed: '5.7.1', advisories: ['GHSA-c2qf-rxjj-qqgw'], fix: '5.7.2' },
    { name: 'semver', ecosystem: 'npm', installed: '6.3.0', advisories: ['GHSA-c2qf-rxjj-qqgw'], fix: '6.3.1' },
    { name: 'semver', ecosystem: 'npm', installed: '7.5.1', advisories: ['GHSA-c2qf-rxjj-qqgw'], fix: '7.5.2' },
    { name: 'qs', ecosystem: 'npm', installed: '6.5.2', advisories: ['GHSA-hrpp-h998-j3pp'], fix: '6.5.3' },
    { name: 'qs', ecosystem: 'npm', installed: '6.9.1', advisories: ['GHSA-hrpp-h998-j3pp'], fix: '6.9.7' },
    // Two overlapping ranges for node-fetch ([1.0, 3.1.1) and [0, 2.6.7)): a 3.x install needs 3.1.1.
    { name: 'node-fetch', ecosystem: 'npm', installed: '3.0.0', advisories: ['GHSA-r683-j2x4-v87g'], fix: '3.1.1' },
    { name: 'jsonwebtoken', ecosystem: 'npm', installed: '8.5.1', advisories: ['GHSA-27h2-hvpr-p74q'], fix: '9.0.0' },
    { name: 'Axios', ecosystem: 'npm', installed: '1.6.0', advisories: ['GHSA-8hc4-vh64-cxmj'], fix: '1.7.4' },
    { name: 'express', ecosystem: 'npm', installed: '4.18.2', advisories: ['GHSA-rv95-896h-c2vc'], fix: '4.19.2' },
    { name: 'express', ecosystem: 'npm', installed: '5.0.0-alpha.2', advisories: ['GHSA-rv95-896h-c2vc'], fix: '5.0.0-beta.3' },
    { name: 'requests', ecosystem: 'PyPI', installed: '2.30.0', advisories: ['GHSA-j8r2-6x86-q33q'], fix: '2.31.0' },
    { name: 'urllib3', ecosystem: 'PyPI', installed: '1.26.5', advisories: ['GHSA-v845-jxx5-vc9f'], fix: '1.26.17' },
    { name: 'urllib3', ecosystem: 'PyPI', installed: '2.0.3', advisories: ['GHSA-v845-jxx5-vc9f'], fix: '2.0.6' },
    { name: 'golang.org/x/net', ecosystem: 'Go', installed: '0.10.0', advisories: ['GHSA-4374-p667-p6c8'], fix: '0.17.0' },
    { name: 'org.apache.logging.log4j:log4j-core', ecosystem: 'Maven', installed: '2.14.1', advisories: ['GHSA-jfh8-c2jp-5v3q'], fix: '2.15.0' },
    { name: 'org.apache.logging.log4j:log4j-core', ecosystem: 'Maven', installed: '2.11.0', advisories: ['GHSA-jfh8-c2jp-5v3q'], fix: '2.12.2' },
  ];
  for (const c of cases) {
    it(`${c.name} ${c.installed} needs ${c.fix}`, () => {
      const lists = c.advisories.map((id) => entries(id, c.name));
      assert.ok(lists.every((l) => l.length > 0), 'the advisories name the package');
      const compare = compareFor(c.ecosystem);
      assert.ok(lists.every((l) => isAffected(c.installed, l, compare) === true), 'the installed version is affected');
      assert.deepEqual(smallestFix(c.installed, lists, c.ecosystem), { version: c.fix });
    });
  }

  it('does not offer a fix that another advisory still covers (lodash 4.17.20)', () => {
    const lists = ['GHSA-p6mc-m468-83gw', 'GHSA-35jh-r3h4-6jhm'].map((id) => entries(id, 'lodash'));
    assert.equal(isAffected('4.17.20', lists[1] as AffectedEntry[], compareFor('npm')), true);
    assert.notEqual(smallestFix('4.17.15', lists, 'npm').version, '4.17.20');
  });

  it('says "no fixed version" when no advisory names one', () => {
    const open: AffectedEntry[] = [{ ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }];
    assert.deepEqual(smallestFix('1.0.0', [open], 'npm'), { version: null, reason: 'no fixed version' });
  });

  it('does not take a fix that leaves another advisory without a fix', () => {
    const fixed: AffectedEntry[] = [{ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.0' }] }] }];
    const open: AffectedEntry[] = [{ ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }] }] }];
    assert.deepEqual(smallestFix('1.1.0', [fixed, open], 'npm'), { version: null, reason: 'no fixed version' });
  });

  it('treats last_affected as inclusive', () => {
    const range: AffectedEntry[] = [{ ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { last_affected: '1.4.0' }] }] }];
    const compare = compareFor('npm');
    assert.equal(isAffected('1.4.0', range, compare), true);
    assert.equal(isAffected('1.4.1', range, compare), false);
    assert.equal(isAffected('0.9.0', range, compare), false);
  });

  it('counts an enumerated version as affected', () => {
    assert.equal(isAffected('2.0.1', [{ versions: ['2.0.0', '2.0.1'] }], compareFor('PyPI')), true);
    assert.equal(isAffected('2.0.2', [{ versions: ['2.0.0', '2.0.1'] }], compareFor('PyPI')), false);
  });

  it('cannot decide from commit ranges alone, and says so', () => {
    const git: AffectedEntry[] = [{ ranges: [{ type: 'GIT', events: [{ introduced: 'abc' }, { fixed: 'def' }] }] }];
    const fixed: AffectedEntry[] = [{ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] }];
    assert.equal(isAffected('1.0.0', git, compareFor('npm')), undefined);
    assert.deepEqual(smallestFix('1.0.0', [fixed, git], 'npm'), { version: null, reason: 'undecidable' });
  });

  it('prefers a fix on the installed major line over a smaller pre-release elsewhere', () => {
    const advisories: AffectedEntry[][] = [
      [{ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0-rc.1' }] }] }],
      [{ ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.9.9' }] }] }],
    ];
    // 1.9.9 is still inside the first advisory's range, so the only clean fix is on the next line.
    assert.deepEqual(smallestFix('1.0.0', advisories, 'npm'), { version: '2.0.0-rc.1' });
  });

  it('orders versions the way each ecosystem does', () => {
    const pypi = compareFor('PyPI');
    assert.ok(pypi('2.31.0', '2.31.0rc1') > 0);
    assert.ok(pypi('2.31.0rc1', '2.31.0.dev1') > 0);
    assert.ok(pypi('1.0.post1', '1.0') > 0);
    assert.ok(pypi('1.26.17', '1.26.5') > 0);
    const maven = compareFor('Maven');
    assert.ok(maven('2.15.0', '2.15.0-rc1') > 0);
    assert.ok(maven('2.12.2', '2.4') > 0);
    const go = compareFor('Go');
    assert.ok(go('v0.17.0', '0.10.0') > 0);
    assert.equal(go('v1.2.3+incompatible', '1.2.3'), 0);
    const npm = compareFor('npm');
    assert.ok(npm('5.0.0-beta.3', '5.0.0-alpha.2') > 0);
    assert.ok(npm('4.17.21', '4.17.3') > 0);
    const rubygems = compareFor('RubyGems');
    assert.ok(rubygems('2.2.10', '2.2.9') > 0);
    assert.ok(rubygems('1.0.0', '1.0.0.rc1') > 0);
  });
});
