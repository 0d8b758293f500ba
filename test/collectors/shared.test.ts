import assert from 'node:assert/strict';
import type { Discovery } from '../../src/aws/organization.js';
import { collectorRegistry } from '../../src/collectors/index.js';
import { createSharedSteps, sharedStepRegistry, type SharedStep } from '../../src/collectors/shared.js';
import type { CollectContext, Collector } from '../../src/collectors/types.js';
import { testContext } from '../support/collect-context.js';

const LISTED: Discovery = { ok: true, accounts: [{ id: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/posture-audit' }], notes: ['organization: 1 accounts listed, 1 scanned through role posture-audit'], endpoint: 'http://127.0.0.1:1' };

const contextFor = (): CollectContext => testContext('.');

/** A registry whose one step records a call on the context it runs with and answers `answer`. */
const registryOf = (answer: () => Promise<Discovery | undefined>) => {
  const runs: CollectContext[] = [];
  const step: SharedStep<'aws-accounts'> = {
    description: 'the accounts were listed',
    run: async (ctx) => {
      runs.push(ctx);
      ctx.calls.record('organizations.ListAccounts', { ms: 1 });
      return answer();
    },
  };
  return { runs, registry: { 'aws-accounts': step } };
};

const iam: Pick<Collector, 'id' | 'shares'> = { id: 'aws-iam', shares: ['aws-accounts'] };
const s3: Pick<Collector, 'id' | 'shares'> = { id: 'aws-s3', shares: ['aws-accounts'] };

describe('shared steps: work several collectors need, done once per scan', () => {
  it('every registered step is named by a registered collector, and both AWS collectors share the account listing', () => {
    const named = new Set(collectorRegistry().flatMap((c) => c.shares ?? []));
    assert.deepEqual(Object.keys(sharedStepRegistry()).sort(), [...named].sort());
    assert.deepEqual(collectorRegistry().filter((c) => c.shares?.includes('aws-accounts')).map((c) => c.id), ['aws-iam', 'aws-s3']);
  });

  it('collectors asking at once share one run, recorded on the first one\'s calls; the others say whose', async () => {
    const { runs, registry } = registryOf(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return LISTED;
    });
    const steps = createSharedSteps(registry);
    const [first, second] = [contextFor(), contextFor()];
    const [a, b] = await Promise.all([steps.resultsFor(iam, first), steps.resultsFor(s3, second)]);
    assert.equal(runs.length, 1);
    assert.equal(runs[0], first);
    assert.deepEqual([first.calls.snapshot().total, second.calls.snapshot().total], [1, 0]);
    assert.deepEqual(a, { shared: { 'aws-accounts': LISTED }, notes: [] });
    assert.deepEqual(b, { shared: { 'aws-accounts': LISTED }, notes: ['the accounts were listed once for the scan, by aws-iam: its calls are counted there'] });
    // A collector that names no step gets nothing and starts nothing.
    assert.deepEqual(await steps.resultsFor({ id: 'secrets' }, contextFor()), { shared: {}, notes: [] });
    assert.equal(runs.length, 1);
  });

  it('a step with nothing to do (no organization) hands nothing and notes nothing', async () => {
    const { runs, registry } = registryOf(async () => undefined);
    const steps = createSharedSteps(registry);
    assert.deepEqual(await steps.resultsFor(iam, contextFor()), { shared: {}, notes: [] });
    assert.deepEqual(await steps.resultsFor(s3, contextFor()), { shared: {}, notes: [] });
    assert.equal(runs.length, 1);
  });

  it('a step that throws fails every collector that needs it with the same error, without running again', async () => {
    const { runs, registry } = registryOf(async () => {
      throw new Error('aws.organization and aws.roleArn exclude each other');
    });
    const steps = createSharedSteps(registry);
    await assert.rejects(steps.resultsFor(iam, contextFor()), /exclude each other/);
    await assert.rejects(steps.resultsFor(s3, contextFor()), /exclude each other/);
    assert.equal(runs.length, 1);
  });

  it('each scan runs its own steps: nothing is kept between scans', async () => {
    const { runs, registry } = registryOf(async () => LISTED);
    await createSharedSteps(registry).resultsFor(iam, contextFor());
    await createSharedSteps(registry).resultsFor(iam, contextFor());
    assert.equal(runs.length, 2);
  });
});
