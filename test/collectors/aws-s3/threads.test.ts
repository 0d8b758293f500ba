import assert from 'node:assert/strict';
import { bucketThreadsFor, shares } from '../../../src/collectors/aws-s3/bucket-threads.js';
import type { FactsDocument } from '../../../src/facts/types.js';
import type { FakeS3Bucket, FakeS3State } from '../../support/fake-aws/s3.js';
import type { FakeService } from '../../support/fake-aws/server.js';
import { ACCOUNT, assertValidFacts, collectS3, s3Context, startS3Fake } from './support.js';

const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-southeast-2'];
const FULL = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

/** Buckets of every shape the collector distinguishes, so that each thread gets some of each. */
const estate = (): FakeS3State => ({
  accountId: ACCOUNT,
  Owner: { ID: 'owner', DisplayName: 'acme' },
  accountPublicAccessBlock: null,
  Buckets: Array.from({ length: 48 }, (_, i): FakeS3Bucket => {
    const name = `acme-${String(i).padStart(3, '0')}`;
    const region = REGIONS[i % REGIONS.length] as string;
    return {
      Name: name,
      Region: region,
      ...(i % 5 === 0 ? { PublicAccessBlock: FULL } : {}),
      ...(i % 6 === 1 ? { Acl: { Grants: [{ Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' }] } } : {}),
      ...(i % 7 === 2 ? { Policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${name}/*` }] } } : {}),
      ...(i % 4 === 3 ? { Encryption: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } } : {}),
      ...(i % 3 === 0 ? { Versioning: { Status: 'Enabled' as const } } : {}),
      // Replication to another of the account's buckets, which another thread may be examining.
      ...(i % 8 === 4
        ? { Replication: { Role: `arn:aws:iam::${ACCOUNT}:role/replication`, Rules: [{ ID: 'all', Status: 'Enabled' as const, Destination: { Bucket: `arn:aws:s3:::acme-${String((i + 1) % 48).padStart(3, '0')}` } }] } }
        : {}),
      ...(i % 11 === 10 ? { Vanished: true } : {}),
    };
  }),
});

/** The facts with the parts that depend on timing or completion order put in order. */
const comparable = (facts: FactsDocument) => {
  const source = facts.sources[0]!;
  return {
    resources: facts.resources,
    status: source.status,
    gaps: source.gaps.map((gap) => JSON.stringify(gap)).sort(),
    notes: source.notes,
    calls: Object.fromEntries(Object.entries(source.calls.byApi).map(([api, stats]) => [api, { calls: stats.calls, errors: stats.errors, retries: stats.retries }])),
  };
};

describe('aws-s3 buckets examined in several threads', function () {
  this.timeout(120_000);

  it('gives the same facts, gaps, notes and calls as one thread, with every call made once', async () => {
    const run = async (bucketThreads: number) => {
      // Denied calls on some buckets: their gaps come back from whichever thread examined them.
      const fake = await startS3Fake(estate(), {
        faults: [
          { service: 's3', operation: 'GetBucketAcl', kind: 'access-denied', match: (r) => /^\/acme-0[0-4]7/.test(r.path) },
          { service: 's3', operation: 'GetBucketLogging', kind: 'access-denied', match: (r) => r.path.startsWith('/acme-012') },
        ],
      });
      try {
        const facts = await collectS3(s3Context({ limits: { timeoutMs: 20_000, concurrency: (_service, fallback) => fallback, maxFileBytes: 1 << 20 } }), {
          tuning: { retryBaseDelayMs: 1, maxRetryDelayMs: 5 },
          bucketThreads,
        });
        assertValidFacts(facts);
        return { facts, served: fake.calls.length };
      } finally {
        await fake.close();
      }
    };
    const one = await run(1);
    const three = await run(3);
    assert.equal(one.facts.sources[0]?.status, 'partial', JSON.stringify(one.facts.sources[0]?.gaps));
    assert.ok(one.facts.sources[0]?.notes.some((note) => /acme-010 was deleted/.test(note)), one.facts.sources[0]?.notes.join('\n'));
    assert.ok(one.facts.resources.some((r) => r.attributes.replication !== undefined));
    assert.deepEqual(comparable(three.facts), comparable(one.facts));
    assert.equal(three.served, one.served);
    assert.equal(three.facts.sources[0]?.calls.total, three.served);
  });

  it('keeps the S3 calls in flight within the bulkhead the scan was given, across the threads', async () => {
    let inFlight = 0;
    let most = 0;
    // Each bucket call held open a few milliseconds, so that calls overlap whenever they may.
    const wrap = (service: FakeService): FakeService => ({
      ...service,
      handle: async (request, operation) => {
        const bucketCall = !['ListAllMyBuckets', 'GetAccountPublicAccessBlock'].includes(operation);
        if (bucketCall) most = Math.max(most, ++inFlight);
        try {
          if (bucketCall) await new Promise((resolve) => setTimeout(resolve, 5));
          return await service.handle(request, operation);
        } finally {
          if (bucketCall) inFlight--;
        }
      },
    });
    const fake = await startS3Fake(estate(), { wrap });
    try {
      const context = s3Context({ limits: { timeoutMs: 20_000, concurrency: (service, fallback) => (service === 's3' ? 5 : fallback), maxFileBytes: 1 << 20 } });
      const facts = await collectS3(context, { tuning: { retryBaseDelayMs: 1, maxRetryDelayMs: 5 }, bucketThreads: 2 });
      assert.equal(facts.sources[0]?.status, 'complete', JSON.stringify(facts.sources[0]?.gaps));
      assert.ok(most <= 5, `${most} S3 calls were in flight at once, more than the bulkhead's 5`);
      // Both threads' shares were in use at once: more than one thread's share (3) was in flight.
      assert.ok(most > 3, `at most ${most} S3 calls were in flight: the second thread's share went unused`);
    } finally {
      await fake.close();
    }
  });

  it('splits the bulkhead into shares that add up to it, and splits only a large enough listing', () => {
    assert.deepEqual(shares(16, 2), [8, 8]);
    assert.deepEqual(shares(5, 2), [3, 2]);
    assert.deepEqual(shares(4, 3), [2, 1, 1]);
    assert.equal(bucketThreadsFor(20, 16), 1);
    assert.equal(bucketThreadsFor(1000, 1), 1);
    assert.equal(bucketThreadsFor(3, 2, 4), 2);
  });
});
