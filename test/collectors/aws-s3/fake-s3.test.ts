import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { s3ControlClientClass } from '../../../src/collectors/aws-s3/clients.js';
import { createFakeS3, type FakeS3State } from '../../support/fake-aws/s3.js';
import { startFakeAws, type FakeAws } from '../../support/fake-aws/server.js';

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const state: FakeS3State = {
  accountId: '123456789012',
  Owner: { ID: 'owner' },
  Buckets: [
    { Name: 'acme-vhost', Region: 'eu-west-1', Versioning: { Status: 'Enabled', MFADelete: 'Disabled' } },
    { Name: 'acme-empty', Region: 'eu-west-1' },
  ],
};

describe('fake S3 wire format, read by the real SDK', () => {
  let fake: FakeAws;
  before(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    fake = await startFakeAws({ s3: createFakeS3(state) });
  });
  after(async () => fake.close());

  it('answers virtual-hosted requests (bucket in the Host header)', async () => {
    const port = new URL(fake.url).port;
    // Every host name resolves to the fake, as DNS would send bucket.s3.<region>... to S3.
    const httpAgent = new Agent({ lookup: (_host, options, callback) => (options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)) });
    const client = new S3Client({ region: 'eu-west-1', credentials, endpoint: `http://s3.fake.test:${port}`, forcePathStyle: false, requestHandler: new NodeHttpHandler({ httpAgent }) });
    try {
      const answer = await client.send(new GetBucketVersioningCommand({ Bucket: 'acme-vhost' }));
      assert.equal(answer.Status, 'Enabled');
      assert.equal(answer.MFADelete, 'Disabled');
      const call = fake.calls.at(-1);
      assert.deepEqual([call?.operation, call?.region, call?.path, call?.status], ['GetBucketVersioning', 'eu-west-1', '/', 200]);
    } finally {
      client.destroy();
    }
  });

  it('answers "not configured" with S3\'s own codes and 404s, which the SDK raises by name', async () => {
    const client = new S3Client({ region: 'eu-west-1', credentials, endpoint: fake.url, forcePathStyle: true });
    try {
      const cases: [() => Promise<unknown>, string][] = [
        [() => client.send(new GetBucketEncryptionCommand({ Bucket: 'acme-empty' })), 'ServerSideEncryptionConfigurationNotFoundError'],
        [() => client.send(new GetBucketPolicyCommand({ Bucket: 'acme-empty' })), 'NoSuchBucketPolicy'],
        [() => client.send(new GetPublicAccessBlockCommand({ Bucket: 'acme-empty' })), 'NoSuchPublicAccessBlockConfiguration'],
        [() => client.send(new GetBucketReplicationCommand({ Bucket: 'acme-empty' })), 'ReplicationConfigurationNotFoundError'],
        [() => client.send(new GetObjectLockConfigurationCommand({ Bucket: 'acme-empty' })), 'ObjectLockConfigurationNotFoundError'],
        [() => client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'acme-empty' })), 'NoSuchLifecycleConfiguration'],
        [() => client.send(new GetBucketTaggingCommand({ Bucket: 'acme-empty' })), 'NoSuchTagSet'],
        [() => client.send(new GetBucketPolicyCommand({ Bucket: 'acme-missing' })), 'NoSuchBucket'],
      ];
      for (const [call, code] of cases) {
        await assert.rejects(call, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(error.name, code);
          assert.equal(error.$metadata?.httpStatusCode, 404);
          return true;
        });
      }
      const versioning = await client.send(new GetBucketVersioningCommand({ Bucket: 'acme-empty' }));
      assert.equal(versioning.Status, undefined);
    } finally {
      client.destroy();
    }
  });

  it('includes BucketRegion in ListBuckets only for parameterised requests, as S3 does', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials, endpoint: fake.url, forcePathStyle: true });
    try {
      const plain = await client.send(new ListBucketsCommand({}));
      assert.deepEqual(plain.Buckets?.map((b) => b.BucketRegion), [undefined, undefined]);
      const paged = await client.send(new ListBucketsCommand({ MaxBuckets: 1 }));
      assert.deepEqual(paged.Buckets?.map((b) => [b.Name, b.BucketRegion]), [['acme-empty', 'eu-west-1']]);
      const next = await client.send(new ListBucketsCommand({ MaxBuckets: 1, ContinuationToken: paged.ContinuationToken }));
      assert.deepEqual(next.Buckets?.map((b) => b.Name), ['acme-vhost']);
      assert.equal(next.ContinuationToken, undefined);
    } finally {
      client.destroy();
    }
  });

  it('refuses a request signed for another region than the bucket\'s', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials, endpoint: fake.url, forcePathStyle: true });
    try {
      await assert.rejects(() => client.send(new GetBucketVersioningCommand({ Bucket: 'acme-vhost' })), { name: 'AuthorizationHeaderMalformed' });
    } finally {
      client.destroy();
    }
  });

  it('needs an endpoint provider for S3 Control behind an override: the default rules prefix the account id to the host', async () => {
    const plain = new S3ControlClient({ region: 'us-east-1', credentials, endpoint: fake.url });
    const Overridden = s3ControlClientClass(fake.url);
    const overridden = new Overridden({ region: 'us-east-1', credentials: async () => credentials, requestHandler: new NodeHttpHandler(), retryStrategy: new ConfiguredRetryStrategy(1) });
    const log = console.error;
    try {
      console.error = () => undefined; // the SDK logs the invalid URL it built before throwing
      await assert.rejects(() => plain.send(new GetAccountPublicAccessBlockCommand({ AccountId: '123456789012' })), /Invalid URL/);
      console.error = log;
      await assert.rejects(() => overridden.send(new GetAccountPublicAccessBlockCommand({ AccountId: '123456789012' })), { name: 'NoSuchPublicAccessBlockConfiguration' });
      assert.deepEqual(fake.calls.at(-1)?.path, '/v20180820/configuration/publicAccessBlock');
      await assert.rejects(() => overridden.send(new GetAccountPublicAccessBlockCommand({ AccountId: '210987654321' })), { name: 'AccessDenied' });
    } finally {
      console.error = log;
      plain.destroy();
      overridden.destroy();
    }
  });
});
