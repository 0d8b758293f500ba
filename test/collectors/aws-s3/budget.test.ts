import assert from 'node:assert/strict';
import { planCalls } from '../../../src/collectors/aws-s3/apis.js';
import type { FakeS3State } from '../../support/fake-aws/s3.js';
import { ACCOUNT, ALL_NEEDS, collectS3, evaluateS3, s3Context, startS3Fake } from './support.js';

const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-southeast-2'];

const estate = (count: number, extra: Partial<FakeS3State> = {}): FakeS3State => ({
  accountId: ACCOUNT,
  Owner: { ID: 'owner' },
  accountPublicAccessBlock: null,
  Buckets: Array.from({ length: count }, (_, i) => ({ Name: `acme-bucket-${String(i).padStart(4, '0')}`, Region: REGIONS[i % REGIONS.length] as string })),
  ...extra,
});

/** S3 and S3 Control calls recorded in the result document's coverage, retries excluded. */
const s3Calls = (byApi: Record<string, { calls: number }>): number =>
  Object.entries(byApi).filter(([api]) => api.startsWith('s3.') || api.startsWith('s3-control.')).reduce((sum, [, stats]) => sum + stats.calls, 0);

describe('aws-s3 call budget', function () {
  this.timeout(120_000);

  it('scans 1,000 buckets within ListBuckets pages + 1 + buckets × needed APIs, as result.json counts them', async () => {
    // One per-bucket API keeps the 1,000-bucket scan quick; the test below covers every API.
    const needs = new Set(['versioning']);
    const fake = await startS3Fake(estate(1000));
    try {
      const context = s3Context({
        needs: (kind) => (kind === 'aws.s3.bucket' ? needs : new Set()),
        // A loaded test machine must not turn slow answers into timeouts and retries here.
        limits: { timeoutMs: 20_000, concurrency: (_service, fallback) => fallback, maxFileBytes: 1 << 20 },
      });
      const facts = await collectS3(context);
      const result = evaluateS3(facts);
      const source = result.coverage.sources[0]!;
      assert.equal(facts.resources.length, 1000);
      assert.equal(source.status, 'complete');
      const perBucket = planCalls(needs).bucketApis.length;
      const pages = source.calls.byApi['s3.ListBuckets']?.calls ?? 0;
      assert.equal(pages, 1);
      // No account block is needed here, so the budget is pages + buckets x 1, and no STS call.
      assert.equal(source.calls.total, pages + 1000 * perBucket);
      assert.equal(source.calls.byApi['s3.GetBucketVersioning']?.retries, 0);
      assert.equal(fake.calls.length, source.calls.total);
    } finally {
      await fake.close();
    }
  });

  it('with every rule enabled and no regions in the listing, adds one GetBucketLocation per bucket and nothing more', async () => {
    const fake = await startS3Fake(estate(30, { ListBucketsOmitsRegion: true }));
    try {
      const context = s3Context({ limits: { timeoutMs: 20_000, concurrency: (_service, fallback) => fallback, maxFileBytes: 1 << 20 } });
      const facts = await collectS3(context, { tuning: { retryBaseDelayMs: 1, maxRetryDelayMs: 5 }, pageSize: 25 });
      const source = evaluateS3(facts).coverage.sources[0]!;
      assert.equal(facts.resources.length, 30);
      const perBucket = planCalls(ALL_NEEDS).bucketApis.length;
      assert.equal(perBucket, 9);
      assert.equal(source.calls.byApi['s3.ListBuckets']?.calls, 2);
      assert.equal(source.calls.byApi['s3.GetBucketLocation']?.calls, 30);
      // pages + the account block + buckets x (needed APIs + GetBucketLocation); the account id costs one STS call.
      assert.equal(s3Calls(source.calls.byApi), 2 + 1 + 30 * (perBucket + 1));
      assert.deepEqual(Object.keys(source.calls.byApi).filter((api) => !api.startsWith('s3')), ['sts.GetCallerIdentity']);
    } finally {
      await fake.close();
    }
  });
});
