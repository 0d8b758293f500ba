import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createSchemaSet, assertValid } from '../../src/facts/documents.js';
import type { ResultDocument } from '../../src/engine/types.js';
import { runCli } from '../support/cli.js';
import { tempTree } from '../support/temp.js';

// The source-tree collector alone, so that these tests do not depend on osv-scanner being installed.
const POLICY_RULE = ['--sources', 'local-repo', '--rules', 'source-security-policy-present'];

const customRule = `id: team-codeowners-in-github-folder
title: CODEOWNERS lives in .github/
description: The team keeps CODEOWNERS in .github/ so that it is found in one place.
risk: Review routing is inconsistent across repositories.
severity: critical
lifecycle: stable
resource: source.repository
requires: [codeowners]
condition:
  properties:
    codeowners: { const: .github/CODEOWNERS }
csf:
  - id: GV.RR-02
    rationale: Ownership of code review is assigned and communicated.
threats: [tampering]
message: '{{name}} keeps CODEOWNERS at {{attributes.codeowners}}'
remediation:
  text: Move CODEOWNERS to .github/CODEOWNERS.
`;

const customTests = `cases:
  - name: in .github passes
    expect: pass
    resource: { attributes: { codeowners: .github/CODEOWNERS } }
  - name: in the root fails
    expect: fail
    messageIncludes: keeps CODEOWNERS at CODEOWNERS
    resource: { attributes: { codeowners: CODEOWNERS } }
  - name: unreadable is unknown
    expect: unknown
    resource: { attributes: { codeowners: { $unknown: { reason: EACCES } } } }
`;

describe('CLI: exit codes, end to end', () => {
  let tree: ReturnType<typeof tempTree>;
  const schemas = createSchemaSet();
  before(() => {
    tree = tempTree({
      'nopolicy/README.md': '# app\n',
      'nopolicy/CODEOWNERS': '* @acme/platform\n',
      'broken/package.json': '{ "dependencies": { "left-pad": ',
      'broken/SECURITY.md': 'Report to security@example.com\n',
      'badflow/.github/workflows/ci.yml': 'on: push\njobs:\n  build: [unclosed\n',
      'configured/posture.yaml': 'failOn: low\nsources: [local-repo]\n',
      'policy/team-codeowners-in-github-folder.yaml': customRule,
      'policy/team-codeowners-in-github-folder.test.yaml': customTests,
      'untested/team-codeowners-in-github-folder.yaml': customRule,
    });
  });
  after(() => tree.cleanup());
  const scan = (args: string[], cwd = tree.dir) => runCli(['scan', ...args, '--out', path.join(tree.dir, 'out')], { cwd });

  it('exits 0 below the threshold and 1 at or above it', async () => {
    const below = await scan(['nopolicy', ...POLICY_RULE]);
    assert.equal(below.code, 0, below.stderr);
    assert.match(below.stderr, /1 failing/);
    const at = await scan(['nopolicy', ...POLICY_RULE, '--fail-on', 'low']);
    assert.equal(at.code, 1, at.stderr);
    assert.match(at.stderr, /exit 1: 1 failing finding\(s\) at or above low/);
    assert.equal((await scan(['nopolicy', ...POLICY_RULE, '--fail-on', 'none'])).code, 0);
  });

  it('writes facts.json, result.json and report.md; the result validates against its schema', async () => {
    await scan(['nopolicy', ...POLICY_RULE]);
    const out = path.join(tree.dir, 'out');
    for (const file of ['facts.json', 'result.json', 'report.md']) assert.ok(existsSync(path.join(out, file)), file);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as ResultDocument;
    assertValid(schemas, 'result', result, 'result.json');
    assert.deepEqual(result.findings.map((f) => [f.ruleId, f.status, f.resource.id]), [['source-security-policy-present', 'fail', 'nopolicy']]);
    assert.deepEqual(result.coverage.sources.map((s) => [s.id, s.status]), [['local-repo', 'complete']]);
  });

  it('exits 3 for a required source that did not run, and 3 wins over 1', async () => {
    const required = await scan(['nopolicy', ...POLICY_RULE, '--require', 'osv', '--fail-on', 'low']);
    assert.equal(required.code, 3, required.stderr);
    assert.match(required.stderr, /required source osv is not run/);
  });

  it('exits 3 with --fail-on-gaps when a source is partial, and not without it', async () => {
    const gaps = await scan(['broken', '--sources', 'local-repo', '--rules', 'source-lockfile-committed', '--fail-on-gaps']);
    assert.equal(gaps.code, 3, gaps.stderr);
    assert.match(gaps.stderr, /source local-repo is partial/);
    assert.equal((await scan(['broken', '--sources', 'local-repo', '--rules', 'source-lockfile-committed'])).code, 0);
  });

  it('never exits 1 for unknown findings', async () => {
    const result = await scan(['badflow', '--sources', 'local-repo', '--rules', 'workflow-*', '--fail-on', 'info']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /0 failing, 3 unknown/);
  });

  it('exits 2 before anything else: a usage error beats an incomplete scan', async () => {
    assert.equal((await scan(['nopolicy', '--require', 'osv', '--format', 'pdf'])).code, 2);
  });

  it('reads failOn and sources from posture.yaml, and the command line beats it', async () => {
    const fromConfig = await scan(['../nopolicy', '--rules', 'source-security-policy-present'], path.join(tree.dir, 'configured'));
    assert.equal(fromConfig.code, 1, fromConfig.stderr);
    const overridden = await scan(['../nopolicy', '--rules', 'source-security-policy-present', '--fail-on', 'high'], path.join(tree.dir, 'configured'));
    assert.equal(overridden.code, 0, overridden.stderr);
  });

  it('runs collect, evaluate and report as separate stages with the same findings as scan', async () => {
    const facts = path.join(tree.dir, 'staged-facts.json');
    const result = path.join(tree.dir, 'staged-result.json');
    assert.equal((await runCli(['collect', 'nopolicy', '--sources', 'local-repo', '--out', facts, '--scan-time', '2026-03-01T00:00:00Z'], { cwd: tree.dir })).code, 0);
    const evaluated = await runCli(['evaluate', facts, '--out', result, '--rules', 'source-security-policy-present', '--fail-on', 'low'], { cwd: tree.dir });
    assert.equal(evaluated.code, 1, evaluated.stderr);
    const report = await runCli(['report', result, '--out', path.join(tree.dir, 'staged'), '--format', 'md'], { cwd: tree.dir });
    assert.equal(report.code, 0, report.stderr);
    assert.match(readFileSync(path.join(tree.dir, 'staged', 'report.md'), 'utf8'), /source-security-policy-present/);
    const staged = JSON.parse(readFileSync(result, 'utf8')) as ResultDocument;
    await scan(['nopolicy', ...POLICY_RULE]);
    const scanned = JSON.parse(readFileSync(path.join(tree.dir, 'out', 'result.json'), 'utf8')) as ResultDocument;
    assert.deepEqual(staged.findings.map((f) => [f.fingerprint, f.status]), scanned.findings.map((f) => [f.fingerprint, f.status]));
    assert.equal(staged.scan.scanTime, '2026-03-01T00:00:00.000Z', 'evaluate ages against the collection time');
  });

  it('loads custom rules with --rules-dir, runs their tests, and refuses a rule without tests', async () => {
    const custom = await scan(['nopolicy', '--sources', 'local-repo', '--rules-dir', 'policy', '--rules', 'team-*', '--fail-on', 'critical']);
    assert.equal(custom.code, 1, custom.stderr);
    const result = JSON.parse(readFileSync(path.join(tree.dir, 'out', 'result.json'), 'utf8')) as ResultDocument;
    assert.equal(result.findings[0]?.message, 'nopolicy keeps CODEOWNERS at CODEOWNERS');
    assert.equal(result.rules[0]?.builtin, false);
    const tests = await runCli(['rules', 'test', '--rules-dir', 'policy', '--rules', 'team-*'], { cwd: tree.dir });
    assert.equal(tests.code, 0, tests.stdout);
    assert.match(tests.stdout, /^3 passed, 0 failed$/m);
    const untested = await runCli(['rules', 'test', '--rules-dir', 'untested', '--rules', 'team-*'], { cwd: tree.dir });
    assert.equal(untested.code, 1);
    assert.match(untested.stdout, /has no test file team-codeowners-in-github-folder\.test\.yaml/);
  });

  it('lists rules with their severity, CSF function and resource kind', async () => {
    const { code, stdout } = await runCli(['rules', 'list', '--json']);
    assert.equal(code, 0);
    const rows = JSON.parse(stdout) as { id: string; severity: string; function: string; resource: string }[];
    const pinned = rows.find((r) => r.id === 'workflow-actions-pinned');
    assert.ok(pinned);
    assert.equal(pinned.resource, 'source.workflow');
    assert.match(pinned.function, /^(GV|ID|PR|DE|RS|RC)$/);
  });
});
