import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createShard, shardOfUnit } from '../../src/collectors/shard.js';
import { STAND_IN_PATH } from '../../src/collectors/osv/demo.js';
import type { ResultDocument } from '../../src/engine/types.js';
import type { FactsDocument } from '../../src/facts/types.js';
import { packageRoot } from '../../src/util/package-root.js';
import { runCli, runInProcess } from '../support/cli.js';
import { startDemoAws } from '../support/fake-aws/index.js';
import { startDemoGithub } from '../support/fake-github/index.js';
import { tempTree } from '../support/temp.js';

const DEMO = path.join(packageRoot, 'fixtures', 'demo');
const SCAN_TIME = new Date().toISOString();
const N = 3;

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** What "equal to an unsharded scan" compares: resources without timings, and (fingerprint, status). */
const resourcesOf = (facts: FactsDocument): string[] => facts.resources.map((r) => JSON.stringify(r)).sort();
const decisionsOf = (result: ResultDocument): string[] => result.findings.map((f) => `${f.fingerprint} ${f.status}`).sort();

describe('sharding: unit assignment', () => {
  it('puts each unit in one shard by its hash, so a new unit moves no other', () => {
    const units = Array.from({ length: 300 }, (_, i) => `github-repo:https://github.com/acme/r${i}`);
    const before = new Map(units.map((u) => [u, shardOfUnit(u, 4)]));
    const grown = [...units, 'github-repo:https://github.com/acme/created-during-the-run'];
    for (const unit of units) assert.equal(shardOfUnit(unit, 4), before.get(unit));
    const counts = [1, 2, 3, 4].map((k) => grown.filter((u) => shardOfUnit(u, 4) === k).length);
    assert.ok(counts.every((c) => c > 40), `every shard gets a share: ${counts.join(', ')}`);
    // sha256("tree:x") starts 0x…; checked against an independent computation below.
    const shards = [1, 2, 3, 4].map((k) => createShard(k, 4));
    for (const unit of grown) assert.equal(shards.filter((s) => s.owns(unit)).length, 1, unit);
    assert.equal(shards.reduce((sum, s) => sum + s.covered().length, 0), grown.length);
  });

  it('reduces the whole digest mod N', () => {
    // 1 + (sha256("a") mod 7), with sha256("a") = ca978112…48bb as a 256-bit integer.
    const digest = BigInt('0xca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
    assert.equal(shardOfUnit('a', 7), 1 + Number(digest % 7n));
    assert.equal(shardOfUnit('a', 1), 1);
  });
});

describe('sharding: posture collect --shard and posture merge', function () {
  this.timeout(180_000);
  let aws: Awaited<ReturnType<typeof startDemoAws>>;
  let github: Awaited<ReturnType<typeof startDemoGithub>>;
  let tree: ReturnType<typeof tempTree>;
  let env: Record<string, string>;
  const shardFile = (k: number): string => path.join(tree.dir, `facts-${k}.json`);
  const collectArgs = (): string[] => [
    'collect',
    DEMO,
    '--sources',
    'all',
    '--aws-regions',
    'us-east-1,eu-west-1',
    '--github-org',
    github.org,
    '--github-api-url',
    github.url,
    '--osv-scanner',
    STAND_IN_PATH,
    '--scan-time',
    SCAN_TIME,
  ];

  before(async () => {
    aws = await startDemoAws();
    github = await startDemoGithub();
    tree = tempTree({});
    env = { ...aws.env, ...github.env, POSTURE_FINGERPRINT_KEY: 'posture-test-fingerprint-key', PATH: process.env.PATH ?? '' };
    const runs = await Promise.all([
      runCli([...collectArgs(), '--out', path.join(tree.dir, 'facts-all.json')], { env }),
      ...Array.from({ length: N }, (_, i) => runCli([...collectArgs(), '--shard', `${i + 1}/${N}`, '--out', shardFile(i + 1)], { env })),
    ]);
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
  });
  after(async () => {
    await Promise.all([aws?.close(), github?.close()]);
    tree?.cleanup();
  });

  const shards = (): FactsDocument[] => Array.from({ length: N }, (_, i) => readJson<FactsDocument>(shardFile(i + 1)));

  it('records each shard, its plan and the units it covered; the units partition the estate', () => {
    const docs = shards();
    const planIds = new Set(docs.map((d) => d.shard?.planId));
    assert.equal(planIds.size, 1, 'one plan for every shard of a run');
    assert.deepEqual(docs.map((d) => [d.shard?.k, d.shard?.n]), [[1, N], [2, N], [3, N]]);
    const units = docs.flatMap((d) => d.shard?.units ?? []);
    assert.equal(new Set(units).size, units.length, 'no unit in two shards');
    for (const expected of ['tree:', 'aws:123456789012', 'aws:123456789012:us-east-1', 'aws:123456789012:eu-west-1', 'aws-s3-bucket:', 'github-org:', 'github-repo:']) {
      assert.ok(units.some((u) => u === expected || (expected.endsWith(':') && u.startsWith(expected))), `a unit ${expected}… in ${units.join(', ')}`);
    }
    for (const doc of docs) for (const unit of doc.shard?.units ?? []) assert.equal(shardOfUnit(unit, N), doc.shard?.k, unit);
    const unsharded = readJson<FactsDocument>(path.join(tree.dir, 'facts-all.json'));
    assert.equal(unsharded.shard, undefined);
    assert.ok(docs.every((d) => d.resources.length < unsharded.resources.length), 'each shard collects a share only');
  });

  it('merges N shards into the same resources and (fingerprint, status) set as an unsharded scan', async () => {
    const merged = path.join(tree.dir, 'facts-merged.json');
    const merge = await runCli(['merge', ...Array.from({ length: N }, (_, i) => shardFile(N - i)), '--out', merged], { env });
    assert.equal(merge.code, 0, merge.stderr);
    const mergedFacts = readJson<FactsDocument>(merged);
    const unsharded = readJson<FactsDocument>(path.join(tree.dir, 'facts-all.json'));
    assert.equal(mergedFacts.shard, undefined);
    assert.ok(unsharded.resources.length > 20, `the estate is not trivial: ${unsharded.resources.length}`);
    assert.deepEqual(resourcesOf(mergedFacts), resourcesOf(unsharded));
    assert.deepEqual(
      mergedFacts.sources.map((s) => [s.id, s.status]).sort(),
      unsharded.sources.map((s) => [s.id, s.status]).sort(),
    );
    const evaluations = await Promise.all(
      [merged, path.join(tree.dir, 'facts-all.json')].map((file) => runCli(['evaluate', file, '--fail-on', 'none', '--out', `${file}.result.json`], { env })),
    );
    for (const run of evaluations) assert.equal(run.code, 0, run.stderr);
    const [fromShards, fromOne] = [merged, path.join(tree.dir, 'facts-all.json')].map((f) => readJson<ResultDocument>(`${f}.result.json`)) as [ResultDocument, ResultDocument];
    assert.ok(fromOne.findings.some((f) => f.status === 'fail'));
    assert.deepEqual(decisionsOf(fromShards), decisionsOf(fromOne));
  });

  describe('merge refuses', () => {
    const write = (name: string, doc: unknown): string => {
      const file = path.join(tree.dir, name);
      writeFileSync(file, JSON.stringify(doc));
      return file;
    };
    const refuses = async (files: string[], message: RegExp): Promise<void> => {
      const run = await runInProcess(['merge', ...files, '--out', path.join(tree.dir, 'never.json')], env, packageRoot);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.ok(!existsSync(path.join(tree.dir, 'never.json')), 'nothing written');
    };
    const all = (): string[] => Array.from({ length: N }, (_, i) => shardFile(i + 1));

    it('a missing shard', () => refuses(all().slice(0, 2), /shard\(s\) 3\/3 missing/));
    it('a shard given twice', () => refuses([...all(), shardFile(2)], /is shard 2\/3 again/));
    it('shards of different plans', async () => {
      const [first, ...rest] = shards() as [FactsDocument, ...FactsDocument[]];
      const other = write('other-plan.json', { ...first, shard: { ...first.shard, planId: 'f'.repeat(64) } });
      await refuses([other, ...rest.map((_, i) => shardFile(i + 2))], /different configuration, rules or targets/);
    });
    it('shards of a different count', async () => {
      const first = shards()[0] as FactsDocument;
      const other = write('other-n.json', { ...first, shard: { ...first.shard, n: 4 } });
      await refuses([other, shardFile(2), shardFile(3)], /shards come from different runs/);
    });
    it('two shards covering one unit', async () => {
      const [a, b] = shards() as [FactsDocument, FactsDocument];
      const stolen = a.shard?.units[0] as string;
      const overlapping = write('overlap-unit.json', { ...b, shard: { ...b.shard, units: [...(b.shard?.units ?? []), stolen].sort() } });
      await refuses([shardFile(1), overlapping, shardFile(3)], new RegExp(`covers unit ${stolen.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    });
    it('two shards emitting one resource', async () => {
      const [a, b] = shards() as [FactsDocument, FactsDocument];
      const taken = a.resources[0];
      assert.ok(taken, 'shard 1 emits a resource');
      const overlapping = write('overlap-resource.json', { ...b, resources: [...b.resources, taken] });
      await refuses([shardFile(1), overlapping, shardFile(3)], /emits resource .* which .* emits too/);
    });
    it('a document that is not a shard, and one that is not valid', async () => {
      await refuses([path.join(tree.dir, 'facts-all.json'), shardFile(2), shardFile(3)], /is not a shard's facts document/);
      const broken = write('broken.json', { ...(shards()[0] as FactsDocument), shard: { k: 0, n: 3, planId: 'x', units: [] } });
      await refuses([broken, shardFile(2), shardFile(3)], /not a valid facts document/);
    });
  });

  it('evaluate warns that a single shard is not the whole estate', async () => {
    const run = await runInProcess(['evaluate', shardFile(1), '--fail-on', 'none', '--out', path.join(tree.dir, 'shard-result.json')], env, packageRoot);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /holds shard 1\/3 only: merge the shards first/);
  });

  it('collect rejects a malformed --shard with exit 2', async () => {
    for (const spec of ['0/3', '4/3', '3', 'a/b', '1/0']) {
      const run = await runInProcess(['collect', DEMO, '--sources', 'local-repo', '--shard', spec], env, packageRoot);
      assert.equal(run.code, 2, `${spec}: ${run.stderr}`);
      assert.match(run.stderr, /--shard/);
    }
    const noIndex = await runInProcess(['collect', DEMO, '--sources', 'local-repo', '--shard-count', '3'], env, packageRoot);
    assert.equal(noIndex.code, 2);
    assert.match(noIndex.stderr, /JOB_COMPLETION_INDEX/);
  });
});
