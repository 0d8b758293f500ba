import assert from 'node:assert/strict';
import { BUCKET_APIS } from '../../../src/collectors/aws-s3/apis.js';
import type { FactsDocument, Resource } from '../../../src/facts/types.js';
import type { FakeS3Bucket, FakeS3State } from '../../support/fake-aws/s3.js';
import type { Fault, FakeService } from '../../support/fake-aws/server.js';
import { ACCOUNT, ALL_NEEDS, assertValidFacts, collectS3, evaluateS3, s3Context, s3Rules, startS3Fake, statusTable, type S3Fake } from './support.js';

const FULL = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

const state = (buckets: FakeS3Bucket[], extra: Partial<FakeS3State> = {}): FakeS3State => ({
  accountId: ACCOUNT,
  Owner: { ID: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be', DisplayName: 'acme' },
  Buckets: buckets,
  ...extra,
});

const needs = (...names: string[]) => s3Context({ needs: (kind) => (kind === 'aws.s3.bucket' ? new Set(names) : new Set()) });

const bucketNamed = (facts: FactsDocument, name: string): Resource => {
  const found = facts.resources.find((r) => r.name === name);
  assert.ok(found, `bucket ${name} missing from the facts`);
  return found;
};

const stsError = (status: number, code: string, message: string) => ({
  status,
  headers: { 'content-type': 'text/xml' },
  body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
});

const marker = (reason: string, permission?: string) => ({ reason, ...(permission ? { permission } : {}) });
const unknownOf = (value: unknown) => (value !== null && typeof value === 'object' ? (value as { $unknown?: { reason: string; permission?: string } }).$unknown : undefined);

/** Runs one scan against a fresh fake, closing it afterwards. */
const scan = async (fakeState: FakeS3State, options: { faults?: Fault[]; context?: ReturnType<typeof s3Context>; wrap?: (s: FakeService) => FakeService; sts?: FakeService; pageSize?: number } = {}) => {
  const fake: S3Fake = await startS3Fake(fakeState, { ...(options.faults ? { faults: options.faults } : {}), ...(options.wrap ? { wrap: options.wrap } : {}), ...(options.sts ? { sts: options.sts } : {}) });
  try {
    const facts = await collectS3(options.context ?? s3Context(), { tuning: { retryBaseDelayMs: 1, maxRetryDelayMs: 5 }, ...(options.pageSize ? { pageSize: options.pageSize } : {}) });
    assertValidFacts(facts);
    return { facts, calls: fake.calls, source: facts.sources[0]! };
  } finally {
    await fake.close();
  }
};

describe('aws-s3 collector', () => {
  describe('what it calls', () => {
    it('calls only the APIs that the enabled rules need', async () => {
      const { facts, calls } = await scan(state([{ Name: 'alpha', Region: 'eu-west-1' }, { Name: 'bravo', Region: 'us-east-1' }]), { context: needs('defaultEncryption') });
      assert.deepEqual(calls.map((c) => c.operation).sort(), ['GetEncryptionConfiguration', 'GetEncryptionConfiguration', 'ListAllMyBuckets']);
      assert.deepEqual(Object.keys(bucketNamed(facts, 'alpha').attributes).sort(), ['creationDate', 'defaultEncryption', 'region']);
    });

    it('calls each (bucket, API) at most once with every rule enabled, and no tagging unless tags are needed', async () => {
      const buckets = ['one', 'two', 'three'].map((name) => ({ Name: `acme-${name}`, Region: 'eu-west-1', PublicAccessBlock: FULL }));
      const { calls, source } = await scan(state(buckets));
      const perBucket = new Map<string, number>();
      for (const call of calls.filter((c) => c.service === 's3' && !['ListAllMyBuckets', 'GetAccountPublicAccessBlock'].includes(c.operation))) perBucket.set(`${call.path} ${call.operation}`, (perBucket.get(`${call.path} ${call.operation}`) ?? 0) + 1);
      assert.ok([...perBucket.values()].every((n) => n === 1), JSON.stringify([...perBucket]));
      const ops = new Set(calls.map((c) => c.operation));
      assert.ok(!ops.has('GetBucketTagging') && !ops.has('GetBucketLocation'));
      // Nine bucket APIs serve the eleven rules; plus ListBuckets and the account block.
      assert.equal(perBucket.size, 3 * 9);
      assert.equal(source.calls.byApi['s3-control.GetPublicAccessBlock']?.calls, 1);
    });

    it('reads tags when they are needed, and puts them on the resource', async () => {
      const { facts } = await scan(state([{ Name: 'tagged', Region: 'eu-west-1', Tags: [{ Key: 'data-classification', Value: 'confidential' }] }, { Name: 'untagged', Region: 'eu-west-1' }]), { context: needs('tags') });
      assert.deepEqual(bucketNamed(facts, 'tagged').tags, { 'data-classification': 'confidential' });
      assert.deepEqual(bucketNamed(facts, 'untagged').attributes.tags, {});
    });

    it('follows ListBuckets continuation tokens', async () => {
      const buckets = ['a', 'b', 'c', 'd', 'e'].map((n) => ({ Name: `page-${n}`, Region: 'eu-west-1' }));
      const { facts, calls } = await scan(state(buckets), { context: needs(), pageSize: 2 });
      assert.equal(calls.filter((c) => c.operation === 'ListAllMyBuckets').length, 3);
      assert.deepEqual(facts.resources.map((r) => r.name), ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']);
      assert.deepEqual(facts.resources.map((r) => r.id), buckets.map((b) => `arn:aws:s3:::${b.Name}`));
    });

    it('asks GetBucketLocation only where ListBuckets gave no region, and signs each call for the bucket\'s region', async () => {
      const buckets = [
        { Name: 'virginia', Region: 'us-east-1' },
        { Name: 'old-ireland', Region: 'eu-west-1', LocationConstraint: 'EU' },
        { Name: 'sydney', Region: 'ap-southeast-2' },
      ];
      const { facts, calls } = await scan(state(buckets, { ListBucketsOmitsRegion: true }), { context: needs('versioning') });
      assert.equal(calls.filter((c) => c.operation === 'GetBucketLocation').length, 3);
      assert.deepEqual(Object.fromEntries(facts.resources.map((r) => [r.name, r.attributes.region])), { virginia: 'us-east-1', 'old-ireland': 'eu-west-1', sydney: 'ap-southeast-2' });
      for (const call of calls.filter((c) => c.operation === 'GetBucketVersioning')) {
        const bucket = buckets.find((b) => call.path.startsWith(`/${b.Name}`));
        assert.equal(call.region, bucket?.Region, `${call.path} signed for ${call.region}`);
        assert.equal(call.status, 200);
      }
      assert.deepEqual(facts.resources.map((r) => `${r.name} ${r.scope?.region}`), ['old-ireland eu-west-1', 'sydney ap-southeast-2', 'virginia us-east-1']);
    });

    it('keeps the number of S3 requests in flight within the S3 bulkhead', async () => {
      let inFlight = 0;
      let peak = 0;
      const wrap = (service: FakeService): FakeService => ({
        ...service,
        handle: async (request, operation) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          try {
            return await service.handle(request, operation);
          } finally {
            inFlight--;
          }
        },
      });
      const buckets = Array.from({ length: 12 }, (_, i) => ({ Name: `bulk-${i}`, Region: 'eu-west-1' }));
      const context = s3Context({
        needs: (kind) => (kind === 'aws.s3.bucket' ? new Set(['versioning', 'logging']) : new Set()),
        limits: { timeoutMs: 1000, concurrency: (service, fallback) => (service === 's3' ? 3 : fallback), maxFileBytes: 1 << 20 },
      });
      const { facts } = await scan(state(buckets), { context, wrap });
      assert.equal(facts.resources.length, 12);
      assert.ok(peak <= 3, `peak ${peak}`);
      assert.ok(peak >= 2, `calls were not parallel (peak ${peak})`);
    });
  });

  describe('what it records', () => {
    it('records "not configured" answers as real values, not unknowns', async () => {
      const { facts, source } = await scan(state([{ Name: 'bare', Region: 'eu-west-1' }]));
      assert.equal(source.status, 'complete');
      assert.deepEqual(source.gaps, []);
      assert.deepEqual(bucketNamed(facts, 'bare').attributes, {
        region: 'eu-west-1',
        creationDate: '2024-01-01T00:00:00.000Z',
        publicAccessBlock: null,
        accountPublicAccessBlock: null,
        publicAclGrants: [],
        policy: null,
        transport: { httpDenied: false, tlsBelow12Denied: false },
        publicPolicyStatements: [],
        public: false,
        defaultEncryption: null,
        versioning: { status: null, mfaDelete: null },
        replication: null,
        objectLock: null,
        logging: null,
        lifecycle: null,
      });
      const table = statusTable(evaluateS3(facts)).bare ?? {};
      assert.ok(Object.values(table).every((status) => status !== 'unknown'), JSON.stringify(table));
      assert.equal(table['s3-bucket-not-public'], 'pass');
      assert.equal(table['s3-bucket-default-encryption-kms'], 'fail');
    });

    it('places replication destinations: another region, the same region, another account', async () => {
      const rule = (id: string, bucket: string, account?: string) => ({ ID: id, Status: 'Enabled' as const, Destination: { Bucket: `arn:aws:s3:::${bucket}`, ...(account ? { Account: account } : {}) } });
      const buckets = [
        { Name: 'src-cross-region', Region: 'eu-west-1', Replication: { Role: 'arn:aws:iam::123456789012:role/r', Rules: [rule('r1', 'dst-oregon')] } },
        { Name: 'src-same-region', Region: 'eu-west-1', Replication: { Role: 'arn:aws:iam::123456789012:role/r', Rules: [rule('r1', 'dst-ireland')] } },
        { Name: 'src-other-account', Region: 'eu-west-1', Replication: { Role: 'arn:aws:iam::123456789012:role/r', Rules: [rule('r1', 'their-vault', '210987654321')] } },
        { Name: 'dst-oregon', Region: 'us-west-2' },
        { Name: 'dst-ireland', Region: 'eu-west-1' },
      ];
      const { facts } = await scan(state(buckets), { context: needs('replication') });
      const first = (name: string) => (bucketNamed(facts, name).attributes.replication as { rules: Record<string, unknown>[] }).rules[0];
      assert.deepEqual(first('src-cross-region'), { id: 'r1', status: 'Enabled', destinationBucket: 'dst-oregon', destinationAccount: null, destinationRegion: 'us-west-2', separate: true });
      assert.equal(first('src-same-region')?.separate, false);
      assert.deepEqual(first('src-other-account'), { id: 'r1', status: 'Enabled', destinationBucket: 'their-vault', destinationAccount: '210987654321', destinationRegion: null, separate: true });
      const table = statusTable(evaluateS3(facts, s3Rules.filter((r) => r.id === 's3-bucket-replication-enabled')));
      assert.deepEqual(Object.fromEntries(Object.entries(table).map(([name, row]) => [name, row['s3-bucket-replication-enabled']])), {
        'dst-ireland': 'fail',
        'dst-oregon': 'fail',
        'src-cross-region': 'pass',
        'src-other-account': 'pass',
        'src-same-region': 'fail',
      });
    });

    it('makes an unparseable policy unknown rather than guessing', async () => {
      const { facts } = await scan(state([{ Name: 'odd', Region: 'eu-west-1', Policy: '{"Version": "2012-10-17", "Statement": [' }]), { context: needs('transport') });
      assert.equal(unknownOf(bucketNamed(facts, 'odd').attributes.transport)?.reason, 'UnparseablePolicy');
    });

    it('skips buckets outside --aws-regions, with a note', async () => {
      const context = s3Context({ options: { awsRegions: 'eu-west-1' }, needs: () => new Set(['versioning']) });
      const { facts, source, calls } = await scan(state([{ Name: 'inside', Region: 'eu-west-1' }, { Name: 'out', Region: 'us-east-1' }]), { context });
      assert.deepEqual(facts.resources.map((r) => r.name), ['inside']);
      assert.ok(source.notes.some((n) => n.includes('1 bucket(s) outside --aws-regions')));
      assert.ok(!calls.some((c) => c.path.startsWith('/out')));
    });
  });

  describe('when AWS does not answer', () => {
    const exposed = (): FakeS3Bucket => ({
      Name: 'acme-exposed',
      Region: 'eu-west-1',
      Acl: { Grants: [{ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' }] },
      Policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-exposed/*' }] },
    });

    for (const entry of BUCKET_APIS) {
      it(`AccessDenied on ${entry.operation} makes only what it feeds unknown, naming ${entry.action}`, async () => {
        const { facts, source } = await scan(state([exposed(), { Name: 'acme-other', Region: 'eu-west-1' }]), {
          context: needs(...ALL_NEEDS, 'tags'),
          faults: [{ service: 's3', operation: entry.action.replace(/^s3:/, ''), kind: 'access-denied', match: (r) => r.path.startsWith('/acme-exposed') }],
        });
        assert.equal(source.status, 'partial');
        const gap = source.gaps.find((g) => g.resource === 'arn:aws:s3:::acme-exposed');
        assert.equal(gap?.permission, entry.action);
        assert.equal(gap?.reason, 'AccessDenied');
        const attributes = bucketNamed(facts, 'acme-exposed').attributes;
        const primary = entry.provides[0] as string;
        const value = primary === 'publicAccessBlock' ? attributes.publicAccessBlock : attributes[primary];
        assert.deepEqual(unknownOf(value) && { reason: unknownOf(value)?.reason, permission: unknownOf(value)?.permission }, marker('AccessDenied', entry.action));
        // The other bucket and the other attributes are untouched.
        assert.ok(!source.gaps.some((g) => g.resource === 'arn:aws:s3:::acme-other'));
        const others = Object.entries(attributes).filter(([name]) => !entry.provides.includes(name as never));
        assert.deepEqual(others.filter(([, v]) => unknownOf(v)), []);
      });
    }

    it('a denied GetBucketAcl still lets an open policy decide that the bucket is public', async () => {
      const { facts } = await scan(state([exposed()]), { faults: [{ service: 's3', operation: 'GetBucketAcl', kind: 'access-denied' }] });
      assert.equal(bucketNamed(facts, 'acme-exposed').attributes.public, true);
      assert.equal(statusTable(evaluateS3(facts))['acme-exposed']?.['s3-bucket-not-public'], 'fail');
    });

    it('a denied bucket block leaves a public grant unknown, unless the account block decides it', async () => {
      const denied: Fault = { service: 's3', operation: 'GetBucketPublicAccessBlock', kind: 'access-denied' };
      const alone = await scan(state([{ ...exposed(), Policy: null }]), { faults: [{ ...denied }] });
      const grant = (bucketNamed(alone.facts, 'acme-exposed').attributes.publicAclGrants as { blocked: unknown }[])[0];
      assert.equal(unknownOf(grant?.blocked)?.permission, 's3:GetBucketPublicAccessBlock');
      const result = statusTable(evaluateS3(alone.facts))['acme-exposed'];
      assert.equal(result?.['s3-bucket-not-public'], 'unknown');
      assert.equal(result?.['s3-bucket-public-access-blocked'], 'unknown');

      const covered = await scan(state([{ ...exposed(), Policy: null }], { accountPublicAccessBlock: FULL }), { faults: [{ ...denied }] });
      const decided = statusTable(evaluateS3(covered.facts))['acme-exposed'];
      assert.equal(decided?.['s3-bucket-not-public'], 'pass');
      assert.equal(decided?.['s3-bucket-public-access-blocked'], 'pass');
      assert.deepEqual(bucketNamed(covered.facts, 'acme-exposed').attributes.publicAclGrants, [{ grantee: 'AllUsers', permission: 'READ', blocked: true, blockedBy: 'IgnorePublicAcls on the account' }]);
    });

    it('a denied S3 Control call makes the account block unknown, with one account-level gap', async () => {
      const { facts, source } = await scan(state([{ Name: 'alpha', Region: 'eu-west-1' }, { Name: 'bravo', Region: 'eu-west-1' }]), {
        faults: [{ service: 's3', operation: 'GetAccountPublicAccessBlock', kind: 'access-denied' }],
      });
      assert.deepEqual(source.gaps, [{ resource: `aws:${ACCOUNT}`, attributes: ['accountPublicAccessBlock'], reason: 'AccessDenied', permission: 's3:GetAccountPublicAccessBlock' }]);
      for (const bucket of facts.resources) assert.equal(unknownOf(bucket.attributes.accountPublicAccessBlock)?.permission, 's3:GetAccountPublicAccessBlock');
      assert.equal(statusTable(evaluateS3(facts)).alpha?.['s3-account-public-access-blocked'], 'unknown');
    });

    it('a denied GetBucketLocation leaves the bucket with its region and every planned attribute unknown, calling nothing regional', async () => {
      const { facts, source, calls } = await scan(state([{ Name: 'where', Region: 'eu-west-1' }], { ListBucketsOmitsRegion: true }), {
        context: needs('versioning', 'logging'),
        faults: [{ service: 's3', operation: 'GetBucketLocation', kind: 'access-denied' }],
      });
      const attributes = bucketNamed(facts, 'where').attributes;
      for (const name of ['region', 'versioning', 'logging']) assert.equal(unknownOf(attributes[name])?.permission, 's3:GetBucketLocation', name);
      assert.deepEqual(source.gaps[0]?.attributes, ['region', 'versioning', 'logging']);
      assert.ok(!calls.some((c) => c.operation === 'GetBucketVersioning'));
    });

    it('a denied ListBuckets fails the source, naming s3:ListAllMyBuckets', async () => {
      const { facts, source } = await scan(state([{ Name: 'alpha', Region: 'eu-west-1' }]), { faults: [{ service: 's3', operation: 'ListAllMyBuckets', kind: 'access-denied' }] });
      assert.equal(source.status, 'failed');
      assert.deepEqual(facts.resources, []);
      assert.deepEqual(source.gaps, [{ resource: `aws:${ACCOUNT}`, attributes: ['*'], reason: 'AccessDenied', permission: 's3:ListAllMyBuckets' }]);
      assert.match(source.reason ?? '', /s3:ListAllMyBuckets/);
    });

    it('retries SlowDown (503) through the SDK and records the throttle', async () => {
      const { facts, source, calls } = await scan(state([{ Name: 'busy', Region: 'eu-west-1', Versioning: { Status: 'Enabled' } }]), {
        context: needs('versioning'),
        faults: [{ service: 's3', operation: 'GetBucketVersioning', kind: 'throttle', times: 1 }],
      });
      assert.deepEqual(bucketNamed(facts, 'busy').attributes.versioning, { status: 'Enabled', mfaDelete: null });
      assert.deepEqual(calls.filter((c) => c.operation === 'GetBucketVersioning').map((c) => c.status), [503, 200]);
      assert.equal(source.calls.byApi['s3.GetBucketVersioning']?.retries, 1);
      assert.equal(source.calls.byApi['s3.GetBucketVersioning']?.throttles, 1);
      assert.equal(source.status, 'complete');
    });

    it('makes an attribute unknown after repeated 500s, without a permission to blame', async () => {
      const { facts, source } = await scan(state([{ Name: 'flaky', Region: 'eu-west-1' }]), { context: needs('logging'), faults: [{ service: 's3', operation: 'GetBucketLogging', kind: 'server-error' }] });
      const value = unknownOf(bucketNamed(facts, 'flaky').attributes.logging);
      assert.equal(value?.reason, 'ServiceError');
      assert.equal(value?.permission, undefined);
      assert.equal(source.gaps[0]?.permission, undefined);
      assert.match(source.gaps[0]?.reason ?? '', /^ServiceError/);
    });

    it('makes an attribute unknown when S3 answers slower than the timeout', async () => {
      const context = s3Context({ needs: () => new Set(['lifecycle']), limits: { timeoutMs: 200, concurrency: (_s, f) => f, maxFileBytes: 1 << 20 } });
      const started = Date.now();
      const { facts } = await scan(state([{ Name: 'slow', Region: 'eu-west-1' }]), { context, faults: [{ service: 's3', operation: 'GetLifecycleConfiguration', kind: 'slow', delayMs: 1500 }] });
      assert.equal(unknownOf(bucketNamed(facts, 'slow').attributes.lifecycle)?.reason, 'Timeout');
      assert.ok(Date.now() - started < 3000, 'the timeout did not cut the call short');
    });

    it('drops a bucket deleted between ListBuckets and its other calls, with a note', async () => {
      // One of its calls is refused before the others find it gone: that leaves no gap either.
      const { facts, source } = await scan(state([{ Name: 'gone', Region: 'eu-west-1', Vanished: true }, { Name: 'here', Region: 'eu-west-1' }]), {
        faults: [{ service: 's3', operation: 'GetBucketAcl', kind: 'access-denied', match: (r) => r.path.startsWith('/gone') }],
      });
      assert.deepEqual(facts.resources.map((r) => r.name), ['here']);
      assert.equal(source.status, 'complete');
      assert.deepEqual(source.gaps, []);
      assert.ok(source.notes.includes('bucket gone was deleted during the scan (NoSuchBucket) and is left out'));
    });

    it('drops a bucket that is gone by the time its region is asked', async () => {
      const { facts, source } = await scan(state([{ Name: 'gone', Region: 'eu-west-1', Vanished: true }], { ListBucketsOmitsRegion: true }));
      assert.deepEqual(facts.resources, []);
      assert.equal(source.status, 'complete');
      assert.equal(source.notes.filter((n) => n.includes('gone')).length, 1);
    });
  });

  describe('who it runs as', () => {
    const stsAnswering = (status: number, code: string): FakeService => ({
      operation: () => 'GetCallerIdentity',
      error: (_request, errorStatus, errorCode, message) => stsError(errorStatus, errorCode, message),
      handle: () => stsError(status, code, 'refused'),
    });

    it('fails the source when the credentials are refused', async () => {
      const { facts, source } = await scan(state([{ Name: 'alpha', Region: 'eu-west-1' }]), { sts: stsAnswering(403, 'InvalidClientTokenId') });
      assert.equal(source.status, 'failed');
      assert.deepEqual(facts.resources, []);
      assert.match(source.reason ?? '', /^InvalidCredentials/);
    });

    it('without the account id, only the account block is unknown', async () => {
      const { facts, source } = await scan(state([{ Name: 'alpha', Region: 'eu-west-1', PublicAccessBlock: FULL }]), { sts: stsAnswering(403, 'AccessDenied') });
      assert.equal(source.status, 'partial');
      const attributes = bucketNamed(facts, 'alpha').attributes;
      assert.equal(unknownOf(attributes.accountPublicAccessBlock)?.reason, 'AccessDenied');
      assert.deepEqual(attributes.publicAccessBlock, { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true });
      assert.deepEqual(source.gaps.map((g) => g.attributes), [['accountPublicAccessBlock']]);
      // A complete bucket block decides without the account's.
      assert.equal(statusTable(evaluateS3(facts)).alpha?.['s3-bucket-public-access-blocked'], 'pass');
    });

    it('asks STS nothing when no enabled rule needs the account id', async () => {
      const { calls, source } = await scan(state([{ Name: 'alpha', Region: 'eu-west-1' }]), { context: needs('versioning', 'logging') });
      assert.ok(!calls.some((c) => c.service === 'sts'));
      assert.equal(source.identity, undefined);
    });
  });

  describe('behind an endpoint override (AWS_ENDPOINT_URL)', () => {
    it('reaches S3 Control at the override and S3 with path-style requests', async () => {
      const { facts, calls, source } = await scan(state([{ Name: 'acme-path', Region: 'eu-west-1' }], { accountPublicAccessBlock: FULL }), { context: needs('accountPublicAccessBlock', 'versioning') });
      assert.deepEqual(bucketNamed(facts, 'acme-path').attributes.accountPublicAccessBlock, { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true });
      assert.ok(calls.filter((c) => c.operation === 'GetBucketVersioning').every((c) => c.path === '/acme-path/'));
      assert.match(source.endpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(source.identity, 'arn:aws:iam::123456789012:user/posture-scanner');
    });
  });
});
