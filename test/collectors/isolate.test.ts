import assert from 'node:assert/strict';
import { collectorRegistry } from '../../src/collectors/index.js';
import { collectIsolated, warmIsolated } from '../../src/collectors/isolate.js';
import { runCollectors } from '../../src/collectors/run.js';
import { createShard } from '../../src/collectors/shard.js';
import { createCallRecorder, type Collector } from '../../src/collectors/types.js';
import type { FactsDocument } from '../../src/facts/types.js';
import { createLogger } from '../../src/util/logger.js';
import { ACCOUNT, s3Context, startS3Fake } from './aws-s3/support.js';

const registered = (id: string): Collector => {
  const collector = collectorRegistry().find((c) => c.id === id);
  assert.ok(collector, id);
  return collector;
};

const buckets = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'].map((name, i) => ({
  Name: `acme-${name}`,
  Region: i % 2 === 0 ? 'us-east-1' : 'eu-west-1',
  ...(i === 1 ? { PublicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } } : {}),
}));

const withoutTimings = (facts: FactsDocument) => ({
  resources: facts.resources,
  sources: facts.sources.map(({ durationMs: _d, calls, ...rest }) => ({ ...rest, calls: { total: calls.total, byApi: Object.fromEntries(Object.entries(calls.byApi).map(([api, s]) => [api, { ...s, ms: 0 }])) } })),
});

describe('isolated collectors (worker threads)', () => {
  it('the network collectors are the ones marked to run in a worker thread', () => {
    assert.deepEqual(collectorRegistry().filter((c) => c.isolated).map((c) => c.id), ['aws-iam', 'aws-s3', 'github']);
  });

  it('a collector in a worker thread gives the same facts, calls, log lines and shard units as in process', async function () {
    this.timeout(60_000);
    const fake = await startS3Fake({ accountId: ACCOUNT, Owner: { ID: 'owner', DisplayName: 'acme' }, Buckets: buckets });
    try {
      const run = async (isolated: boolean) => {
        const lines: string[] = [];
        const shard = createShard(1, 2);
        const context = s3Context({
          logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
          config: { aws: { maxAttempts: 2, regions: ['us-east-1', 'eu-west-1'] } },
          shard,
        });
        const facts = await runCollectors({
          collectors: [registered('aws-s3')],
          context,
          tool: { name: 'posture', version: 'test' },
          targets: { path: '.', treeId: 'posture' },
          ...(isolated ? { isolation: { concurrency: { s3: 2 } } } : {}),
        });
        return { facts, lines, units: shard.covered() };
      };
      const inProcess = await run(false);
      const inWorker = await run(true);
      assert.equal(inProcess.facts.sources[0]?.status, 'complete', JSON.stringify(inProcess.facts.sources[0]));
      assert.ok(inProcess.facts.resources.length > 0 && inProcess.facts.resources.length < buckets.length, `the shard takes some buckets, not all: ${inProcess.facts.resources.map((r) => r.id).join(', ')}`);
      assert.deepEqual(withoutTimings(inWorker.facts), withoutTimings(inProcess.facts));
      assert.deepEqual(inWorker.units, inProcess.units);
      assert.ok(inWorker.units.some((u) => u.startsWith('aws-s3-bucket:')), inWorker.units.join(', '));
      // The worker's lines reach the scan's logger with the collector's prefix.
      assert.ok(inWorker.lines.some((line) => line.startsWith('debug: [aws-s3] complete:')), inWorker.lines.join('\n'));
      assert.deepEqual(inWorker.lines.filter((l) => !/ms\b/.test(l)), inProcess.lines.filter((l) => !/ms\b/.test(l)));
    } finally {
      await fake.close();
    }
  });

  it('a worker started ahead of the collection gives the same facts and calls as one started with it', async function () {
    this.timeout(60_000);
    const fake = await startS3Fake({ accountId: ACCOUNT, Owner: { ID: 'owner', DisplayName: 'acme' }, Buckets: buckets });
    try {
      const run = async (warm?: ReturnType<typeof warmIsolated>) => {
        const context = s3Context({ config: { aws: { maxAttempts: 2, regions: ['us-east-1', 'eu-west-1'] } } });
        return runCollectors({
          collectors: [registered('aws-s3')],
          context,
          tool: { name: 'posture', version: 'test' },
          targets: { path: '.', treeId: 'posture' },
          isolation: { concurrency: { s3: 2 }, ...(warm ? { warm } : {}) },
        });
      };
      const cold = await run();
      const warm = warmIsolated(['aws-s3', 'github']);
      const warmed = await run(warm);
      assert.equal(cold.sources[0]?.status, 'complete', JSON.stringify(cold.sources[0]));
      assert.equal(cold.resources.length, buckets.length);
      assert.deepEqual(withoutTimings(warmed), withoutTimings(cold));
      // The aws-s3 worker was taken; the unused github one is there until closed, then gone.
      assert.equal(warm.take('aws-s3'), undefined);
      warm.close();
      assert.equal(warm.take('github'), undefined);
    } finally {
      await fake.close();
    }
  });

  it('a failure inside the worker thread fails the source with its reason, not the scan', async function () {
    this.timeout(60_000);
    const ctx = { ...s3Context(), calls: createCallRecorder() };
    await assert.rejects(collectIsolated('no-such-collector' as Collector['id'], [], ctx, {}), /no collector "no-such-collector"/);
  });
});
