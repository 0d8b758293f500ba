import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultDocument } from '../../src/engine/types.js';
import { runCli } from '../support/cli.js';
import { tempTree } from '../support/temp.js';
import { checksStateOf } from '../support/fake-github/checks.js';
import { actionsEnv, HEAD_SHA, startCiFakeGithub } from '../support/ci-github.js';
import { ciResult } from '../support/ci-results.js';

// The built CLI (npm test builds it first), spawned as a user would run it. The rules are pinned
// with --rules so that new built-in rules do not change these exit codes.
const RULES = ['--rules', 'workflow-actions-pinned,s3-bucket-versioning-enabled'];
const WORKFLOW = 'name: ci\non: push\npermissions: read-all\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n';
const TREE_ID = (dir: string) => path.basename(dir);

/** No GitHub Actions variables leak in from the machine running the tests. */
const QUIET: Record<string, string> = { GITHUB_ACTIONS: '', GITHUB_REPOSITORY: '', GITHUB_SHA: '', GITHUB_EVENT_PATH: '', GITHUB_EVENT_NAME: '', GITHUB_STEP_SUMMARY: '', GITHUB_TOKEN: '', POSTURE_GITHUB_TOKEN: '' };

const facts = (status: 'complete' | 'partial') =>
  JSON.stringify({
    schemaVersion: '1',
    tool: { name: 'posture', version: 'test' },
    scan: { startedAt: '2026-03-01T00:00:00.000Z', targets: { path: '.' } },
    sources: [{ id: 'aws-s3', status, gaps: status === 'partial' ? [{ resource: 'arn:aws:s3:::b', attributes: ['versioning'], reason: 'AccessDenied', permission: 's3:GetBucketVersioning' }] : [], calls: { total: 1, byApi: {} }, durationMs: 1, notes: [] }],
    resources: [{ kind: 'aws.s3.bucket', id: 'arn:aws:s3:::b', name: 'b', source: 'aws-s3', attributes: {} }],
    excluded: [],
  });

describe('CLI gating: the exit code of each combination of flags', function () {
  this.timeout(120_000);
  let tree: ReturnType<typeof tempTree>;
  const scan = (args: string[], env: Record<string, string> = {}) => runCli(['scan', 'repo', '--sources', 'local-repo', ...RULES, ...args], { cwd: tree.dir, env: { ...QUIET, ...env } });

  before(async () => {
    tree = tempTree({
      'repo/.github/workflows/ci.yml': WORKFLOW,
      'unknown-facts.json': facts('complete'),
      'partial-facts.json': facts('partial'),
      'not-a-result.json': '{"schemaVersion": "1"}',
    });
    // The baseline: the tree as it is now.
    const first = await scan(['--out', 'base', '--fail-on', 'none']);
    assert.equal(first.code, 0, first.stderr);
  });
  after(() => tree.cleanup());

  const ignore = (entries: string) => writeFileSync(path.join(tree.dir, 'repo/.posture-ignore.yaml'), `suppressions:\n${entries}`);
  const suppression = (file: string, expires: string) =>
    `  - rule: workflow-actions-pinned\n    resource: "${TREE_ID(path.join(tree.dir, 'repo'))}/.github/workflows/${file}"\n    reason: Pinned in the next release\n    owner: ci@acme.example\n    expires: "${expires}"\n`;

  it('--fail-on decides which failing findings count: 1 at medium, 0 above it, 0 with none', async () => {
    assert.equal((await scan(['--fail-on', 'medium'])).code, 1);
    assert.equal((await scan(['--fail-on', 'high'])).code, 0);
    assert.equal((await scan(['--fail-on', 'none'])).code, 0);
    assert.equal((await scan([])).code, 0, 'the default threshold is high');
  });

  it('--fail-on-new without --baseline is a usage error (2), before anything is scanned', async () => {
    const { code, stderr } = await scan(['--fail-on-new', '--out', 'never']);
    assert.equal(code, 2);
    assert.match(stderr, /--fail-on-new needs --baseline FILE/);
    assert.ok(!stderr.includes('reports written'), stderr);
  });

  it('--baseline alone changes no exit code; with --fail-on-new only new findings fail', async () => {
    assert.equal((await scan(['--fail-on', 'medium', '--baseline', 'base/result.json'])).code, 1);
    const same = await scan(['--fail-on', 'medium', '--baseline', 'base/result.json', '--fail-on-new', '--out', 'same']);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stderr, /no new failing finding at or above medium; 1 failing finding\(s\) already in the baseline do not fail the build/);
    const result = JSON.parse(readFileSync(path.join(tree.dir, 'same/result.json'), 'utf8')) as ResultDocument;
    const base = JSON.parse(readFileSync(path.join(tree.dir, 'base/result.json'), 'utf8')) as ResultDocument;
    const failing = result.findings.find((f) => f.status === 'fail')!;
    assert.equal(failing.firstSeen, base.scan.scanTime, 'firstSeen carried from the baseline');
    assert.deepEqual(result.baseline?.counts, { new: 0, fixed: 0, unchanged: 1, changed: 0 });

    copyFileSync(path.join(tree.dir, 'repo/.github/workflows/ci.yml'), path.join(tree.dir, 'repo/.github/workflows/release.yml'));
    try {
      const added = await scan(['--fail-on', 'medium', '--baseline', 'base/result.json', '--fail-on-new']);
      assert.equal(added.code, 1);
      assert.match(added.stderr, /1 new failing finding\(s\) at or above medium; 1 failing finding\(s\) already in the baseline/);
      assert.equal((await scan(['--fail-on', 'high', '--baseline', 'base/result.json', '--fail-on-new'])).code, 0, 'new but below the threshold');
      ignore(suppression('release.yml', '2099-12-31'));
      assert.equal((await scan(['--fail-on', 'medium', '--baseline', 'base/result.json', '--fail-on-new'])).code, 0, 'the new finding is suppressed');
    } finally {
      rmSync(path.join(tree.dir, 'repo/.github/workflows/release.yml'));
      writeFileSync(path.join(tree.dir, 'repo/.posture-ignore.yaml'), 'suppressions: []\n');
    }
  });

  it('an expired suppression fails the build again, even for a finding already in the baseline', async () => {
    ignore(suppression('ci.yml', '2099-12-31'));
    assert.equal((await scan(['--fail-on', 'medium'])).code, 0, 'active: suppressed');
    ignore(suppression('ci.yml', '2020-01-31'));
    const expired = await scan(['--fail-on', 'medium', '--baseline', 'base/result.json', '--fail-on-new', '--out', 'expired']);
    assert.equal(expired.code, 1, expired.stderr);
    assert.match(expired.stderr, /1 failing finding\(s\) whose suppression expired/);
    const result = JSON.parse(readFileSync(path.join(tree.dir, 'expired/result.json'), 'utf8')) as ResultDocument;
    assert.deepEqual(result.suppressions.map((s) => s.state), ['expired']);
    writeFileSync(path.join(tree.dir, 'repo/.posture-ignore.yaml'), 'suppressions: []\n');
  });

  it('an incomplete scan (3) beats failing findings (1), with and without --fail-on-new', async () => {
    assert.equal((await scan(['--fail-on', 'medium', '--require', 'osv'])).code, 3);
    assert.equal((await scan(['--fail-on', 'medium', '--require', 'osv', '--baseline', 'base/result.json', '--fail-on-new'])).code, 3);
    assert.equal((await scan(['--fail-on', 'medium', '--fail-on-gaps'])).code, 1, 'local-repo is complete: no gap');
    const partial = await runCli(['evaluate', 'partial-facts.json', ...RULES, '--fail-on', 'info', '--fail-on-gaps', '--out', 'r.json'], { cwd: tree.dir, env: QUIET });
    assert.equal(partial.code, 3, partial.stderr);
  });

  it('unknown findings never cause exit 1, whatever the threshold', async () => {
    const run = await runCli(['evaluate', 'unknown-facts.json', ...RULES, '--fail-on', 'info', '--out', 'u.json'], { cwd: tree.dir, env: QUIET });
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(readFileSync(path.join(tree.dir, 'u.json'), 'utf8')) as ResultDocument;
    assert.equal(result.findings[0]?.status, 'unknown');
  });

  it('a missing or invalid baseline, and a check run with nowhere to go, are usage errors (2)', async () => {
    const missing = await scan(['--baseline', 'nope.json', '--fail-on-new']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json: file not found/);
    const invalid = await scan(['--baseline', 'not-a-result.json']);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /not-a-result\.json: not a valid result document/);
    const nowhere = await scan(['--github-check']);
    assert.equal(nowhere.code, 2);
    assert.match(nowhere.stderr, /--github-check needs the repository/);
    const badSha = await scan(['--github-check', '--check-repo', 'acme/rockets', '--check-sha', 'main']);
    assert.equal(badSha.code, 2);
    assert.match(badSha.stderr, /--check-sha "main" is not a full 40-character commit SHA/);
  });

  it('--github-check publishes a check run whose conclusion matches the exit code; 403 falls back to workflow commands', async () => {
    const fake = await startCiFakeGithub('private');
    const actions = actionsEnv(fake);
    try {
      const env = { ...QUIET, ...(actions.env as Record<string, string>) };
      const run = await runCli(['scan', 'repo', '--sources', 'local-repo', ...RULES, '--fail-on', 'medium', '--github-check', '--out', 'gh'], { cwd: tree.dir, env });
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(fake.log.filter((e) => e.route.includes('check-runs')).map((e) => [e.route, e.status]), [['POST /repos/{owner}/{repo}/check-runs', 201]]);
      const checkRun = checksStateOf(fake.fixtures).checkRuns[0]!;
      assert.deepEqual([checkRun.head_sha, checkRun.status, checkRun.conclusion, checkRun.annotations.length], [HEAD_SHA, 'completed', 'failure', 1]);
      assert.equal(checkRun.annotations[0]!.path, 'repo/.github/workflows/ci.yml', 'paths relative to the repository root');
      assert.match(readFileSync(actions.summary, 'utf8'), /# posture report/);
      fake.faults.push({ kind: 'forbidden', route: 'POST /repos/{owner}/{repo}/check-runs' });
      const refused = await runCli(['scan', 'repo', '--sources', 'local-repo', ...RULES, '--fail-on', 'medium', '--github-check', '--out', 'gh'], { cwd: tree.dir, env });
      assert.equal(refused.code, 1, 'publishing never changes the exit code');
      assert.match(refused.stdout, /^::warning file=repo\/\.github\/workflows\/ci\.yml,line=8,title=posture medium%3A workflow-actions-pinned::/m);
      assert.equal(refused.stderr.match(/workflow commands instead/g)?.length, 1, refused.stderr);
    } finally {
      actions.cleanup();
      await fake.close();
    }
  });

  it('refuses SARIF with cloud findings for a public repository in report and publish, unless --allow-public-upload', async () => {
    const fake = await startCiFakeGithub('public');
    const actions = actionsEnv(fake, { eventName: 'push', event: { repository: { full_name: 'acme/rockets', private: false, visibility: 'public' } } });
    try {
      writeFileSync(path.join(tree.dir, 'cloud.json'), JSON.stringify(ciResult()));
      const env = { ...QUIET, ...(actions.env as Record<string, string>) };
      const refused = await runCli(['report', 'cloud.json', '--format', 'json,sarif', '--out', 'cloud-out'], { cwd: tree.dir, env });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /refusing to write report\.sarif with cloud and organisation findings \(aws\/123456789012, github\/acme\): acme\/rockets is public/);
      assert.ok(!existsSync(path.join(tree.dir, 'cloud-out/report.sarif')));
      const published = await runCli(['publish', 'cloud.json', '--format', 'sarif', '--out', 'cloud-out', '--fail-on', 'none'], { cwd: tree.dir, env });
      assert.equal(published.code, 2, published.stderr);
      const allowed = await runCli(['report', 'cloud.json', '--format', 'json,sarif', '--out', 'cloud-out', '--allow-public-upload'], { cwd: tree.dir, env });
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.ok(existsSync(path.join(tree.dir, 'cloud-out/report.sarif')));
      assert.equal((await runCli(['report', 'cloud.json', '--format', 'sarif', '--out', 'local-out'], { cwd: tree.dir, env: QUIET })).code, 0, 'outside GitHub nothing is uploaded and nothing is checked');
    } finally {
      actions.cleanup();
      await fake.close();
    }
  });

  it('posture publish gates a result document and publishes it; posture diff compares two', async () => {
    const fake = await startCiFakeGithub('private');
    const actions = actionsEnv(fake);
    try {
      const env = { ...QUIET, ...(actions.env as Record<string, string>) };
      const published = await runCli(['publish', 'base/result.json', '--fail-on', 'medium', '--github-check', '--out', 'pub', '--format', 'json,md,sarif'], { cwd: tree.dir, env });
      assert.equal(published.code, 1, published.stderr);
      assert.match(published.stderr, /check run "posture" failure on acme\/rockets@aaaaaaaaaaaa/);
      assert.ok(HEAD_SHA.startsWith('aaaaaaaaaaaa'));
      assert.equal((await runCli(['publish', 'base/result.json', '--fail-on', 'high', '--out', 'pub'], { cwd: tree.dir, env: QUIET })).code, 0);
      const diff = await runCli(['diff', 'base/result.json', 'same/result.json', '--format', 'json'], { cwd: tree.dir, env: QUIET });
      assert.equal(diff.code, 0, diff.stderr);
      assert.deepEqual((JSON.parse(diff.stdout) as { counts: unknown }).counts, { new: 0, fixed: 0, changed: 0, unchanged: 1 });
      assert.equal((await runCli(['diff', 'base/result.json', 'same/result.json', '--format', 'pdf'], { cwd: tree.dir, env: QUIET })).code, 2);
    } finally {
      actions.cleanup();
      await fake.close();
    }
  });
});
