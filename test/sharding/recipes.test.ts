import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { parse } from 'yaml';
import type { ResultDocument } from '../../src/engine/types.js';
import type { FactsDocument } from '../../src/facts/types.js';
import { packageRoot } from '../../src/util/package-root.js';
import { runCli } from '../support/cli.js';
import { startDemoAws } from '../support/fake-aws/index.js';
import { startDemoGithub } from '../support/fake-github/index.js';
import { tempTree } from '../support/temp.js';

const EXAMPLES = path.join(packageRoot, 'docs', 'examples');
const SHA_PIN = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Workflow = {
  env: Record<string, string>;
  jobs: Record<string, { needs?: string | string[]; permissions?: Record<string, string>; strategy?: { matrix: { shard: number[] } }; steps: Step[] }>;
};
type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };
type CronJob = {
  apiVersion: string;
  kind: string;
  spec: {
    schedule: string;
    jobTemplate: {
      spec: {
        completionMode: string;
        completions: number;
        parallelism: number;
        template: {
          spec: {
            restartPolicy: string;
            containers: { command: string[]; args: string[]; env: EnvVar[]; volumeMounts: { name: string; mountPath: string }[] }[];
            volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
          };
        };
      };
    };
  };
};

const workflow = (): Workflow => parse(readFileSync(path.join(EXAMPLES, 'sharded-scan.yml'), 'utf8')) as Workflow;
const cronJob = (): CronJob => parse(readFileSync(path.join(EXAMPLES, 'k8s-indexed-job.yaml'), 'utf8')) as CronJob;

describe('sharding recipes', () => {
  it("the GitHub Actions matrix validates against SchemaStore's workflow schema, pins its actions and shards N ways then merges", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(packageRoot, 'fixtures/github-schemas/github-workflow.json'), 'utf8')) as object);
    const doc = workflow();
    assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
    const steps = Object.values(doc.jobs).flatMap((job) => job.steps);
    for (const step of steps) {
      if (step.uses) assert.match(step.uses, SHA_PIN, step.uses);
      if (step.run) assert.ok(!/\$\{\{/.test(step.run), `an expression inside a script: ${step.run.slice(0, 80)}`);
    }
    const shards = Number(doc.env.SHARDS);
    const collect = doc.jobs.collect!;
    assert.deepEqual(collect.strategy?.matrix.shard, Array.from({ length: shards }, (_, i) => i + 1), 'the matrix lists shards 1..SHARDS');
    const collectStep = collect.steps.find((s) => s.run?.includes(' collect '));
    assert.match(collectStep?.run ?? '', /--shard "\$SHARD\/\$SHARDS"/);
    assert.match(collectStep?.run ?? '', /--scan-time "\$SCAN_TIME"/, 'every shard ages against one clock');
    assert.equal(collectStep?.env?.SHARD, '${{ matrix.shard }}');
    const upload = collect.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.equal(upload?.with?.name, 'posture-facts-${{ matrix.shard }}');
    const merge = doc.jobs.merge!;
    assert.equal(merge.needs, 'collect');
    const download = merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    assert.equal(download?.with?.pattern, 'posture-facts-*');
    assert.equal(download?.with?.['merge-multiple'], true);
    const run = merge.steps.find((s) => s.run?.includes(' merge '))?.run ?? '';
    assert.ok(run.indexOf(' merge ') < run.indexOf(' evaluate '), 'merge, then evaluate once');
    assert.deepEqual(merge.permissions, { contents: 'read' });
    assert.deepEqual(collect.permissions, { contents: 'read', 'id-token': 'write' });
  });

  it('the Kubernetes CronJob runs an Indexed Job of SHARDS pods sharing a volume', () => {
    const doc = cronJob();
    assert.equal(doc.apiVersion, 'batch/v1');
    assert.equal(doc.kind, 'CronJob');
    assert.match(doc.spec.schedule, /^\S+ \S+ \S+ \S+ \S+$/);
    const job = doc.spec.jobTemplate.spec;
    assert.equal(job.completionMode, 'Indexed');
    const [container] = job.template.spec.containers;
    assert.ok(container);
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    assert.equal(job.completions, Number(env.SHARDS));
    assert.equal(job.parallelism, job.completions, 'index 0 waits for the others: all must run at once');
    assert.equal(job.template.spec.restartPolicy, 'Never');
    assert.equal(container.env.find((e) => e.name === 'JOB_NAME')?.valueFrom?.fieldRef?.fieldPath, "metadata.labels['batch.kubernetes.io/job-name']");
    const mount = container.volumeMounts.find((m) => m.mountPath === env.POSTURE_SHARED);
    assert.ok(mount, 'the shared directory is a mounted volume');
    assert.ok(job.template.spec.volumes.find((v) => v.name === mount.name)?.persistentVolumeClaim);
    const script = container.args[0] ?? '';
    assert.deepEqual(container.command, ['/bin/sh', '-c']);
    assert.match(script, /--shard-count "\$SHARDS"/);
    assert.ok(script.indexOf('posture merge') < script.indexOf('posture evaluate'));
  });

  describe('run locally as the Indexed Job runs them', function () {
    this.timeout(180_000);
    let aws: Awaited<ReturnType<typeof startDemoAws>>;
    let github: Awaited<ReturnType<typeof startDemoGithub>>;
    let tree: ReturnType<typeof tempTree>;
    before(async () => {
      aws = await startDemoAws();
      github = await startDemoGithub();
      tree = tempTree({ 'shared/.keep': '', 'bin/.keep': '' });
    });
    after(async () => {
      await Promise.all([aws?.close(), github?.close()]);
      tree?.cleanup();
    });

    it("N pods' script with JOB_COMPLETION_INDEX 0..N-1, then merge and evaluate, equals one unsharded collection", async () => {
      assert.ok(existsSync(path.join(packageRoot, 'dist/cli/main.js')), 'npm run build first (npm test does)');
      const doc = cronJob();
      const [container] = doc.spec.jobTemplate.spec.template.spec.containers;
      assert.ok(container);
      const script = container.args[0] as string;
      const shards = doc.spec.jobTemplate.spec.completions;
      // `posture` on PATH, as in the image.
      const shim = path.join(tree.dir, 'bin', 'posture');
      writeFileSync(shim, `#!/bin/sh\nexec node ${JSON.stringify(path.join(packageRoot, 'bin', 'posture.js'))} "$@"\n`);
      chmodSync(shim, 0o755);
      const targets = `--github-org ${github.org} --github-api-url ${github.url} --aws-regions us-east-1,eu-west-1`;
      const yamlEnv = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
      const env = {
        ...yamlEnv,
        ...aws.env,
        ...github.env,
        POSTURE_SHARED: path.join(tree.dir, 'shared'),
        POSTURE_ARGS: targets,
        POSTURE_POLL_SECONDS: '1',
        POSTURE_MERGE_WAIT_SECONDS: '150',
        JOB_NAME: 'posture-sharded-29000000',
        PATH: `${path.join(tree.dir, 'bin')}:${process.env.PATH ?? ''}`,
        NO_COLOR: '1',
      };
      const pods = await Promise.all(
        Array.from({ length: shards }, (_, index) =>
          execa(container.command[0] as string, [...container.command.slice(1), script], { env: { ...env, JOB_COMPLETION_INDEX: String(index) }, extendEnv: false, reject: false, timeout: 170_000 }),
        ),
      );
      for (const pod of pods) assert.equal(pod.exitCode, 0, pod.stderr);
      const run = path.join(tree.dir, 'shared', env.JOB_NAME);
      for (let k = 1; k <= shards; k++) assert.equal((JSON.parse(readFileSync(path.join(run, `facts-${k}.json`), 'utf8')) as FactsDocument).shard?.k, k);
      const result = JSON.parse(readFileSync(path.join(run, 'result.json'), 'utf8')) as ResultDocument;
      assert.ok(result.findings.some((f) => f.status === 'fail'));
      assert.ok(existsSync(path.join(run, 'report', 'report.md')));

      const single = path.join(tree.dir, 'facts-unsharded.json');
      assert.ok(yamlEnv.POSTURE_SOURCES);
      const one = await runCli(['collect', '.', '--sources', yamlEnv.POSTURE_SOURCES, ...targets.split(' '), '--out', single], { cwd: run, env: { ...aws.env, ...github.env } });
      assert.equal(one.code, 0, one.stderr);
      const merged = JSON.parse(readFileSync(path.join(run, 'facts.json'), 'utf8')) as FactsDocument;
      const unsharded = JSON.parse(readFileSync(single, 'utf8')) as FactsDocument;
      const ids = (facts: FactsDocument): string[] => facts.resources.map((r) => `${r.kind} ${r.id}`).sort();
      assert.ok(unsharded.resources.length > 10);
      assert.deepEqual(ids(merged), ids(unsharded));
    });
  });
});
