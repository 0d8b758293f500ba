import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { parse } from 'yaml';
import type { ResultDocument } from '../../src/engine/types.js';
import { runCompositeAction, type ActionFile, type UsesHandler } from '../support/action-runner.js';
import { actionsEnv, HEAD_SHA, startCiFakeGithub, TOKEN } from '../support/ci-github.js';
import { checksStateOf } from '../support/fake-github/checks.js';
import type { FakeGithub } from '../support/fake-github/server.js';
import { tempTree } from '../support/temp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ACTION = path.join(root, 'action.yml');
const EXAMPLES = path.join(root, 'docs/examples');

const schema = (name: string) => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(JSON.parse(readFileSync(path.join(root, 'fixtures/github-schemas', name), 'utf8')) as object);
};

const SHA_PIN = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;

describe('action.yml and the example workflows', () => {
  it("validate against SchemaStore's action and workflow schemas", () => {
    const action = schema('github-action.json');
    assert.ok(action(parse(readFileSync(ACTION, 'utf8'))), JSON.stringify(action.errors, null, 2));
    assert.equal(action({ name: 'x', description: 'y', runs: { using: 'composite', steps: [{ run: 'echo' }] } }), false, 'a run step without a shell is invalid: the schema is not vacuous');
    const workflow = schema('github-workflow.json');
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml'));
    assert.deepEqual(files.sort(), ['posture-pull-request.yml', 'posture-weekly.yml', 'sharded-scan.yml']);
    for (const file of files) assert.ok(workflow(parse(readFileSync(path.join(EXAMPLES, file), 'utf8'))), `${file}: ${JSON.stringify(workflow.errors, null, 2)}`);
  });

  it('pin every action to a full commit SHA and never splice an input into a script', () => {
    const action = parse(readFileSync(ACTION, 'utf8')) as ActionFile;
    const docs = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml')).map((f) => parse(readFileSync(path.join(EXAMPLES, f), 'utf8')) as { jobs: Record<string, { steps: { uses?: string; run?: string }[] }> });
    const steps = [...action.runs.steps, ...docs.flatMap((d) => Object.values(d.jobs).flatMap((j) => j.steps))];
    for (const step of steps) {
      if (step.uses) assert.match(step.uses, SHA_PIN, step.uses);
      if (step.run) assert.ok(!/\$\{\{\s*(inputs|github\.event)\./.test(step.run), `an expression inside a script: ${step.run.slice(0, 80)}`);
    }
  });

  it('ask each job for the permissions it needs and no more; the pull-request workflow never uses pull_request_target', () => {
    type Workflow = { on: Record<string, unknown>; permissions: unknown; jobs: Record<string, { permissions: Record<string, string>; steps: { if?: string; with?: Record<string, string> }[] }> };
    const weekly = parse(readFileSync(path.join(EXAMPLES, 'posture-weekly.yml'), 'utf8')) as Workflow;
    const pr = parse(readFileSync(path.join(EXAMPLES, 'posture-pull-request.yml'), 'utf8')) as Workflow;
    assert.deepEqual(weekly.permissions, {});
    assert.deepEqual(pr.permissions, {});
    assert.deepEqual(weekly.jobs.posture!.permissions, { contents: 'read', checks: 'write', 'security-events': 'write', actions: 'read', 'id-token': 'write' });
    assert.deepEqual(pr.jobs.posture!.permissions, { contents: 'read', checks: 'write', 'pull-requests': 'write', 'security-events': 'write', actions: 'read' });
    assert.ok('schedule' in weekly.on);
    assert.ok('pull_request' in pr.on);
    assert.ok(!readFileSync(path.join(EXAMPLES, 'posture-pull-request.yml'), 'utf8').split('\n').some((l) => !l.trim().startsWith('#') && l.includes('pull_request_target')));
    const posture = pr.jobs.posture!.steps.find((s) => s.with?.sources)!;
    assert.equal(posture.with!.sources, 'local-repo,secrets,osv', 'source collectors only');
    assert.equal(posture.with!['fail-on-new'], 'true');
  });
});

describe("the action's steps, run locally against the fake GitHub API", function () {
  this.timeout(180_000);
  let fake: FakeGithub;
  let tree: ReturnType<typeof tempTree>;
  let cache: string;
  const uploads: string[] = [];

  const WORKFLOW = 'name: ci\non: push\npermissions: read-all\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n';

  const handlers: Record<string, UsesHandler> = {
    'actions/setup-node@': async (_step, input) => {
      assert.equal(input['node-version'], '20');
      return {};
    },
    // actions/cache keeps immutable entries; restore-keys pick the newest entry with the prefix.
    'actions/cache/restore@': async (_step, input) => {
      const prefix = input['restore-keys']!.trim();
      const hits = readdirSync(cache).filter((k) => k === input.key || k.startsWith(prefix)).sort((a, b) => statSync(path.join(cache, b)).mtimeMs - statSync(path.join(cache, a)).mtimeMs);
      const outputs: Record<string, string> = { 'cache-hit': 'false' };
      if (hits.length === 0) return { outputs };
      cpSync(path.join(cache, hits[0]!), input.path!, { recursive: true });
      return { outputs: { 'cache-hit': String(hits[0] === input.key), 'cache-matched-key': hits[0]! } };
    },
    'actions/cache/save@': async (_step, input) => {
      assert.ok(!existsSync(path.join(cache, input.key!)), 'cache entries are immutable: the key must be new');
      cpSync(input.path!, path.join(cache, input.key!), { recursive: true });
      return {};
    },
    'github/codeql-action/upload-sarif@': async (_step, input) => {
      const file = path.resolve(tree.dir, 'ws', input.sarif_file!);
      const log = JSON.parse(readFileSync(file, 'utf8')) as { version: string; runs: { automationDetails: { id: string } }[] };
      assert.equal(log.version, '2.1.0');
      assert.equal(input.token, TOKEN);
      uploads.push(log.runs.map((r) => r.automationDetails.id.split('/').slice(0, -1).join('/')).join(','));
      return {};
    },
  };

  const run = async (event: 'push' | 'pull_request', runId: number, inputs: Record<string, string> = {}) => {
    const env = actionsEnv(fake, event === 'push' ? { eventName: 'push', event: { repository: { full_name: 'acme/rockets', private: true } } } : {});
    const runnerTemp = path.join(tree.dir, '_temp');
    mkdirSync(runnerTemp, { recursive: true });
    try {
      const outcome = await runCompositeAction({
        action: ACTION,
        actionPath: root,
        workspace: path.join(tree.dir, 'ws'),
        inputs: { sources: 'local-repo', 'fail-on': 'medium', args: '--rules workflow-actions-pinned', ...inputs },
        github: { token: TOKEN, run_id: String(runId), run_attempt: '1', event_name: event, ref_name: event === 'push' ? 'main' : '7/merge', action_path: root },
        runnerTemp,
        env: { ...(env.env as Record<string, string>), GITHUB_RUN_ID: String(runId), GITHUB_TOKEN: '' },
        uses: handlers,
        // npm ci would reinstall node_modules of the tree the tests run from; the tests use the
        // build that `npm test` makes first (dist/), which is what that step produces.
        skip: { install: 'uses the build made by npm test' },
      });
      return { ...outcome, summary: readFileSync(env.summary, 'utf8') };
    } finally {
      env.cleanup();
    }
  };
  const step = (outcome: Awaited<ReturnType<typeof run>>, name: string) => outcome.results.find((r) => r.step.name === name)!;

  before(async () => {
    assert.ok(existsSync(path.join(root, 'dist/cli/main.js')), 'npm run build first (npm test does)');
    fake = await startCiFakeGithub('private');
    tree = tempTree({ 'ws/.github/workflows/ci.yml': WORKFLOW, 'cache/.keep': '' });
    cache = path.join(tree.dir, 'cache');
  });
  after(async () => {
    tree.cleanup();
    await fake.close();
  });

  it('first run on the default branch: no baseline, gates on every finding, publishes, uploads SARIF and keeps the baseline', async () => {
    const outcome = await run('push', 101);
    assert.equal(step(outcome, 'Restore the baseline').outcome, 'success');
    const scan = step(outcome, 'Scan');
    assert.equal(scan.outcome, 'success', scan.stderr);
    assert.match(scan.stdout, /::notice title=posture::No baseline yet/);
    assert.equal(outcome.outputs['exit-code'], '1');
    assert.equal(outcome.outputs.result, 'posture-report/result.json');
    assert.equal(step(outcome, 'Upload SARIF to code scanning').outcome, 'success');
    assert.deepEqual(uploads, ['posture/source']);
    assert.equal(step(outcome, 'Keep the result as the next baseline').outcome, 'success');
    assert.ok(existsSync(path.join(cache, 'posture-baseline-101-1/result.json')), readdirSync(cache).join(','));
    const gate = step(outcome, 'Gate');
    assert.equal(gate.outcome, 'failure');
    assert.equal(gate.exitCode, 1);
    assert.match(gate.stdout, /::error title=posture::Failing findings/);
    const runs = checksStateOf(fake.fixtures).checkRuns;
    assert.equal(runs.at(-1)?.conclusion, 'failure');
    assert.match(outcome.summary, /# posture report/);
  });

  it('next run: restores the baseline, nothing is new, the gate passes and a new baseline is kept', async () => {
    const outcome = await run('push', 102);
    const scan = step(outcome, 'Scan');
    assert.doesNotMatch(scan.stdout, /No baseline yet/);
    assert.match(scan.stderr, /since the baseline: 0 new, 0 fixed/);
    assert.equal(outcome.outputs['exit-code'], '0', scan.stderr);
    assert.equal(step(outcome, 'Gate').outcome, 'success');
    assert.equal(checksStateOf(fake.fixtures).checkRuns.at(-1)?.conclusion, 'success');
    assert.ok(existsSync(path.join(cache, 'posture-baseline-102-1/result.json')));
    const kept = JSON.parse(readFileSync(path.join(cache, 'posture-baseline-102-1/result.json'), 'utf8')) as ResultDocument;
    const first = JSON.parse(readFileSync(path.join(cache, 'posture-baseline-101-1/result.json'), 'utf8')) as ResultDocument;
    assert.equal(kept.findings.find((f) => f.status === 'fail')?.firstSeen, first.scan.scanTime, 'firstSeen survives from run to run');
  });

  it('a pull request that adds a finding fails on it alone, comments on the pull request and keeps no baseline', async () => {
    writeFileSync(path.join(tree.dir, 'ws/.github/workflows/release.yml'), WORKFLOW);
    const entries = readdirSync(cache).length;
    const outcome = await run('pull_request', 103, { 'pr-comment': 'true' });
    assert.equal(outcome.outputs['exit-code'], '1', step(outcome, 'Scan').stderr);
    assert.match(step(outcome, 'Scan').stderr, /1 new failing finding\(s\) at or above medium; 1 failing finding\(s\) already in the baseline/);
    assert.equal(step(outcome, 'Keep the result as the next baseline').outcome, 'skipped');
    assert.equal(step(outcome, 'Save the baseline').outcome, 'skipped');
    assert.equal(readdirSync(cache).length, entries);
    assert.equal(step(outcome, 'Gate').exitCode, 1);
    const check = checksStateOf(fake.fixtures).checkRuns.at(-1)!;
    assert.equal(check.head_sha, HEAD_SHA);
    assert.equal(check.annotations.length, 2);
    const comment = checksStateOf(fake.fixtures).comments.get('acme/rockets#7')?.[0];
    assert.match(comment?.body ?? '', /\*\*1 new\*\* failing finding/);
  });

  it("the pull-request workflow scans with the base branch's suppressions and reports the pull request's change to them", async () => {
    type Workflow = { jobs: Record<string, { steps: { id?: string; run?: string; with?: Record<string, string> }[] }> };
    const workflow = parse(readFileSync(path.join(EXAMPLES, 'posture-pull-request.yml'), 'utf8')) as Workflow;
    const baseStep = workflow.jobs.posture!.steps.find((s) => s.id === 'base')!;
    const postureStep = workflow.jobs.posture!.steps.find((s) => s.with?.sources)!;
    const ws = path.join(tree.dir, 'ws');
    // The pull request adds a suppression for its own finding; the base branch has none.
    rmSync(path.join(ws, '.github/workflows/release.yml'), { force: true });
    writeFileSync(path.join(ws, 'evil.yml'), WORKFLOW);
    mkdirSync(path.join(ws, '.github/workflows'), { recursive: true });
    writeFileSync(path.join(ws, '.github/workflows/evil.yml'), WORKFLOW);
    writeFileSync(path.join(ws, '.posture-ignore.yaml'), 'suppressions:\n  - rule: workflow-actions-pinned\n    resource: "*"\n    reason: trust me\n    owner: someone\n    expires: "2099-01-01"\n');
    mkdirSync(path.join(ws, '.posture-base'), { recursive: true });
    writeFileSync(path.join(ws, '.posture-base/posture.yaml'), 'failOn: medium\n');
    writeFileSync(path.join(ws, '.posture-base/.posture-ignore.yaml'), 'suppressions: []\n');
    const script = path.join(tree.dir, '_temp/base-step.sh');
    writeFileSync(script, baseStep.run!);
    const outputFile = path.join(tree.dir, '_temp/base-output');
    const summaryFile = path.join(tree.dir, '_temp/base-summary');
    writeFileSync(outputFile, '');
    writeFileSync(summaryFile, '');
    const base = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: ws,
      env: { PATH: process.env.PATH ?? '', GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, RUNNER_TEMP: path.join(tree.dir, '_temp') },
      extendEnv: false,
      reject: false,
    });
    assert.equal(base.exitCode, 0, base.stderr);
    assert.match(base.stdout, /^::warning file=\.posture-ignore\.yaml,title=posture configuration changed::This pull request changes \.posture-ignore\.yaml/m);
    assert.match(base.stdout, /^::warning file=posture\.yaml,/m, 'the pull request has no posture.yaml where the base has one');
    assert.match(readFileSync(summaryFile, 'utf8'), /```diff[\s\S]*\+ {4}reason: trust me/);
    assert.equal(readFileSync(path.join(ws, '.posture-ignore.yaml'), 'utf8'), 'suppressions: []\n', "the base branch's suppressions are in place");
    assert.equal(readFileSync(outputFile, 'utf8'), 'config=.posture-base/posture.yaml\n');

    const outcome = await run('pull_request', 105, { config: '.posture-base/posture.yaml', args: `${postureStep.with!.args} --rules workflow-actions-pinned`, 'github-check': 'false', 'upload-sarif': 'false' });
    const scan = step(outcome, 'Scan');
    assert.equal(outcome.outputs['exit-code'], '1', scan.stderr);
    assert.match(scan.stderr, /1 new failing finding\(s\)/, "the pull request's own suppression does not hide its finding");
    const result = JSON.parse(readFileSync(path.join(ws, 'posture-report/result.json'), 'utf8')) as ResultDocument;
    assert.ok(!result.findings.some((f) => f.resource.id.includes('.posture-base')), '.posture-base is not scanned');
    rmSync(path.join(ws, '.posture-base'), { recursive: true });
    rmSync(path.join(ws, '.github/workflows/evil.yml'));
    rmSync(path.join(ws, 'evil.yml'));
  });

  it('inputs cannot inject shell code, and a usage error fails the gate with exit 2', async () => {
    const outcome = await run('push', 104, { args: '--rules workflow-actions-pinned ; touch pwned-args', path: '$(touch pwned-path)', 'save-baseline': 'false' });
    assert.ok(!existsSync(path.join(tree.dir, 'ws/pwned-args')) && !existsSync(path.join(tree.dir, 'ws/pwned-path')), 'no injected command ran');
    assert.equal(outcome.outputs['exit-code'], '2');
    assert.equal(step(outcome, 'Gate').exitCode, 2);
    assert.equal(step(outcome, 'Keep the result as the next baseline').outcome, 'skipped');
    assert.equal(step(outcome, 'Upload SARIF to code scanning').outcome, 'skipped', 'no stale SARIF from an earlier run is uploaded');
  });
});
