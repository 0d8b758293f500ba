import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../src/util/package-root.js';
import type { AwsRequest, AwsResponse, FakeService } from './server.js';
import {
  handleS3Control,
  isS3ControlRequest,
  s3ControlError,
  s3ControlOperation,
  xmlEscape,
  type FakePublicAccessBlock,
  type FakeS3ControlState,
} from './s3-control.js';

/**
 * One bucket of the fake S3. Each configuration is held in the shape `aws s3api get-bucket-...`
 * prints it, and rendered to S3's REST/XML on the way out. An absent or null configuration is
 * answered with S3's own "not configured" error code and status.
 */
export type FakeS3Bucket = {
  Name: string;
  Region: string;
  CreationDate?: string;
  /** The raw LocationConstraint when it is not the region itself: `EU` for old eu-west-1 buckets. */
  LocationConstraint?: string;
  Encryption?: { Rules: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID?: string }; BucketKeyEnabled?: boolean }[] } | null;
  /** A policy document (serialised as JSON) or the raw text S3 would return. */
  Policy?: Record<string, unknown> | string | null;
  Acl?: { Grants: { Grantee: { Type: 'CanonicalUser' | 'Group' | 'AmazonCustomerByEmail'; ID?: string; DisplayName?: string; URI?: string; EmailAddress?: string }; Permission: string }[] };
  PublicAccessBlock?: FakePublicAccessBlock | null;
  /** Absent or `{}`: versioning never configured (S3 answers an empty VersioningConfiguration). */
  Versioning?: { Status?: 'Enabled' | 'Suspended'; MFADelete?: 'Enabled' | 'Disabled' };
  Replication?: {
    Role: string;
    Rules: {
      ID?: string;
      Priority?: number;
      Status: 'Enabled' | 'Disabled';
      Filter?: { Prefix?: string };
      Prefix?: string;
      Destination: { Bucket: string; Account?: string; StorageClass?: string };
      DeleteMarkerReplication?: { Status: 'Enabled' | 'Disabled' };
    }[];
  } | null;
  ObjectLock?: { ObjectLockEnabled?: 'Enabled'; Rule?: { DefaultRetention: { Mode: 'GOVERNANCE' | 'COMPLIANCE'; Days?: number; Years?: number } } } | null;
  /** Server access logging; absent or null: off (S3 answers an empty BucketLoggingStatus). */
  Logging?: { TargetBucket: string; TargetPrefix: string } | null;
  Lifecycle?: {
    Rules: {
      ID?: string;
      Status: 'Enabled' | 'Disabled';
      Filter?: { Prefix?: string };
      Expiration?: { Days?: number; Date?: string };
      Transitions?: { Days?: number; StorageClass: string }[];
      NoncurrentVersionExpiration?: { NoncurrentDays: number };
      AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
    }[];
  } | null;
  Tags?: { Key: string; Value: string }[] | null;
  /** Listed by ListBuckets but deleted before anything else is asked: every other call answers NoSuchBucket. */
  Vanished?: boolean;
};

export type FakeS3State = FakeS3ControlState & {
  Owner: { ID: string; DisplayName?: string };
  Buckets: FakeS3Bucket[];
  /** Answer ListBuckets without BucketRegion, as S3-compatible stores and unparameterised requests do. */
  ListBucketsOmitsRegion?: boolean;
};

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

/**
 * The sub-resources of GET Bucket and the operations they select. Operations are named by the IAM
 * action that authorises them (`GetEncryptionConfiguration` for GetBucketEncryption), as S3's own
 * AccessDenied messages do, so the call log reads as the permissions a scan used.
 */
const SUBRESOURCES: Record<string, string> = {
  acl: 'GetBucketAcl',
  encryption: 'GetEncryptionConfiguration',
  lifecycle: 'GetLifecycleConfiguration',
  location: 'GetBucketLocation',
  logging: 'GetBucketLogging',
  policy: 'GetBucketPolicy',
  publicAccessBlock: 'GetBucketPublicAccessBlock',
  replication: 'GetReplicationConfiguration',
  tagging: 'GetBucketTagging',
  versioning: 'GetBucketVersioning',
  'object-lock': 'GetBucketObjectLockConfiguration',
};

/** The SDK operation behind each operation name of the fake's call log. */
export const S3_FAKE_OPERATIONS: Record<string, string> = {
  ListAllMyBuckets: 'ListBuckets',
  GetBucketLocation: 'GetBucketLocation',
  GetBucketAcl: 'GetBucketAcl',
  GetEncryptionConfiguration: 'GetBucketEncryption',
  GetLifecycleConfiguration: 'GetBucketLifecycleConfiguration',
  GetBucketLogging: 'GetBucketLogging',
  GetBucketPolicy: 'GetBucketPolicy',
  GetBucketPublicAccessBlock: 'GetPublicAccessBlock',
  GetReplicationConfiguration: 'GetBucketReplication',
  GetBucketTagging: 'GetBucketTagging',
  GetBucketVersioning: 'GetBucketVersioning',
  GetBucketObjectLockConfiguration: 'GetObjectLockConfiguration',
  GetAccountPublicAccessBlock: 'S3Control.GetPublicAccessBlock',
};

/** The bucket a request addresses: virtual-hosted (`bucket.s3.<...>`) or path-style (`/bucket`). */
export const addressedBucket = (request: AwsRequest): { bucket: string; style: 'virtual-host' | 'path' } => {
  const host = request.host.replace(/:\d+$/, '');
  const virtual = /^(.+)\.s3(?:[.-][^.]+)*\.[^.]+$/i.exec(host);
  if (virtual && !/^s3[.-]/i.test(host)) return { bucket: virtual[1] as string, style: 'virtual-host' };
  const segment = request.path.split('/')[1] ?? '';
  return { bucket: decodeURIComponent(segment), style: 'path' };
};

/**
 * The query parameters ListBuckets takes (the SDK names the operation in `x-id`); a bucket
 * sub-resource request takes its sub-resource key alone. Anything else is refused with S3's
 * InvalidArgument, naming the argument: S3 would ignore many of them, but a fake that did would let a
 * misspelt parameter in posture pass unnoticed.
 */
export const LIST_BUCKETS_PARAMETERS = ['x-id', 'max-buckets', 'continuation-token', 'prefix', 'bucket-region'] as const;

const operationOf = (request: AwsRequest): string => {
  const { bucket } = addressedBucket(request);
  if (request.method !== 'GET') return `Unsupported ${request.method}`;
  if (!bucket) return 'ListAllMyBuckets';
  const keys = [...request.query.keys()];
  for (const key of keys) {
    const operation = SUBRESOURCES[key];
    if (operation) return operation;
  }
  // ListObjects and the sub-resources the fake does not model (cors, website, ...).
  return keys.length === 0 ? 'ListObjects' : `Unsupported GET ?${keys[0]}`;
};

/** The first query argument a request carries that its operation does not take, with its value. */
const unknownArgument = (request: AwsRequest, operation: string): [string, string] | undefined => {
  const allowed: readonly string[] = operation === 'ListAllMyBuckets' ? LIST_BUCKETS_PARAMETERS : Object.keys(SUBRESOURCES).filter((key) => SUBRESOURCES[key] === operation);
  return [...request.query].find(([name]) => !allowed.includes(name));
};

/**
 * S3's bucket naming rules: 3 to 63 characters of lower-case letters, digits, dots and hyphens,
 * starting and ending with a letter or digit, no two adjacent dots, not shaped like an IP address.
 */
export const isValidBucketName = (name: string): boolean =>
  /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);

/** S3's own error document: a bare Error element. */
const s3Error = (request: AwsRequest, status: number, code: string, message: string, extra = ''): AwsResponse => {
  const { bucket } = isS3ControlRequest(request) ? { bucket: '' } : addressedBucket(request);
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body:
      XML_HEAD +
      `<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
      (bucket && status === 404 ? `<BucketName>${xmlEscape(bucket)}</BucketName>` : '') +
      extra +
      '<RequestId>FAKE0REQUEST0ID</RequestId><HostId>ZmFrZS1ob3N0LWlk</HostId></Error>',
  };
};

/** The elements S3 adds to an InvalidArgument error to name the argument. */
const argument = (name: string, value: string): string => `<ArgumentName>${xmlEscape(name)}</ArgumentName><ArgumentValue>${xmlEscape(value)}</ArgumentValue>`;

const xml = (root: string, inner: string, namespace = NS): AwsResponse => ({
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body: inner === '' ? `${XML_HEAD}<${root} xmlns="${namespace}"/>` : `${XML_HEAD}<${root} xmlns="${namespace}">${inner}</${root}>`,
});

const el = (name: string, value: string | number | boolean | undefined): string =>
  value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;

const PAGE_SIZE_DEFAULT = 10_000;

const listBuckets = (state: FakeS3State, request: AwsRequest): AwsResponse => {
  const q = request.query;
  const parameterised = ['max-buckets', 'continuation-token', 'prefix', 'bucket-region'].some((p) => q.has(p));
  const prefix = q.get('prefix') ?? '';
  const region = q.get('bucket-region');
  const after = q.get('continuation-token') ? Buffer.from(q.get('continuation-token') as string, 'base64url').toString('utf8') : '';
  const max = q.has('max-buckets') ? Number(q.get('max-buckets')) : PAGE_SIZE_DEFAULT;
  if (!/^\d+$/.test(q.get('max-buckets') ?? '1') || max < 1 || max > 10_000) {
    return s3Error(request, 400, 'InvalidArgument', 'Argument max-buckets must be an integer between 1 and 10000.', argument('max-buckets', q.get('max-buckets') ?? ''));
  }
  if (q.has('x-id') && q.get('x-id') !== 'ListBuckets') return s3Error(request, 400, 'InvalidArgument', `Invalid x-id: ${q.get('x-id') ?? ''}`, argument('x-id', q.get('x-id') ?? ''));
  const all = [...state.Buckets]
    .filter((b) => b.Name.startsWith(prefix) && (!region || b.Region === region))
    .sort((a, b) => a.Name.localeCompare(b.Name));
  const remaining = all.filter((b) => !after || b.Name > after);
  const page = parameterised ? remaining.slice(0, max) : remaining;
  const more = parameterised && remaining.length > page.length;
  const withRegion = parameterised && !state.ListBucketsOmitsRegion;
  const buckets = page
    .map(
      (b) =>
        `<Bucket>${el('Name', b.Name)}${el('CreationDate', b.CreationDate ?? '2024-01-01T00:00:00.000Z')}` +
        `${withRegion ? el('BucketRegion', b.Region) : ''}</Bucket>`,
    )
    .join('');
  const last = page.at(-1);
  return xml(
    'ListAllMyBucketsResult',
    `<Owner>${el('ID', state.Owner.ID)}${el('DisplayName', state.Owner.DisplayName)}</Owner><Buckets>${buckets}</Buckets>` +
      (more && last ? el('ContinuationToken', Buffer.from(last.Name, 'utf8').toString('base64url')) : '') +
      (q.has('prefix') ? el('Prefix', prefix) : ''),
  );
};

const grantXml = (grant: NonNullable<FakeS3Bucket['Acl']>['Grants'][number]): string => {
  const g = grant.Grantee;
  const who = g.Type === 'Group' ? el('URI', g.URI) : g.Type === 'AmazonCustomerByEmail' ? el('EmailAddress', g.EmailAddress) : `${el('ID', g.ID)}${el('DisplayName', g.DisplayName)}`;
  return `<Grant><Grantee ${XSI} xsi:type="${g.Type}">${who}</Grantee>${el('Permission', grant.Permission)}</Grant>`;
};

const blockXml = (block: FakePublicAccessBlock): string =>
  el('BlockPublicAcls', block.BlockPublicAcls) + el('IgnorePublicAcls', block.IgnorePublicAcls) + el('BlockPublicPolicy', block.BlockPublicPolicy) + el('RestrictPublicBuckets', block.RestrictPublicBuckets);

const bucketOperation = (state: FakeS3State, bucket: FakeS3Bucket, request: AwsRequest, operation: string): AwsResponse => {
  switch (operation) {
    case 'GetBucketLocation': {
      const constraint = bucket.LocationConstraint ?? (bucket.Region === 'us-east-1' ? '' : bucket.Region);
      return xml('LocationConstraint', xmlEscape(constraint));
    }
    case 'GetEncryptionConfiguration': {
      if (!bucket.Encryption) return s3Error(request, 404, 'ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found');
      const rules = bucket.Encryption.Rules.map(
        (r) =>
          `<Rule><ApplyServerSideEncryptionByDefault>${el('SSEAlgorithm', r.ApplyServerSideEncryptionByDefault.SSEAlgorithm)}` +
          `${el('KMSMasterKeyID', r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID)}</ApplyServerSideEncryptionByDefault>` +
          `${el('BucketKeyEnabled', r.BucketKeyEnabled)}</Rule>`,
      ).join('');
      return xml('ServerSideEncryptionConfiguration', rules);
    }
    case 'GetBucketPolicy': {
      if (bucket.Policy === undefined || bucket.Policy === null) return s3Error(request, 404, 'NoSuchBucketPolicy', 'The bucket policy does not exist');
      const text = typeof bucket.Policy === 'string' ? bucket.Policy : JSON.stringify(bucket.Policy);
      return { status: 200, headers: { 'content-type': 'application/json' }, body: text };
    }
    case 'GetBucketAcl': {
      const grants = bucket.Acl?.Grants ?? [{ Grantee: { Type: 'CanonicalUser' as const, ID: state.Owner.ID, DisplayName: state.Owner.DisplayName }, Permission: 'FULL_CONTROL' }];
      return xml(
        'AccessControlPolicy',
        `<Owner>${el('ID', state.Owner.ID)}${el('DisplayName', state.Owner.DisplayName)}</Owner><AccessControlList>${grants.map(grantXml).join('')}</AccessControlList>`,
      );
    }
    case 'GetBucketPublicAccessBlock':
      if (!bucket.PublicAccessBlock) return s3Error(request, 404, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found');
      return xml('PublicAccessBlockConfiguration', blockXml(bucket.PublicAccessBlock));
    case 'GetBucketVersioning':
      return xml('VersioningConfiguration', el('Status', bucket.Versioning?.Status) + el('MfaDelete', bucket.Versioning?.MFADelete));
    case 'GetReplicationConfiguration': {
      if (!bucket.Replication) return s3Error(request, 404, 'ReplicationConfigurationNotFoundError', 'The replication configuration was not found');
      const rules = bucket.Replication.Rules.map(
        (r) =>
          `<Rule>${el('ID', r.ID)}${el('Priority', r.Priority)}${el('Prefix', r.Prefix)}` +
          (r.Filter ? (r.Filter.Prefix === undefined ? '<Filter/>' : `<Filter>${el('Prefix', r.Filter.Prefix)}</Filter>`) : '') +
          `${el('Status', r.Status)}<Destination>${el('Bucket', r.Destination.Bucket)}${el('Account', r.Destination.Account)}${el('StorageClass', r.Destination.StorageClass)}</Destination>` +
          (r.DeleteMarkerReplication ? `<DeleteMarkerReplication>${el('Status', r.DeleteMarkerReplication.Status)}</DeleteMarkerReplication>` : '') +
          '</Rule>',
      ).join('');
      return xml('ReplicationConfiguration', el('Role', bucket.Replication.Role) + rules);
    }
    case 'GetBucketObjectLockConfiguration': {
      if (!bucket.ObjectLock) return s3Error(request, 404, 'ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket');
      const retention = bucket.ObjectLock.Rule?.DefaultRetention;
      return xml(
        'ObjectLockConfiguration',
        el('ObjectLockEnabled', bucket.ObjectLock.ObjectLockEnabled) +
          (retention ? `<Rule><DefaultRetention>${el('Mode', retention.Mode)}${el('Days', retention.Days)}${el('Years', retention.Years)}</DefaultRetention></Rule>` : ''),
      );
    }
    case 'GetBucketLogging':
      // S3 answers logging with its historical namespace, not the 2006-03-01 one the other operations use.
      return xml(
        'BucketLoggingStatus',
        bucket.Logging ? `<LoggingEnabled>${el('TargetBucket', bucket.Logging.TargetBucket)}${el('TargetPrefix', bucket.Logging.TargetPrefix)}</LoggingEnabled>` : '',
        'http://doc.s3.amazonaws.com/2006-03-01',
      );
    case 'GetLifecycleConfiguration': {
      if (!bucket.Lifecycle) return s3Error(request, 404, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist');
      const rules = bucket.Lifecycle.Rules.map(
        (r) =>
          `<Rule>${el('ID', r.ID)}` +
          (r.Filter ? (r.Filter.Prefix === undefined ? '<Filter/>' : `<Filter>${el('Prefix', r.Filter.Prefix)}</Filter>`) : '') +
          el('Status', r.Status) +
          (r.Expiration ? `<Expiration>${el('Days', r.Expiration.Days)}${el('Date', r.Expiration.Date)}</Expiration>` : '') +
          (r.Transitions ?? []).map((t) => `<Transition>${el('Days', t.Days)}${el('StorageClass', t.StorageClass)}</Transition>`).join('') +
          (r.NoncurrentVersionExpiration ? `<NoncurrentVersionExpiration>${el('NoncurrentDays', r.NoncurrentVersionExpiration.NoncurrentDays)}</NoncurrentVersionExpiration>` : '') +
          (r.AbortIncompleteMultipartUpload ? `<AbortIncompleteMultipartUpload>${el('DaysAfterInitiation', r.AbortIncompleteMultipartUpload.DaysAfterInitiation)}</AbortIncompleteMultipartUpload>` : '') +
          '</Rule>',
      ).join('');
      const response = xml('LifecycleConfiguration', rules);
      return { ...response, headers: { ...response.headers, 'x-amz-transition-default-minimum-object-size': 'all_storage_classes_128K' } };
    }
    case 'GetBucketTagging': {
      if (!bucket.Tags || bucket.Tags.length === 0) return s3Error(request, 404, 'NoSuchTagSet', 'The TagSet does not exist');
      return xml('Tagging', `<TagSet>${bucket.Tags.map((t) => `<Tag>${el('Key', t.Key)}${el('Value', t.Value)}</Tag>`).join('')}</TagSet>`);
    }
    default:
      // S3's answer to a request for functionality it does not have; here, what the fake does not model.
      return s3Error(request, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented', `<Detail>${xmlEscape(operation)} is not modelled by the fake</Detail>`);
  }
};

/**
 * The fake S3 (and S3 Control, which signs as `s3` too): REST/XML in S3's wire format, virtual-host
 * and path-style addressing, regional signing checked against the bucket's region, ListBuckets
 * pagination with continuation tokens, and S3's real "not configured" codes and statuses.
 * The state is read on every request, so a test may change it between calls.
 */
export const createFakeS3 = (state: FakeS3State): FakeService => ({
  operation: (request) => (isS3ControlRequest(request) ? s3ControlOperation(request) : operationOf(request)),
  error: (request, status, code, message) => (isS3ControlRequest(request) ? s3ControlError(request, status, code, message) : s3Error(request, status, code, message)),
  handle: (request, operation) => {
    if (isS3ControlRequest(request)) return handleS3Control(state, request, operation);
    const unknown = request.method === 'GET' && !operation.startsWith('Unsupported') && operation !== 'ListObjects' ? unknownArgument(request, operation) : undefined;
    if (unknown) return s3Error(request, 400, 'InvalidArgument', `${operation} does not take the argument ${unknown[0]}.`, argument(unknown[0], unknown[1]));
    if (operation === 'ListAllMyBuckets') return listBuckets(state, request);
    const { bucket: name } = addressedBucket(request);
    if (!isValidBucketName(name)) return s3Error(request, 400, 'InvalidBucketName', 'The specified bucket is not valid.', `<BucketName>${xmlEscape(name)}</BucketName>`);
    const bucket = state.Buckets.find((b) => b.Name === name);
    if (!bucket || bucket.Vanished) return s3Error(request, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    // GetBucketLocation is answered from any region; everything else must be signed for the bucket's region.
    if (operation !== 'GetBucketLocation' && request.region !== bucket.Region) {
      const response = s3Error(
        request,
        400,
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${request.region}' is wrong; expecting '${bucket.Region}'`,
        el('Region', bucket.Region),
      );
      return { ...response, headers: { ...response.headers, 'x-amz-bucket-region': bucket.Region } };
    }
    const response = bucketOperation(state, bucket, request, operation);
    return { ...response, headers: { ...response.headers, 'x-amz-bucket-region': bucket.Region } };
  },
});

/** The demo estate's buckets (Acme Rockets, account 123456789012). */
export const DEMO_AWS_S3 = path.join(packageRoot, 'fixtures', 'demo', 'aws', 's3', 'buckets.json');

/** Reads a fake S3 state file (the shape of `FakeS3State`, as JSON). */
export const loadFakeS3State = (file: string): FakeS3State => JSON.parse(readFileSync(file, 'utf8')) as FakeS3State;

/** The fake S3 (and S3 Control) service of the demo estate, to join the demo's fake AWS endpoint. */
export const demoS3Service = (): FakeService => createFakeS3(loadFakeS3State(DEMO_AWS_S3));
