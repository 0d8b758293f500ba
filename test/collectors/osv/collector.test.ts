import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoOsvScanner } from '../../../src/collectors/osv/demo.js';
import { osvCollector } from '../../../src/collectors/osv/index.js';
import { runCollectors } from '../../../src/collectors/run.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { createSchemaSet, describeAjvError } from '../../../src/facts/documents.js';
import type { Resource } from '../../../src/facts/types.js';
import { testContext } from '../../support/collect-context.js';
import { fixture, makeStandIn, STAND_IN, type StandInOptions } from './stand-in.js';

/** Credentials posture holds, which must never reach osv-scanner. */
const POSTURE_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAQ7STANDINTEST123',
  AWS_SECRET_ACCESS_KEY: 'wJ8rStandInTestSecretKeyValue0123456789AB',
  AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEStandInSessionToken',
  GITHUB_TOKEN: 'ghp_StandInTestTokenValue000000000000000',
  POSTURE_GITHUB_TOKEN: 'ghp_StandInPostureTokenValue00000000000',
  POSTURE_FINGERPRINT_KEY: 'stand-in-fingerprint-key-0123456789',
};

const run = async (root: string, standIn: StandInOptions, overrides: Partial<CollectContext> = {}) => {
  const scanner = makeStandIn(standIn);
  const ctx = testContext(root, {
    options: { osvScanner: scanner.binary },
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY: '/var/cache/osv',
      HTTPS_PROXY: 'http://proxy.internal:3128',
      ...POSTURE_ENV,
    },
    ...overrides,
  });
  const output = await osvCollector.collect(ctx);
  const received = (() => {
    try {
      return JSON.parse(readFileSync(scanner.record, 'utf8')) as { argv: string[]; env: Record<string, string>; cwd: string };
    } catch {
      return undefined;
    }
  })();
  return { output, received, ctx };
};

const schemas = createSchemaSet();

/** Every resource's attributes validate against the dependency.package schema. */
const assertValid = (resources: Resource[]): void => {
  const validate = schemas.kindValidator('dependency.package');
  assert.ok(validate);
  for (const resource of resources) assert.ok(validate(resource.attributes), `${resource.id}: ${validate.errors?.map(describeAjvError).join('; ')}`);
};

const byName = (resources: Resource[], name: string): Resource => {
  const found = resources.find((r) => r.attributes.name === name);
  assert.ok(found, `a resource for ${name}`);
  return found;
};

type Vulnerability = { id: string; aliases: string[]; severity: string; severityBasis: string; rated: boolean; fixed: string[]; line?: number; summary: string };

describe('osv collector, with the stand-in osv-scanner replaying real outputs', function () {
  this.timeout(60_000);

  it('turns test-vuln-results-a into packages with lockfile, line, severity and fix (v2 command line)', async () => {
    const root = fixture('trees/vuln-results-a');
    const { output, received } = await run(root, { replay: fixture('scanner-output/test-vuln-results-a.json') });
    assert.equal(output.status, undefined);
    assert.deepEqual(output.gaps, []);
    assert.deepEqual(received?.argv, ['scan', 'source', '--format', 'json', '--recursive', root]);
    assert.deepEqual(output.resources.map((r) => r.id).sort(), [
      'acme/tree/go.mod#pkg:golang/github.com/gogo/protobuf@1.3.1',
      'acme/tree/sub-rust-project/Cargo.lock#pkg:cargo/regex@1.5.1',
    ]);
    const gogo = byName(output.resources, 'github.com/gogo/protobuf');
    assert.deepEqual(gogo.location, { path: 'go.mod', line: 6 });
    assert.equal(gogo.attributes.severity, 'high');
    assert.deepEqual(gogo.attributes.fix, { version: '1.3.2' });
    assert.equal(gogo.attributes.fixAdvice, 'upgrade to 1.3.2');
    const [gogoVuln] = gogo.attributes.vulnerabilities as Vulnerability[];
    assert.equal(gogoVuln?.id, 'GO-2021-0053');
    assert.equal(gogoVuln?.rated, false, 'GO-2021-0053 carries no CVSS vector and no database severity');
    assert.match(gogoVuln?.severityBasis ?? '', /unrated/);
    assert.deepEqual(gogoVuln?.aliases, ['CVE-2021-3121', 'GHSA-c3h9-896r-86jm']);
    const regex = byName(output.resources, 'regex');
    assert.deepEqual(regex.location, { path: 'sub-rust-project/Cargo.lock', line: 19 });
    assert.equal(regex.attributes.severity, 'high');
    assert.deepEqual(regex.attributes.fix, { version: '1.5.5' });
    assert.equal(regex.discriminator, 'GHSA-m5pq-gvj9-9vr8,RUSTSEC-2022-0013');
    const regexVulns = regex.attributes.vulnerabilities as Vulnerability[];
    assert.equal(regexVulns.length, 1, 'the GHSA and RUSTSEC advisories are one vulnerability (one osv-scanner group)');
    assert.equal(regexVulns[0]?.id, 'GHSA-m5pq-gvj9-9vr8');
    assert.ok(regexVulns[0]?.aliases.includes('RUSTSEC-2022-0013'));
    assert.match(regexVulns[0]?.severityBasis ?? '', /^CVSS 7\.5 /);
    assert.equal(regexVulns[0]?.line, 19);
    assertValid(output.resources);
  });

  it('turns multiple-packages-with-vulns into three findings (v1 command line)', async () => {
    const root = fixture('trees/multiple-packages');
    const { output, received } = await run(root, { major: 1, replay: fixture('scanner-output/multiple-packages-with-vulns.json') });
    assert.deepEqual(received?.argv, ['--format', 'json', '-r', root]);
    const expected = [
      ['crossbeam-utils', 'high', '0.8.7', 11, /^CVSS 8\.1 /],
      ['memoffset', 'medium', '0.6.2', 25, /database severity MODERATE/],
      ['smallvec', 'critical', '1.6.1', 30, /^CVSS 9\.8 /],
    ] as const;
    assert.equal(output.resources.length, 3);
    assertValid(output.resources);
    for (const [name, severity, fix, line, basis] of expected) {
      const pkg = byName(output.resources, name);
      assert.equal(pkg.attributes.severity, severity, name);
      assert.deepEqual(pkg.attributes.fix, { version: fix }, name);
      assert.deepEqual(pkg.location, { path: 'Cargo.lock', line }, name);
      const vulns = pkg.attributes.vulnerabilities as Vulnerability[];
      assert.equal(vulns.length, 1);
      assert.match(vulns[0]?.severityBasis ?? '', basis);
    }
  });

  it('passes offline mode in each dialect', async () => {
    const root = fixture('trees/vuln-results-a');
    const v2 = await run(root, { replay: fixture('scanner-output/test-vuln-results-a.json') }, { options: {} });
    assert.equal(v2.received, undefined, 'without --osv-scanner the stand-in is not on PATH');
    const offline2 = makeStandIn({ replay: fixture('scanner-output/test-vuln-results-a.json') });
    const ctx = testContext(root, { options: { osvScanner: offline2.binary, osvOffline: true } });
    const out = await osvCollector.collect(ctx);
    const argv2 = (JSON.parse(readFileSync(offline2.record, 'utf8')) as { argv: string[] }).argv;
    assert.deepEqual(argv2, ['scan', 'source', '--format', 'json', '--offline-vulnerabilities', '--recursive', root]);
    assert.ok(out.notes?.some((n) => n.startsWith('offline')));
    const offline1 = makeStandIn({ major: 1, replay: fixture('scanner-output/test-vuln-results-a.json') });
    await osvCollector.collect(testContext(root, { options: { osvScanner: offline1.binary }, config: { osv: { offline: true, downloadDatabases: true } } }));
    const argv1 = (JSON.parse(readFileSync(offline1.record, 'utf8')) as { argv: string[] }).argv;
    assert.deepEqual(argv1, ['--format', 'json', '--experimental-offline', '--experimental-download-offline-databases', '-r', root]);
  });

  it('gives osv-scanner an allow-listed environment, never posture credentials', async () => {
    const { received } = await run(fixture('trees/vuln-results-a'), { replay: fixture('scanner-output/test-vuln-results-a.json') });
    assert.ok(received);
    // The wrapper adds its own OSV_STAND_IN_* variables; everything else came from posture.
    const passed = Object.keys(received.env).filter((k) => !k.startsWith('OSV_STAND_IN_') && !['PWD', 'SHLVL', '_'].includes(k));
    assert.deepEqual(passed.sort(), ['HOME', 'HTTPS_PROXY', 'OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY', 'PATH']);
    const all = JSON.stringify(received.env);
    for (const value of Object.values(POSTURE_ENV)) assert.ok(!all.includes(value), 'no posture credential in the child environment');
  });

  it('reads a group max_severity before anything else (printer snapshots)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'posture-osv-'));
    const one = await run(root, { replay: fixture('scanner-output/snapshot-max-severity.json') });
    const pkg = byName(one.output.resources, 'mine1');
    assert.equal(pkg.attributes.severity, 'critical');
    assert.deepEqual(pkg.location, { path: 'path/to/my/first/lockfile' }, 'no line for a file of unknown format');
    assert.ok(one.output.notes?.some((n) => n.includes('no declaration lines')));
    const two = await run(root, { replay: fixture('scanner-output/snapshot-two-aliases-max-severity.json') });
    const aliased = byName(two.output.resources, 'mine1');
    const vulns = aliased.attributes.vulnerabilities as Vulnerability[];
    assert.equal(vulns.length, 1, 'OSV-1 and GHSA-123 are one group');
    assert.equal(vulns[0]?.severity, 'high');
    assert.match(vulns[0]?.severityBasis ?? '', /max severity 8\.3/);
    assert.equal(aliased.discriminator, 'GHSA-123,OSV-1');
  });

  it('rates advisories without any severity with osv.unratedSeverity, and says so', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'posture-osv-'));
    const { output } = await run(root, { replay: fixture('scanner-output/snapshot-some-missing-content.json') }, { config: { osv: { unratedSeverity: 'medium' } } });
    assert.equal(output.resources.length, 2);
    for (const pkg of output.resources) {
      assert.equal(pkg.attributes.severity, 'medium');
      const [vuln] = pkg.attributes.vulnerabilities as Vulnerability[];
      assert.equal(vuln?.rated, false);
      assert.match(vuln?.severityBasis ?? '', /unrated/);
      assert.equal(pkg.attributes.fixAdvice, 'no fixed version could be determined', 'a record without affected ranges cannot name a fix');
    }
    assert.match((byName(output.resources, 'mine1').attributes.vulnerabilities as Vulnerability[])[0]?.summary ?? '', /very scary stuff/, 'the summary falls back to the details');
  });

  it('keeps each source of a multi-source report apart, with its dependency groups', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'posture-osv-'));
    const { output } = await run(root, { replay: fixture('scanner-output/snapshot-grouped-packages.json') });
    assert.deepEqual(output.resources.map((r) => r.id).sort(), [
      'acme/tree/path/to/my/first/lockfile#pkg:npm/mine1@1.2.2',
      'acme/tree/path/to/my/first/lockfile#pkg:npm/mine1@1.2.3',
      'acme/tree/path/to/my/second/lockfile#pkg:npm/mine2@3.2.5',
      'acme/tree/path/to/my/second/lockfile#pkg:npm/mine3@0.4.1',
    ]);
    assertValid(output.resources);
    const mine = output.resources.find((r) => r.id.endsWith('mine1@1.2.3'));
    assert.deepEqual(mine?.attributes.dependencyGroups, ['dev', 'optional']);
    assert.equal((mine?.attributes.vulnerabilities as Vulnerability[]).length, 2);
  });

  it('maps exit 128 (no packages found) to a complete source with nothing in it', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'posture-osv-'));
    const { output } = await run(root, { replay: fixture('scanner-output/results-empty.json') });
    assert.equal(output.status, 'complete');
    assert.deepEqual(output.resources, []);
    assert.ok(output.notes?.some((n) => n.includes('exit 128')));
  });

  it('is skipped with an install hint when osv-scanner is not installed, and the scan goes on', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'posture-no-osv-'));
    const ctx = testContext(fixture('trees/vuln-results-a'), { env: { PATH: empty } });
    const facts = await runCollectors({ collectors: [osvCollector], context: ctx, tool: { name: 'posture', version: 'test' }, targets: { path: '.', treeId: 'acme/tree' } });
    const source = facts.sources[0];
    assert.equal(source?.status, 'skipped');
    assert.match(source?.reason ?? '', /not on PATH; install osv-scanner/);
  });

  it('finds osv-scanner on PATH', async () => {
    const scanner = makeStandIn({ replay: fixture('scanner-output/test-vuln-results-a.json') });
    const ctx = testContext(fixture('trees/vuln-results-a'), { env: { PATH: `${scanner.dir}${path.delimiter}${process.env.PATH ?? ''}` } });
    const output = await osvCollector.collect(ctx);
    assert.equal(output.resources.length, 2);
    assert.ok(output.endpoint?.startsWith(scanner.binary));
  });

  it('fails, as a gap, when the binary named by --osv-scanner does not exist', async () => {
    const ctx = testContext(fixture('trees/vuln-results-a'), { options: { osvScanner: '/nonexistent/osv-scanner' } });
    const output = await osvCollector.collect(ctx);
    assert.equal(output.status, 'failed');
    assert.match(output.gaps?.[0]?.reason ?? '', /not found or not executable at \/nonexistent\/osv-scanner/);
  });

  it('records exit 127 as a failed source whose gap carries stderr, redacted', async () => {
    const leaked = `ghp_${'R3dact3dT0kenInStderr'.padEnd(36, '7')}`;
    const { output } = await run(fixture('trees/vuln-results-a'), { mode: 'exit', exit: 127, stderr: `Error: failed to fetch: 401 with token ${leaked}\nscan aborted` });
    assert.equal(output.status, 'failed');
    const reason = output.gaps?.[0]?.reason ?? '';
    assert.match(reason, /exited with 127 \(general error\)/);
    assert.match(reason, /failed to fetch: 401/);
    assert.match(reason, /scan aborted/);
    assert.ok(!reason.includes(leaked), 'the token is not in the gap');
    assert.match(reason, /\[secret:github-token:[0-9a-f]{8}\]/);
  });

  it('records other exit codes (reserved result errors) as failures', async () => {
    const { output } = await run(fixture('trees/vuln-results-a'), { mode: 'exit', exit: 2, stderr: 'something odd' });
    assert.equal(output.status, 'failed');
    assert.match(output.reason ?? '', /exited with 2 \(an error with the vulnerability results\): something odd/);
  });

  it('fails on malformed JSON instead of reporting nothing found', async () => {
    const { output } = await run(fixture('trees/vuln-results-a'), { mode: 'malformed' });
    assert.equal(output.status, 'failed');
    assert.match(output.reason ?? '', /output is not JSON/);
    assert.deepEqual(output.resources, []);
  });

  it('reports an entry of the wrong shape as a gap and keeps the others', async () => {
    const recorded = JSON.parse(readFileSync(fixture('scanner-output/test-vuln-results-a.json'), 'utf8')) as { results: { packages: { package: Record<string, unknown> }[] }[] };
    delete recorded.results[0]?.packages[0]?.package.name;
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'posture-osv-')), 'odd.json');
    writeFileSync(file, JSON.stringify(recorded));
    const { output } = await run(fixture('trees/vuln-results-a'), { replay: file });
    assert.deepEqual(output.resources.map((r) => r.attributes.name), ['regex']);
    assert.equal(output.gaps?.length, 1);
    assert.equal(output.gaps?.[0]?.resource, 'acme/tree/go.mod');
    assert.match(output.gaps?.[0]?.reason ?? '', /does not have the expected shape/);
  });

  it('stops osv-scanner when it runs past the timeout, and records a gap', async () => {
    const started = Date.now();
    const { output } = await run(fixture('trees/vuln-results-a'), { mode: 'hang' }, { config: { osv: { timeoutMs: 1500 } } });
    assert.ok(Date.now() - started < 15_000, 'returned soon after the timeout');
    assert.equal(output.status, 'failed');
    assert.match(output.reason ?? '', /did not finish within 1500 ms and was stopped/);
  });

  it('reads a very large report (about 22 MB, 5000 packages) completely', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'posture-osv-'));
    const { output } = await run(root, { mode: 'large', packages: 5000 });
    assert.equal(output.resources.length, 5000);
    assert.equal(output.resources.every((r) => r.attributes.severity === 'critical'), true);
  });

  it('refuses a report larger than osv.maxOutputBytes with a gap', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'posture-osv-'));
    const { output } = await run(root, { mode: 'large', packages: 50 }, { config: { osv: { maxOutputBytes: 10_000 } } });
    assert.equal(output.status, 'failed');
    assert.match(output.reason ?? '', /more than osv\.maxOutputBytes \(10000\)/);
  });

  it('runs the v2 command line when --version cannot be read, and notes it', async () => {
    const { output, received } = await run(fixture('trees/vuln-results-a'), { replay: fixture('scanner-output/test-vuln-results-a.json'), versionText: 'dev build' });
    assert.equal(received?.argv[0], 'scan');
    assert.ok(output.notes?.some((n) => n.includes('version not recognised')));
  });

  it('leaves out lockfiles under excluded paths and lists them', async () => {
    const { output } = await run(fixture('trees/vuln-results-a'), { replay: fixture('scanner-output/test-vuln-results-a.json') }, { excludes: ['sub-rust-project/'] });
    assert.deepEqual(output.resources.map((r) => r.attributes.name), ['github.com/gogo/protobuf']);
    assert.deepEqual(output.excluded, ['sub-rust-project/Cargo.lock']);
  });

  it('labels a replayed recording in the source notes', async () => {
    const { output } = await run(fixture('trees/vuln-results-a'), { replay: fixture('scanner-output/test-vuln-results-a.json') });
    assert.ok(output.notes?.[0]?.includes('stand-in (replays recorded osv-scanner outputs; not a live scan)'));
  });
});

describe('osv collector in the demo', () => {
  it('uses the real osv-scanner when one is on PATH, else the stand-in', () => {
    const scanner = makeStandIn();
    assert.deepEqual(demoOsvScanner({ PATH: scanner.dir }), { binary: scanner.binary, replayed: false });
    assert.deepEqual(demoOsvScanner({ PATH: mkdtempSync(path.join(os.tmpdir(), 'posture-empty-')) }), { binary: STAND_IN, replayed: true });
  });
});
