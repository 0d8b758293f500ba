import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, execaSync } from 'execa';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const script = path.join(repo, '.ci', 'self-scan');

/** The repository's tracked files outside fixtures/ and test/ (what the self-scan reads), copied. */
const copyOfRepository = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'posture-self-'));
  const tracked = execaSync('git', ['ls-files', '-z'], { cwd: repo }).stdout.split('\0').filter(Boolean);
  for (const file of tracked) {
    if (/^(fixtures|test)\//.test(file)) continue;
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(repo, file), path.join(dir, file));
  }
  return dir;
};

const selfScan = (dir: string, out: string) =>
  execa('bash', [script, dir], { env: { SELF_SCAN_OUT: out, NO_COLOR: '1', POSTURE_FINGERPRINT_KEY: 'self-scan-test' }, reject: false, timeout: 60_000 });

describe('self-scan: CI scans this repository with posture and fails only on new high findings', function () {
  this.timeout(120_000);
  let dir: string;
  let out: string;
  before(() => {
    dir = copyOfRepository();
    out = mkdtempSync(path.join(os.tmpdir(), 'posture-self-out-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('the committed baseline holds every current finding: the repository as it is passes', async () => {
    const run = await selfScan(dir, out);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.match(run.stderr, /since the baseline: 0 new/);
  });

  it('a new high finding fails the step; the findings already in the baseline do not', async () => {
    writeFileSync(path.join(dir, '.env'), 'LOG_LEVEL=debug\n');
    const run = await selfScan(dir, out);
    assert.equal(run.exitCode, 1, run.stderr);
    assert.match(run.stderr, /since the baseline: 1 new/);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as { findings: { ruleId: string; status: string; severity: string }[] };
    const failingHighs = result.findings.filter((f) => f.status === 'fail' && (f.severity === 'high' || f.severity === 'critical')).map((f) => f.ruleId);
    assert.deepEqual(failingHighs, ['source-env-files-not-committed']);
  });
});
