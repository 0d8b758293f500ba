import {
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  type GetBucketAclCommandOutput,
  type GetBucketEncryptionCommandOutput,
  type GetBucketLifecycleConfigurationCommandOutput,
  type GetBucketLoggingCommandOutput,
  type GetBucketPolicyCommandOutput,
  type GetBucketReplicationCommandOutput,
  type GetBucketTaggingCommandOutput,
  type GetBucketVersioningCommandOutput,
  type GetObjectLockConfigurationCommandOutput,
  type GetPublicAccessBlockCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';

/** The per-bucket read operations the collector may make, each at most once per bucket and scan. */
export type BucketOperation =
  | 'GetBucketEncryption'
  | 'GetBucketPolicy'
  | 'GetBucketAcl'
  | 'GetPublicAccessBlock'
  | 'GetBucketVersioning'
  | 'GetBucketReplication'
  | 'GetObjectLockConfiguration'
  | 'GetBucketLogging'
  | 'GetBucketLifecycleConfiguration'
  | 'GetBucketTagging';

/** What each operation answers. */
export type BucketOutputs = {
  GetBucketEncryption: GetBucketEncryptionCommandOutput;
  GetBucketPolicy: GetBucketPolicyCommandOutput;
  GetBucketAcl: GetBucketAclCommandOutput;
  GetPublicAccessBlock: GetPublicAccessBlockCommandOutput;
  GetBucketVersioning: GetBucketVersioningCommandOutput;
  GetBucketReplication: GetBucketReplicationCommandOutput;
  GetObjectLockConfiguration: GetObjectLockConfigurationCommandOutput;
  GetBucketLogging: GetBucketLoggingCommandOutput;
  GetBucketLifecycleConfiguration: GetBucketLifecycleConfigurationCommandOutput;
  GetBucketTagging: GetBucketTaggingCommandOutput;
};

type Send<K extends BucketOperation> = (client: S3Client, bucket: string) => Promise<BucketOutputs[K]>;

export type BucketApi<K extends BucketOperation = BucketOperation> = {
  operation: K;
  /** The IAM action that authorises it: S3 names its actions differently from its operations. */
  action: string;
  /** The error code with which S3 says "not configured"; a real value, not a failure. */
  notConfigured?: string;
  /** The bucket attributes whose value depends on this call. */
  provides: readonly string[];
  send: Send<K>;
};

const api = <K extends BucketOperation>(entry: BucketApi<K>): BucketApi<K> => entry;

/**
 * The bucket APIs, in the order they are called, with the attributes each one feeds. The collector
 * calls an API only when an attribute it feeds is needed by an enabled rule.
 */
export const BUCKET_APIS = [
  api({
    operation: 'GetPublicAccessBlock',
    action: 's3:GetBucketPublicAccessBlock',
    notConfigured: 'NoSuchPublicAccessBlockConfiguration',
    // A public grant or statement is "public, but blocked" when this block neutralises it.
    provides: ['publicAccessBlock', 'publicAclGrants', 'publicPolicyStatements', 'public'],
    send: (client, bucket) => client.send(new GetPublicAccessBlockCommand({ Bucket: bucket })),
  }),
  api({
    operation: 'GetBucketAcl',
    action: 's3:GetBucketAcl',
    provides: ['publicAclGrants', 'public'],
    send: (client, bucket) => client.send(new GetBucketAclCommand({ Bucket: bucket })),
  }),
  api({
    operation: 'GetBucketPolicy',
    action: 's3:GetBucketPolicy',
    notConfigured: 'NoSuchBucketPolicy',
    provides: ['policy', 'publicPolicyStatements', 'transport', 'public'],
    send: (client, bucket) => client.send(new GetBucketPolicyCommand({ Bucket: bucket })),
  }),
  api({
    operation: 'GetBucketEncryption',
    action: 's3:GetEncryptionConfiguration',
    notConfigured: 'ServerSideEncryptionConfigurationNotFoundError',
    provides: ['defaultEncryption'],
    send: (client, bucket) => client.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
  }),
  api({
    operation: 'GetBucketVersioning',
    action: 's3:GetBucketVersioning',
    provides: ['versioning'],
    send: (client, bucket) => client.send(new GetBucketVersioningCommand({ Bucket: bucket })),
  }),
  api({
    operation: 'GetBucketReplication',
    action: 's3:GetReplicationConfiguration',
    notConfigured: 'ReplicationConfigurationNotFoundError',
    provides: ['replication'],
    send: (client, bucket) => client.send(new GetBucketReplicationCommand({ Bucket: bucket })),
  }),
  api({
    operation: 'GetObjectLockConfiguration',
    action: 's3:GetBucketObjectLockConfiguration',
    notConfigured: 'ObjectLockConfigurationNotFoundError',
    provides: ['objectLock'],
    send: (client, bucket) => client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })),
  }),
  api({
    operation: 'GetBucketLogging',
    action: 's3:GetBucketLogging',
    provides: ['logging'],
    send: (client, bucket) => client.send(new GetBucketLoggingCommand({ Bucket: bucket })),
  }),
  api({
    operation: 'GetBucketLifecycleConfiguration',
    action: 's3:GetLifecycleConfiguration',
    notConfigured: 'NoSuchLifecycleConfiguration',
    provides: ['lifecycle'],
    send: (client, bucket) => client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })),
  }),
  api({
    operation: 'GetBucketTagging',
    action: 's3:GetBucketTagging',
    notConfigured: 'NoSuchTagSet',
    provides: ['tags'],
    send: (client, bucket) => client.send(new GetBucketTaggingCommand({ Bucket: bucket })),
  }),
] as const satisfies readonly BucketApi[];

/** The account-level block (S3 Control GetPublicAccessBlock) and what it feeds. */
export const ACCOUNT_BLOCK = {
  action: 's3:GetAccountPublicAccessBlock',
  notConfigured: 'NoSuchPublicAccessBlockConfiguration',
  provides: ['accountPublicAccessBlock', 'publicAclGrants', 'publicPolicyStatements', 'public'],
} as const;

/** Attributes every bucket gets from ListBuckets (or GetBucketLocation), with no API of their own. */
export const ALWAYS_PROVIDED = ['region', 'creationDate'] as const;

export const LIST_BUCKETS_ACTION = 's3:ListAllMyBuckets';
export const GET_BUCKET_LOCATION_ACTION = 's3:GetBucketLocation';

/** The S3 operation to IAM action table, for coverage gaps and the least-privilege policy. */
export const S3_IAM_ACTIONS: Record<string, string> = {
  's3.ListBuckets': LIST_BUCKETS_ACTION,
  's3.GetBucketLocation': GET_BUCKET_LOCATION_ACTION,
  's3-control.GetPublicAccessBlock': ACCOUNT_BLOCK.action,
  ...Object.fromEntries(BUCKET_APIS.map((entry) => [`s3.${entry.operation}`, entry.action])),
};

export type CallPlan = { bucketApis: BucketApi[]; accountBlock: boolean };

/** Which calls the needed attributes require: nothing that no enabled rule reads. */
export const planCalls = (needs: ReadonlySet<string>): CallPlan => ({
  bucketApis: BUCKET_APIS.filter((entry) => entry.provides.some((attribute) => needs.has(attribute))),
  accountBlock: ACCOUNT_BLOCK.provides.some((attribute) => needs.has(attribute)),
});
