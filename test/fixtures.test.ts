import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/util/package-root.js';

/**
 * Every fixture is used: a file under fixtures/ that no test, script or benchmark refers to is dead
 * weight that still looks like coverage. Fixtures come in units: a source tree scanned as a whole
 * (the directories in TREES) or a fake's fixture set (FIXTURE_SETS) is one unit, any other file is
 * its own unit. PROVENANCE.md and README.md beside fixtures are licence and index notes, not units.
 *
 * A unit is referenced when a reference file names it, with path segments joined by `/` or given to
 * path.join one by one: either its last two path segments together (`trees/vuln-results-a`,
 * `aws-docs/public-read.json`), or its name (with or without extension) in a file that also names
 * its parent directory the same way (`osv/advisories` and `GHSA-p6mc-m468-83gw`). Reference texts
 * are the code under src/, test/, scripts/ and bench/, one text per directory, and fixture files that
 * are used themselves (an index such as fixtures/aws/s3/policies/expected.json names the policies a
 * test runs). Names are matched as text, not followed through the code: a unit named only in a
 * comment counts as used, so the list this test prints is the fixtures nothing mentions at all.
 */

const FIXTURES = path.join(packageRoot, 'fixtures');

/** Directories each scanned or served as one tree: their files are used through the tree. */
const TREES = ['demo', 'local-repo/*', 'osv/trees/*'];

/** Fake fixture sets: directories served by a fake, file by file, by operation name (checked below). */
const FIXTURE_SETS = ['aws/iam/documented', 'aws/iam/seeded', 'demo/aws/iam'];

/** Inside the demo tree, what the fakes serve is data of its own, used file by file. */
const NOT_TREE = ['demo/aws', 'demo/github'];

const NOTES = new Set(['PROVENANCE.md', 'README.md']);

const CODE_DIRS = ['src', 'test', 'scripts', 'bench'];
const CODE_FILE = /\.(ts|mts|js|mjs|json|ya?ml)$/;

const posix = (p: string): string => p.split(path.sep).join('/');

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(full);
    return entry.isFile() ? [full] : [];
  });

const matches = (relative: string, pattern: string): boolean => {
  const a = relative.split('/');
  const b = pattern.split('/');
  return a.length === b.length && b.every((part, i) => part === '*' || part === a[i]);
};

/** The unit a fixture file belongs to (a path relative to fixtures/), or undefined for a note. */
export const unitOf = (relative: string): string | undefined => {
  const parts = relative.split('/');
  for (let i = parts.length - 1; i >= 1; i--) {
    const dir = parts.slice(0, i).join('/');
    if (FIXTURE_SETS.includes(dir)) return dir;
    if (NOT_TREE.some((n) => dir === n || dir.startsWith(`${n}/`))) continue;
    if (TREES.some((t) => matches(dir, t))) return dir;
  }
  return NOTES.has(parts.at(-1) ?? '') ? undefined : relative;
};

/** A source text with path.join-style literal lists (`'fixtures', 'aws', 's3'`) joined with `/`. */
const normalise = (text: string): string => text.replace(/(['"`])\s*,\s*(['"`])/g, '/');

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const token = (s: string): RegExp => new RegExp(`(^|[^\\w.-])${escape(s)}($|[^\\w-])`);

/** Whether a reference text names the unit (see the module comment). */
export const names = (text: string, unit: string): boolean => {
  const parts = ['fixtures', ...unit.split('/')];
  const name = parts.at(-1) as string;
  if (text.includes(parts.slice(-2).join('/'))) return true;
  const parent = parts.slice(-3, -1).join('/');
  if (!text.includes(parent)) return false;
  const bare = name.replace(/\.[^.]+$/, '');
  return token(name).test(text) || (bare !== name && token(bare).test(text));
};

/** The units no reference names, given the fixture files and the code's texts. */
export const unusedUnits = (fixtureFiles: string[], code: string[]): string[] => {
  const units = new Map<string, string[]>();
  for (const file of fixtureFiles) {
    const unit = unitOf(file);
    if (unit !== undefined) units.set(unit, [...(units.get(unit) ?? []), file]);
  }
  const texts = code.map(normalise);
  const used = new Set<string>();
  // Used fixture files are references too (an index names the fixtures a test reads): grow to a fixpoint.
  for (let grown = true; grown; ) {
    grown = false;
    for (const unit of units.keys()) {
      if (used.has(unit) || !texts.some((text) => names(text, unit))) continue;
      used.add(unit);
      grown = true;
      if (unit === units.get(unit)?.[0] && /\.(json|ya?ml|md)$/.test(unit)) texts.push(normalise(readFileSync(path.join(FIXTURES, unit), 'utf8')));
    }
  }
  return [...units.keys()].filter((unit) => !used.has(unit)).sort();
};

const fixtureFiles = (): string[] => walk(FIXTURES).map((file) => posix(path.relative(FIXTURES, file)));

/** This file names fixtures only as examples; it is no reference. */
const SELF = path.join(packageRoot, 'test', 'fixtures.test.ts');

/**
 * The code's texts, one per directory: a test folder often names a fixture directory in its helper
 * (`fixture('go-module')` in collector.test.ts, fixtures/local-repo/ in scan.ts beside it).
 */
const codeTexts = (): string[] => {
  const byDir = new Map<string, string[]>();
  for (const file of CODE_DIRS.flatMap((dir) => walk(path.join(packageRoot, dir)))) {
    if (file === SELF || !CODE_FILE.test(file) || statSync(file).size > 2_000_000) continue;
    byDir.set(path.dirname(file), [...(byDir.get(path.dirname(file)) ?? []), readFileSync(file, 'utf8')]);
  }
  return [...byDir.values()].map((texts) => texts.join('\n'));
};

describe('fixtures: every fixture is used', () => {
  it('no fixture unit is left unreferenced by the code of src/, test/, scripts/ and bench/', () => {
    assert.deepEqual(unusedUnits(fixtureFiles(), codeTexts()), [], 'fixtures no test, script or benchmark refers to: use them or remove them');
  });

  it('flags a file or a tree nothing refers to, even one a PROVENANCE note lists', () => {
    const files = fixtureFiles();
    const code = codeTexts();
    assert.deepEqual(unusedUnits([...files, 'osv/advisories/GHSA-0000-0000-0000.json'], code), ['osv/advisories/GHSA-0000-0000-0000.json']);
    assert.deepEqual(unusedUnits([...files, 'local-repo/never-scanned/package.json', 'local-repo/never-scanned/src/index.js'], code), ['local-repo/never-scanned']);
    // fixtures/osv/PROVENANCE.md lists this advisory; without the test that reads it, it is unused all the same.
    assert.ok(readFileSync(path.join(FIXTURES, 'osv', 'PROVENANCE.md'), 'utf8').includes('GHSA-r683-j2x4-v87g'));
    assert.deepEqual(unusedUnits(files, code.map((text) => text.replaceAll('GHSA-r683-j2x4-v87g', ''))), ['osv/advisories/GHSA-r683-j2x4-v87g.json']);
    assert.equal(unitOf('osv/PROVENANCE.md'), undefined);
  });

  it('every file of a fake AWS fixture set is one the fake reads', () => {
    for (const set of FIXTURE_SETS) {
      const dir = path.join(FIXTURES, set);
      for (const file of walk(dir).map((f) => posix(path.relative(dir, f)))) {
        const served =
          file === 'fake.json' ||
          NOTES.has(file) ||
          /^iam\/(GetAccountAuthorizationDetails(\.\d+)?|GetAccountPasswordPolicy|GetAccountSummary)\.xml$/.test(file) ||
          file === 'iam/credential-report.csv' ||
          file === 'sts/GetCallerIdentity.xml' ||
          /^cloudtrail\/[a-z0-9-]+\/(DescribeTrails\.json|(GetTrailStatus|GetEventSelectors)\/[^/]+\.json)$/.test(file) ||
          /^guardduty\/[a-z0-9-]+\/(ListDetectors\.json|GetDetector\/[a-z0-9]{32}\.json)$/.test(file);
        assert.ok(served, `${set}/${file} is not a file the fake AWS reads`);
        // A trail or detector answer is read only when a listing leads to it.
        const trail = /^cloudtrail\/([a-z0-9-]+)\/(?:GetTrailStatus|GetEventSelectors)\/([^/]+)\.json$/.exec(file);
        if (trail) {
          const listing = JSON.parse(readFileSync(path.join(dir, 'cloudtrail', trail[1] as string, 'DescribeTrails.json'), 'utf8')) as { trailList: { Name: string }[] };
          assert.ok(listing.trailList.some((t) => t.Name === trail[2]), `${set}/${file}: no trail ${trail[2]} in that region's DescribeTrails`);
        }
        const detector = /^guardduty\/([a-z0-9-]+)\/GetDetector\/([a-z0-9]{32})\.json$/.exec(file);
        if (detector) {
          const listing = JSON.parse(readFileSync(path.join(dir, 'guardduty', detector[1] as string, 'ListDetectors.json'), 'utf8')) as { detectorIds: string[] };
          assert.ok(listing.detectorIds.includes(detector[2] as string), `${set}/${file}: no detector ${detector[2]} in that region's ListDetectors`);
        }
      }
    }
  });
});
