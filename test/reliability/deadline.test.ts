import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultDocument } from '../../src/engine/types.js';
import type { FactsDocument } from '../../src/facts/types.js';
import { startDemoAws } from '../support/fake-aws/index.js';
import { runCli } from '../support/cli.js';
import { tempTree } from '../support/temp.js';
import { changes, SCAN_TIME, statusMap } from './support.js';

describe('the overall deadline: a scan that runs out of time ends, and says what it did not read', function () {
  this.timeout(120_000);
  let tree: ReturnType<typeof tempTree>;
  before(() => {
    tree = tempTree({ 'repo/README.md': '# app\n' });
  });
  after(() => tree.cleanup());

  const scan = async (out: string, extra: string[], faults: (aws: Awaited<ReturnType<typeof startDemoAws>>) => void = () => {}) => {
    const aws = await startDemoAws({ now: SCAN_TIME });
    faults(aws);
    try {
      const run = await runCli(
        ['scan', 'repo', '--sources', 'aws-iam,aws-s3', '--aws-regions', 'us-east-1,eu-west-1', '--scan-time', SCAN_TIME.toISOString(), '--format', 'json', '--out', out, '--fail-on', 'none', '--fail-on-gaps', ...extra],
        { cwd: tree.dir, env: { ...aws.env, POSTURE_FINGERPRINT_KEY: 'deadline-test' } },
      );
      const read = <T>(file: string): T => JSON.parse(readFileSync(path.join(tree.dir, out, file), 'utf8')) as T;
      return { run, result: read<ResultDocument>('result.json'), facts: read<FactsDocument>('facts.json') };
    } finally {
      await aws.close();
    }
  };

  it('cancels the calls in flight at the deadline: their findings become unknown, none flips, the gaps say why, exit 3', async () => {
    const free = await scan('free', []);
    assert.equal(free.run.code, 0, free.run.stderr);
    // Every bucket policy takes far longer than the deadline (and the per-call timeout, so no retry finishes in time).
    const late = await scan('late', ['--deadline', '3s'], (aws) => aws.faults.push({ service: 's3', operation: 'GetBucketPolicy', kind: 'slow', delayMs: 60_000 }));
    assert.equal(late.run.code, 3, late.run.stderr);
    assert.match(late.run.stderr, /the deadline of 3 s passed/);

    const s3 = late.facts.sources.find((s) => s.id === 'aws-s3');
    assert.equal(s3?.status, 'partial');
    assert.ok(s3?.notes.some((n) => /deadline of 3 s passed while this source was running/.test(n)), JSON.stringify(s3?.notes));
    const policyGaps = (s3?.gaps ?? []).filter((g) => g.attributes.includes('policy'));
    assert.ok(policyGaps.length > 0, JSON.stringify(s3?.gaps));
    // aws-iam may or may not have finished by then (the credential report takes a few polls); either way it is not lost.
    assert.notEqual(late.facts.sources.find((s) => s.id === 'aws-iam')?.status, 'failed', JSON.stringify(late.facts.sources.find((s) => s.id === 'aws-iam')));

    const changed = changes(statusMap(free.result), statusMap(late.result));
    assert.ok(changed.length > 0, 'some findings needed the bucket policies');
    for (const change of changed) assert.equal(change.to, 'unknown', `${change.key}: ${change.from} -> ${change.to}`);
  });

  it('reads limits.deadlineMs from posture.yaml, and refuses a deadline without a unit', async () => {
    writeFileSync(path.join(tree.dir, 'posture.yaml'), 'limits:\n  deadlineMs: 500\n');
    const small = await runCli(['scan', 'repo', '--out', 'x'], { cwd: tree.dir });
    assert.equal(small.code, 2);
    assert.match(small.stderr, /posture\.yaml.*limits\/deadlineMs|limits\.deadlineMs/);
    writeFileSync(path.join(tree.dir, 'posture.yaml'), 'limits:\n  deadlineMs: 60000\n');
    const unitless = await runCli(['scan', 'repo', '--out', 'x', '--deadline', '30'], { cwd: tree.dir });
    assert.equal(unitless.code, 2);
    assert.match(unitless.stderr, /--deadline "30" is not a duration from 1 s to 24 days, such as 90s, 30m or 2h/);
    const configured = await runCli(['scan', 'repo', '--out', 'x', '--sources', 'local-repo'], { cwd: tree.dir });
    assert.equal(configured.code, 0, configured.stderr);
  });
});
