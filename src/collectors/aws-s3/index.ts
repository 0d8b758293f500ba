import { GetBucketLocationCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import pLimit from 'p-limit';
import { forEachAccount } from '../../aws/accounts.js';
import { gapFrom, unknownFrom, type AwsFailure } from '../../aws/errors.js';
import type { CallerIdentity } from '../../aws/identities.js';
import { LIST_REGIONS_ACTION } from '../../aws/regions.js';
import { createAwsSession, type AwsSession, type AwsTuning, type Outcome } from '../../aws/session.js';
import { awsSettings } from '../../aws/settings.js';
import { isUnknown, unknown, type CoverageGap, type Resource, type Unknown } from '../../facts/types.js';
import { unitIds } from '../shard.js';
import type { CollectContext, Collector, CollectorOutput } from '../types.js';
import { awsS3Meta } from './meta.js';
import { ACCOUNT_BLOCK, ALWAYS_PROVIDED, GET_BUCKET_LOCATION_ACTION, LIST_BUCKETS_ACTION, planCalls, type BucketApi, type BucketOperation } from './apis.js';
import { blockFrom, bucketAttributes, type Answer, type BucketAnswers } from './attributes.js';
import { s3ClientClass, s3ControlClientClass } from './clients.js';
import type { BlockValue } from './exposure.js';
import { partitionOf } from './policy.js';

/** Knobs for tests and benchmarks; production uses the defaults. */
export type AwsS3Options = {
  tuning?: AwsTuning;
  /** ListBuckets page size (S3 allows 1 to 10,000). */
  pageSize?: number;
  /** Buckets worked on at once; the S3 bulkhead bounds the calls themselves. */
  bucketConcurrency?: number;
};

type ListedBucket = { name: string; region?: string; creationDate: string | null };

const NO_SUCH_BUCKET = 'NoSuchBucket';
const DEFAULT_PAGE_SIZE = 1000;
const DEFAULT_BUCKET_CONCURRENCY = 32;

/** GetBucketLocation answers an empty constraint for us-east-1 and `EU` for the oldest eu-west-1 buckets. */
export const regionFromLocation = (constraint: string | undefined | null): string => {
  if (!constraint) return 'us-east-1';
  if (constraint === 'EU') return 'eu-west-1';
  return constraint;
};

/** The region whose endpoint answers account-wide S3 calls (ListBuckets, GetBucketLocation) for a partition. */
const globalRegionOf = (region: string): string => ({ aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' })[partitionOf(region)] ?? region;

/** S3's actions are not named after its operations: put the right one on a denial. */
const withAction = (failure: AwsFailure, action: string): AwsFailure => (failure.reason === 'AccessDenied' ? { ...failure, permission: action } : failure);

const answerOf = <T>(outcome: Outcome<T>, notConfigured: string | undefined, action: string): Answer<T> => {
  if (outcome.ok) return { kind: 'value', value: outcome.value };
  if (notConfigured && outcome.failure.code === notConfigured) return { kind: 'not-configured' };
  return { kind: 'unknown', marker: unknownFrom(withAction(outcome.failure, action)) };
};

const errorGap = (resource: string, attributes: string[], failure: AwsFailure, action: string): CoverageGap => gapFrom(resource, attributes, withAction(failure, action));

/**
 * The aws-s3 collector: each bucket's encryption, exposure (ACL, policy, public access blocks),
 * transport policy, versioning, replication, Object Lock, logging, lifecycle and tags; only the
 * calls the enabled rules need, each (bucket, API) once, against a client for the bucket's region.
 */
export const createAwsS3Collector = (options: AwsS3Options = {}): Collector => ({
  ...awsS3Meta,
  // Every account of aws.accounts or aws.organization, else the one the credentials (or --aws-role-arn) reach.
  collect: (ctx) =>
    forEachAccount(
      ctx,
      awsSettings(ctx),
      async (settings) => {
        const chosen = Array.isArray(settings.regions) ? settings.regions : undefined;
        const homeRegion = chosen?.[0] ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION ?? 'us-east-1';
        const session = createAwsSession(ctx, settings, homeRegion, options.tuning);
        try {
          return await collectWith(ctx, session, { homeRegion, regions: chosen, all: settings.regions === 'all', options });
        } finally {
          session.destroy();
        }
      },
      options.tuning,
    ),
});

export const awsS3Collector: Collector = createAwsS3Collector();

type Run = {
  homeRegion: string;
  /** --aws-regions as a list: buckets elsewhere are not examined. */
  regions: string[] | undefined;
  /** --aws-regions all: buckets in regions not enabled in the account (account:ListRegions) are not examined. */
  all: boolean;
  options: AwsS3Options;
};

const collectWith = async (ctx: CollectContext, session: AwsSession, run: Run): Promise<CollectorOutput> => {
  const plan = planCalls(ctx.needs('aws.s3.bucket'));
  const gaps: CoverageGap[] = [];
  const notes: string[] = [];
  const endpoint = session.endpoint('s3');
  const S3 = s3ClientClass(endpoint);
  const s3 = (region: string): S3Client => session.client(S3, 's3', region);
  const globalRegion = globalRegionOf(run.homeRegion);

  // Who we are: the account id names the account block's owner and tells other accounts' buckets
  // apart. Asked only when an enabled rule depends on it.
  // Asked once for the scan when aws-iam needs it too (src/aws/identities.ts).
  const identity: Outcome<CallerIdentity> | undefined =
    plan.accountBlock || plan.bucketApis.some((entry) => entry.operation === 'GetBucketReplication') ? await session.callerIdentity() : undefined;
  if (identity && !identity.ok && ['NoCredentials', 'InvalidCredentials'].includes(identity.failure.reason)) {
    return { status: 'failed', resources: [], endpoint, reason: `${identity.failure.reason}: ${identity.failure.message}`, gaps: [gapFrom('aws', ['*'], identity.failure)] };
  }
  const roleAccount = /^arn:[^:]+:iam::(\d{12}):/.exec(session.settings.roleArn ?? '')?.[1];
  // A refused role fails the first call, whichever it is: blame sts:AssumeRole, not that call's action.
  const refusedRole = (failure: AwsFailure): CollectorOutput | undefined =>
    session.settings.roleArn && /sts:AssumeRole/.test(failure.message)
      ? {
          status: 'failed',
          resources: [],
          endpoint,
          reason: `could not assume ${session.settings.roleArn}: ${failure.message}`,
          gaps: [{ resource: roleAccount ? `aws:${roleAccount}` : 'aws', attributes: ['*'], reason: failure.reason, permission: 'sts:AssumeRole' }],
        }
      : undefined;
  if (identity && !identity.ok) {
    const refused = refusedRole(identity.failure);
    if (refused) return refused;
  }
  const accountId = identity?.ok ? identity.value.Account : roleAccount;
  const callerArn = identity?.ok ? identity.value.Arn : undefined;
  const accountResource = accountId ? `aws:${accountId}` : 'aws';

  // Every bucket the account owns, with its region where ListBuckets gives it.
  const listed: ListedBucket[] = [];
  let token: string | undefined;
  const seenTokens = new Set<string>();
  do {
    const page = await session.call('s3', 'ListBuckets', () =>
      s3(globalRegion).send(new ListBucketsCommand({ MaxBuckets: run.options.pageSize ?? DEFAULT_PAGE_SIZE, ...(token ? { ContinuationToken: token } : {}) })),
    );
    if (!page.ok) {
      const refused = refusedRole(page.failure);
      if (refused) return refused;
      const failure = withAction(page.failure, LIST_BUCKETS_ACTION);
      if (listed.length > 0) {
        // A later page lost: the buckets already listed are scanned, and every other bucket of the
        // account is unknown, under a gap on all of them.
        gaps.push(gapFrom(`arn:${partitionOf(run.homeRegion)}:s3:::*`, ['*'], failure));
        notes.push(`ListBuckets stopped after ${listed.length} buckets: ${failure.reason}: ${failure.message}`);
        break;
      }
      return {
        status: 'failed',
        resources: [],
        endpoint,
        ...(callerArn ? { identity: callerArn } : {}),
        reason: `ListBuckets: ${failure.reason}${failure.permission ? ` (needs ${failure.permission})` : ''}`,
        gaps: [gapFrom(accountResource, ['*'], failure)],
      };
    }
    for (const bucket of page.value.Buckets ?? []) {
      if (!bucket.Name) continue;
      listed.push({ name: bucket.Name, ...(bucket.BucketRegion ? { region: bucket.BucketRegion } : {}), creationDate: bucket.CreationDate?.toISOString() ?? null });
    }
    token = page.value.ContinuationToken || undefined;
    // An endpoint that hands back a token twice would page forever.
    if (token && seenTokens.has(token)) {
      gaps.push({ resource: accountResource, attributes: ['*'], reason: 'ListBuckets repeated a continuation token; the listing may be incomplete' });
      break;
    }
    if (token) seenTokens.add(token);
  } while (token);

  // Sharded, each bucket is a unit of its own (buckets spread evenly, whatever their regions); the
  // listing, and the account's block every bucket's exposure depends on, are read by every shard
  // that owns a bucket.
  const { shard } = ctx;
  const owned = shard ? listed.filter((bucket) => shard.owns(unitIds.s3Bucket(bucket.name))) : listed;
  const replication = plan.bucketApis.some((entry) => entry.operation === 'GetBucketReplication');

  // The account's block, once.
  let accountBlock: BlockValue | undefined;
  if (plan.accountBlock && owned.length > 0) {
    if (!accountId) {
      const reason = identity && !identity.ok ? identity.failure.reason : 'account id unknown';
      accountBlock = unknown(reason, undefined, 'the account id, which S3 Control needs, could not be read');
      gaps.push({ resource: accountResource, attributes: ['accountPublicAccessBlock'], reason });
    } else {
      const Control = s3ControlClientClass(session.endpoint('s3-control'));
      const outcome = await session.call('s3-control', 'GetPublicAccessBlock', () =>
        session.client(Control, 's3-control', run.homeRegion).send(new GetPublicAccessBlockCommand({ AccountId: accountId })),
      );
      accountBlock = blockFrom(answerOf(outcome, ACCOUNT_BLOCK.notConfigured, ACCOUNT_BLOCK.action));
      if (!outcome.ok && outcome.failure.code !== ACCOUNT_BLOCK.notConfigured) {
        gaps.push(errorGap(accountResource, ['accountPublicAccessBlock'], outcome.failure, ACCOUNT_BLOCK.action));
      }
    }
  }

  // Regions first (GetBucketLocation only where ListBuckets did not say), so that replication
  // destinations among the account's own buckets can be placed.
  const limit = pLimit(run.options.bucketConcurrency ?? DEFAULT_BUCKET_CONCURRENCY);
  const vanished = new Set<string>();
  const regions = new Map<string, string | Unknown>();
  await Promise.all(
    (replication ? listed : owned).map((bucket) =>
      limit(async () => {
        if (bucket.region) {
          regions.set(bucket.name, bucket.region);
          return;
        }
        const outcome = await session.call('s3', 'GetBucketLocation', () =>
          s3(globalRegion).send(new GetBucketLocationCommand({ Bucket: bucket.name })),
        );
        if (outcome.ok) regions.set(bucket.name, regionFromLocation(outcome.value.LocationConstraint));
        else if (outcome.failure.code === NO_SUCH_BUCKET) vanished.add(bucket.name);
        else {
          const failure = withAction(outcome.failure, GET_BUCKET_LOCATION_ACTION);
          regions.set(bucket.name, unknownFrom(failure));
        }
      }),
    ),
  );

  // --aws-regions all: the account's enabled regions, listed once per account for the scan (aws-iam
  // uses the same answer). A bucket left in a region since disabled answers nothing: it is left
  // out, not reported as failing. Without the list every bucket is examined, as with no
  // --aws-regions: one in a region that does not answer is unknown, never passed.
  let enabled: ReadonlySet<string> | undefined;
  if (run.all && owned.some((bucket) => typeof regions.get(bucket.name) === 'string')) {
    const listed = await session.enabledRegions();
    if (listed.ok) enabled = new Set(listed.value);
    else {
      const failure: AwsFailure = { ...listed.failure, permission: LIST_REGIONS_ACTION };
      gaps.push(gapFrom(accountResource, ['regions'], failure));
      notes.push(`--aws-regions all: the enabled regions could not be listed (${LIST_REGIONS_ACTION}: ${failure.reason}: ${failure.message}); every bucket was examined, whatever its region`);
    }
  }
  let outsideRegions = 0;
  let notEnabled = 0;
  const resources = await Promise.all(
    owned.map((bucket) =>
      limit(async (): Promise<Resource | undefined> => {
        if (vanished.has(bucket.name)) return undefined;
        const region = regions.get(bucket.name) as string | Unknown;
        const arn = `arn:${partitionOf(typeof region === 'string' ? region : run.homeRegion)}:s3:::${bucket.name}`;
        if (typeof region !== 'string') {
          // Without the region, every regional call would be refused; none is made.
          const attributes: Record<string, unknown> = { region, creationDate: bucket.creationDate };
          const planned = [...new Set(plan.bucketApis.flatMap((entry) => entry.provides))];
          for (const name of planned) attributes[name] = region;
          if (accountBlock !== undefined) attributes.accountPublicAccessBlock = accountBlock;
          gaps.push({ resource: arn, attributes: ['region', ...planned], reason: region.$unknown.reason, ...(region.$unknown.permission ? { permission: region.$unknown.permission } : {}) });
          return { kind: 'aws.s3.bucket', id: arn, name: bucket.name, source: 'aws-s3', ...(accountId ? { scope: { account: accountId } } : {}), attributes };
        }
        if (run.regions && !run.regions.includes(region)) {
          outsideRegions++;
          return undefined;
        }
        if (enabled && !enabled.has(region)) {
          notEnabled++;
          return undefined;
        }
        const answers: BucketAnswers = {};
        const record = answers as Record<BucketOperation, Answer<unknown>>;
        const client = s3(region);
        let gone = false;
        await Promise.all(
          plan.bucketApis.map(async (entry: BucketApi) => {
            const outcome = await session.call('s3', entry.operation, () => entry.send(client, bucket.name));
            if (!outcome.ok && outcome.failure.code === NO_SUCH_BUCKET) {
              gone = true;
              return;
            }
            record[entry.operation] = answerOf<unknown>(outcome, entry.notConfigured, entry.action);
            if (!outcome.ok && outcome.failure.code !== entry.notConfigured) {
              // A bucket block that cannot be read makes a public grant's status unknown, which its marker says.
              const affected = entry.operation === 'GetPublicAccessBlock' ? ['publicAccessBlock'] : [...entry.provides];
              gaps.push(errorGap(arn, affected, outcome.failure, entry.action));
            }
          }),
        );
        if (gone) {
          vanished.add(bucket.name);
          return undefined;
        }
        const attributes = bucketAttributes(answers, {
          name: bucket.name,
          arn,
          region,
          creationDate: bucket.creationDate,
          ...(accountBlock !== undefined ? { accountBlock } : {}),
          ...(accountId ? { accountId } : {}),
          ownBucketRegions: regions,
        });
        const tags = attributes.tags;
        return {
          kind: 'aws.s3.bucket',
          id: arn,
          name: bucket.name,
          source: 'aws-s3',
          scope: { ...(accountId ? { account: accountId } : {}), region },
          ...(tags && typeof tags === 'object' && !isUnknown(tags) ? { tags: tags as Record<string, string> } : {}),
          attributes,
        };
      }),
    ),
  );

  for (const name of [...vanished].sort()) notes.push(`bucket ${name} was deleted during the scan (NoSuchBucket) and is left out`);
  if (outsideRegions > 0) notes.push(`${outsideRegions} bucket(s) outside --aws-regions (${run.regions?.join(', ')}) were not examined`);
  if (notEnabled > 0) notes.push(`${notEnabled} bucket(s) in regions not enabled in the account (${LIST_REGIONS_ACTION}) were not examined`);
  const needed = plan.bucketApis.map((entry) => entry.operation);
  notes.push(
    needed.length > 0 || plan.accountBlock
      ? `per bucket: ${needed.join(', ') || 'no bucket API'}${plan.accountBlock ? '; account: S3 Control GetPublicAccessBlock' : ''} (what the enabled rules need; ${ALWAYS_PROVIDED.join(' and ')} always)`
      : 'no enabled rule reads S3 bucket attributes: buckets listed only',
  );
  // A bucket that is gone leaves no gap: there is nothing left to see.
  const goneArns = new Set([...vanished].map((name) => `:s3:::${name}`));
  return {
    resources: resources.filter((r): r is Resource => r !== undefined).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    gaps: gaps.filter((gap) => ![...goneArns].some((suffix) => gap.resource.endsWith(suffix))),
    notes,
    endpoint,
    ...(callerArn ? { identity: callerArn } : {}),
  };
};
