import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { Finding, ResultDocument } from '../../src/engine/types.js';
import type { Resource } from '../../src/facts/types.js';
import { renderReport, reporterRegistry } from '../../src/reporters/index.js';
import { buildSarif, pseudoLocationUri, renderSarif, SECURITY_SEVERITY, type SarifLog } from '../../src/reporters/sarif.js';
import { ciResources, ciResult } from '../support/ci-results.js';
import { runSarifValidator, sarifSchemaValidator } from '../support/sarif-validate.js';
import { tempTree } from '../support/temp.js';

const golden = fileURLToPath(new URL('../../fixtures/sarif/ci-estate.sarif', import.meta.url));

const logOf = (result: ResultDocument): SarifLog => JSON.parse(renderSarif(result)) as SarifLog;
const runOf = (log: SarifLog, scope: string) => {
  const run = log.runs.find((r) => r.properties.scope === scope);
  assert.ok(run, `no run for scope ${scope}: ${log.runs.map((r) => r.properties.scope).join(', ')}`);
  return run;
};

describe('SARIF reporter', () => {
  it('is registered as the sarif format writing report.sarif', () => {
    const reporter = reporterRegistry().find((r) => r.format === 'sarif');
    assert.equal(reporter?.file, 'report.sarif');
    assert.equal(JSON.parse(renderReport(reporter!, ciResult())).version, '2.1.0');
  });

  it('matches the golden file for the CI estate', () => {
    const text = renderSarif(ciResult());
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, text);
    assert.equal(text, readFileSync(golden, 'utf8'), 'SARIF output changed: review it and regenerate with UPDATE_GOLDEN=1');
  });

  it('passes the OASIS SARIF 2.1.0 schema', () => {
    const validate = sarifSchemaValidator();
    const ok = validate(JSON.parse(renderSarif(ciResult())));
    assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    // The validator is not vacuous: a result without a message fails it.
    const broken = JSON.parse(renderSarif(ciResult())) as { runs: { results: Record<string, unknown>[] }[] };
    delete broken.runs[0]!.results[0]!.message;
    assert.equal(validate(broken), false);
  });

  it("passes Microsoft's SARIF validator with GitHub's rules: zero errors", async function () {
    this.timeout(120_000);
    const tree = tempTree({ 'estate.sarif': renderSarif(ciResult()), 'broken.sarif': JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'file:///etc/passwd' } } }] }] }] }) });
    try {
      const results = await runSarifValidator(`${tree.dir}/estate.sarif`);
      const errors = results.filter((r) => r.level === 'error');
      assert.deepEqual(errors, [], JSON.stringify(errors, null, 2));
      assert.deepEqual(results.filter((r) => r.level === 'warning'), [], 'no warnings either');
      // The validator does report errors: an absolute URI without a region breaks GitHub's rules.
      const broken = await runSarifValidator(`${tree.dir}/broken.sarif`);
      assert.ok(broken.some((r) => r.level === 'error'), JSON.stringify(broken));
    } finally {
      tree.cleanup();
    }
  });

  it('describes rules from their metadata: descriptions, help with remediation, security-severity, tags', () => {
    const log = logOf(ciResult());
    const rule = runOf(log, 'source').tool.driver.rules.find((r) => r.id === 'workflow-actions-pinned');
    assert.ok(rule);
    assert.equal(rule.shortDescription.text, 'Workflow actions are pinned to a full commit SHA');
    assert.match(rule.fullDescription.text, /full commit SHA\. Tags are mutable\./);
    assert.match(rule.help.text, /Remediation: Pin each action to a commit SHA\./);
    assert.match(rule.help.markdown!, /\*\*Remediation\.\*\* Pin each action/);
    assert.match(rule.help.markdown!, /```sh\ngit ls-remote/);
    assert.equal(rule.properties['security-severity'], '5.5');
    assert.deepEqual(rule.properties.tags, ['security', 'tampering', 'elevation-of-privilege', 'ID.RA-09', 'PR.PS-06', 'csf-ID']);
    assert.equal(rule.defaultConfiguration.level, 'warning');
    assert.deepEqual(SECURITY_SEVERITY, { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0', info: undefined });
    const info = runOf(log, 'source').tool.driver.rules.find((r) => r.id === 'source-security-policy-present');
    assert.equal(info?.properties['security-severity'], undefined, 'info findings are notes, not low-severity alerts');
    assert.equal(info?.defaultConfiguration.level, 'note');
  });

  it('reports real files and lines, other offending places as related locations, the fingerprint as primaryLocationLineHash', () => {
    const result = ciResult();
    const log = logOf(result);
    const ci = runOf(log, 'source').results.find((r) => r.locations[0]!.physicalLocation.artifactLocation.uri === '.github/workflows/ci.yml');
    assert.ok(ci);
    assert.equal(ci.locations[0]!.physicalLocation.region.startLine, 9);
    assert.deepEqual(ci.relatedLocations?.map((l) => l.physicalLocation.region.startLine), [17]);
    assert.match(ci.relatedLocations![0]!.message!.text, /tj-actions\/changed-files@v45 is not pinned/);
    const finding = result.findings.find((f) => f.resource.id.endsWith('ci.yml') && f.status === 'fail') as Finding;
    assert.equal(ci.partialFingerprints.primaryLocationLineHash, finding.fingerprint);
  });

  it('gives cloud and organisation findings a stable pseudo-location and a run per account or organisation', () => {
    const log = logOf(ciResult());
    assert.deepEqual(log.runs.map((r) => r.automationDetails.id), [
      'posture/source/2026-03-01T00:00:00.000Z',
      'posture/aws/123456789012/2026-03-01T00:00:00.000Z',
      'posture/github/acme/2026-03-01T00:00:00.000Z',
    ]);
    const aws = runOf(log, 'aws/123456789012');
    const uris = aws.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri);
    assert.ok(uris.includes('posture/aws.s3.bucket/arn%3Aaws%3As3%3A%3A%3Aacme-logs'), uris.join('\n'));
    for (const r of aws.results) assert.deepEqual(r.locations[0]!.physicalLocation.region, { startLine: 1, startColumn: 1 });
    const org = runOf(log, 'github/acme').results[0]!;
    assert.equal(org.locations[0]!.physicalLocation.artifactLocation.uri, 'posture/github.organization/https%3A%2F%2Fgithub.com%2Facme');
    assert.equal(pseudoLocationUri({ resource: { kind: 'aws.s3.bucket', id: 'arn:aws:s3:::a b/c', name: 'a', source: 'aws-s3' } }), 'posture/aws.s3.bucket/arn%3Aaws%3As3%3A%3A%3Aa%20b%2Fc');
  });

  it('reports fail and suppressed findings only; suppressed ones carry SARIF suppressions; unknown ones are notifications', () => {
    const result = ciResult();
    const log = logOf(result);
    const aws = runOf(log, 'aws/123456789012');
    const statuses = aws.results.map((r) => r.properties.status).sort();
    assert.deepEqual(statuses, ['fail', 'fail', 'suppressed']);
    const suppressed = aws.results.find((r) => r.properties.status === 'suppressed')!;
    assert.deepEqual(suppressed.suppressions?.map((s) => [s.kind, s.status]), [['external', 'accepted']]);
    assert.match(suppressed.suppressions![0]!.justification, /Public assets.*owner platform@acme\.example, expires 2026-12-31, ticket SEC-42/);
    const expired = aws.results.find((r) => (r.properties.resource as { id: string }).id === 'arn:aws:s3:::acme-legacy')!;
    assert.equal(expired.suppressions, undefined, 'an expired suppression suppresses nothing');
    assert.match(expired.message.text, /suppression expired on 2026-01-31/);
    const notes = aws.invocations[0]!.toolExecutionNotifications.map((n) => n.message.text);
    assert.ok(notes.some((n) => /s3-bucket-encrypted could not be checked on 1 resource.*AccessDenied \(needs s3:GetEncryptionConfiguration\): arn:aws:s3:::acme-data/.test(n)), notes.join('\n'));
    assert.ok(notes.some((n) => /source aws-s3 is partial/.test(n)));
    const everything = log.runs.flatMap((r) => r.results);
    assert.equal(everything.length, result.findings.filter((f) => f.status === 'fail' || f.status === 'suppressed').length);
    assert.ok(!everything.some((r) => (r.properties.resource as { id: string }).id === 'arn:aws:s3:::acme-ok'), 'passing findings are not results');
  });

  it('gives dependency and secret findings one rule per advisory or secret type, with the instance severity', () => {
    const log = logOf(ciResult());
    const source = runOf(log, 'source');
    const rules = new Map(source.tool.driver.rules.map((r) => [r.id, r]));
    const minimist = source.results.find((r) => r.ruleId === 'dependency-no-known-vulnerabilities/GHSA-xvch-5gv4-984h');
    assert.ok(minimist, source.results.map((r) => r.ruleId).join(', '));
    assert.equal(rules.get(minimist.ruleId)?.properties['security-severity'], '9.5');
    assert.equal(source.tool.driver.rules[minimist.ruleIndex]!.id, minimist.ruleId);
    assert.equal(rules.get('dependency-no-known-vulnerabilities/GHSA-p6mc-m468-83gw')?.properties['security-severity'], '8.0');
    assert.ok(source.results.some((r) => r.ruleId === 'secrets-not-committed/github-token'));
    assert.equal(minimist.locations[0]!.physicalLocation.artifactLocation.uri, 'package-lock.json');
    assert.equal(minimist.locations[0]!.physicalLocation.region.startLine, 200);
  });

  it('prefixes paths with the scanned directory so they are relative to the repository root', () => {
    const log = logOf(ciResult({ path: 'services/api/' }));
    const uris = runOf(log, 'source').results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri);
    assert.ok(uris.includes('services/api/.github/workflows/ci.yml'), uris.join('\n'));
    const outside = logOf(ciResult({ path: '../elsewhere' }));
    assert.ok(runOf(outside, 'source').results.some((r) => r.locations[0]!.physicalLocation.artifactLocation.uri === '.github/workflows/ci.yml'));
  });

  it('keeps the most severe results beyond the per-run limit and says what was left out', () => {
    const many: Resource[] = Array.from({ length: 30 }, (_, i) => ({
      kind: 'dependency.package' as const,
      id: `https://github.com/acme/rockets/package-lock.json#pkg:npm/p${i}@1.0.0`,
      name: `p${i}`,
      source: 'osv' as const,
      location: { path: 'package-lock.json', line: i + 1 },
      discriminator: `GHSA-${i}`,
      attributes: { vulnerable: true, severity: i % 3 === 0 ? 'critical' : 'low', advisory: `GHSA-${i}` },
    }));
    const built = buildSarif(ciResult({ resources: many }), { maxResultsPerRun: 10 });
    const run = built.log.runs[0]!;
    assert.equal(run.results.length, 10);
    assert.deepEqual(built.omitted, [{ scope: 'source', count: 20 }]);
    assert.ok(run.results.every((r) => r.properties.severity === 'critical'), 'the ten critical ones are kept');
    const note = run.invocations[0]!.toolExecutionNotifications[0]!;
    assert.match(note.message.text, /20 of 30 results were left out.*Left out: 20 low/);
  });

  it('stays under the gzipped size limit by keeping the most severe results', () => {
    const many: Resource[] = Array.from({ length: 400 }, (_, i) => ({
      kind: 'source.workflow' as const,
      id: `https://github.com/acme/rockets/.github/workflows/w${i}.yml`,
      name: `w${i}.yml ${Math.random().toString(36).repeat(20)}`,
      source: 'local-repo' as const,
      location: { path: `.github/workflows/w${i}.yml` },
      attributes: { actions: [{ uses: `a/b@v${i}-${Math.random().toString(36)}`, line: 3, pinned: false }] },
    }));
    const limit = 8_000;
    const built = buildSarif(ciResult({ resources: many }), { maxGzippedBytes: limit });
    assert.ok(gzipSync(JSON.stringify(built.log)).length <= limit);
    assert.ok(built.omitted[0]!.count > 0 && built.omitted[0]!.count < 400, JSON.stringify(built.omitted));
    assert.ok(gunzipSync(gzipSync(JSON.stringify(built.log))).toString().includes('were left out'));
  });

  it('names the cloud scopes so publishing can refuse them for a public repository', () => {
    assert.deepEqual(buildSarif(ciResult()).cloudScopes, ['aws/123456789012', 'github/acme']);
    const sourceOnly = ciResources().filter((r) => r.kind.startsWith('source.') || r.kind === 'dependency.package');
    assert.deepEqual(buildSarif(ciResult({ resources: sourceOnly })).cloudScopes, []);
  });
});
