import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { gapFrom, unknownFrom, type AwsFailure } from '../../aws/errors.js';
import type { AwsSession, Outcome } from '../../aws/session.js';
import { isUnknown, type CoverageGap, type Resource, type Unknown } from '../../facts/types.js';
import type { BucketApi, BucketOperation, CallPlan } from './apis.js';
import { bucketAttributes, type Answer, type BucketAnswers } from './attributes.js';
import type { BlockValue } from './exposure.js';
import { partitionOf } from './policy.js';

/** A bucket as ListBuckets gave it. */
export type ListedBucket = { name: string; region?: string; creationDate: string | null };

/** What every bucket's examination shares: data only, so that it can be handed to another thread. */
export type BucketScope = {
  homeRegion: string;
  /** `--aws-regions` as given: buckets elsewhere are counted, not examined. */
  regions: string[] | undefined;
  /** Each of the account's buckets' region, or why it is not known (replication destinations are placed with it). */
  bucketRegions: ReadonlyMap<string, string | Unknown>;
  accountBlock?: BlockValue;
  accountId?: string;
};

/** The examined buckets' resources and gaps, the buckets found deleted, and those outside --aws-regions. */
export type BucketFindings = { resources: Resource[]; gaps: CoverageGap[]; vanished: string[]; outsideRegions: number };

export const NO_SUCH_BUCKET = 'NoSuchBucket';

/** S3's actions are not named after its operations: put the right one on a denial. */
export const withAction = (failure: AwsFailure, action: string): AwsFailure => (failure.reason === 'AccessDenied' ? { ...failure, permission: action } : failure);

export const answerOf = <T>(outcome: Outcome<T>, notConfigured: string | undefined, action: string): Answer<T> => {
  if (outcome.ok) return { kind: 'value', value: outcome.value };
  if (notConfigured && outcome.failure.code === notConfigured) return { kind: 'not-configured' };
  return { kind: 'unknown', marker: unknownFrom(withAction(outcome.failure, action)) };
};

export const errorGap = (resource: string, attributes: string[], failure: AwsFailure, action: string): CoverageGap => gapFrom(resource, attributes, withAction(failure, action));

/**
 * Makes the planned per-bucket calls for each bucket, `concurrency` buckets at a time (the
 * session's S3 bulkhead bounds the calls themselves), and builds the buckets' resources.
 */
export const examineBuckets = async (
  session: AwsSession,
  s3: (region: string) => S3Client,
  plan: CallPlan,
  buckets: readonly ListedBucket[],
  scope: BucketScope,
  concurrency: number,
): Promise<BucketFindings> => {
  const limit = pLimit(concurrency);
  const gaps: CoverageGap[] = [];
  const vanished: string[] = [];
  let outsideRegions = 0;
  const { accountBlock, accountId } = scope;
  const resources = await Promise.all(
    buckets.map((bucket) =>
      limit(async (): Promise<Resource | undefined> => {
        const region = scope.bucketRegions.get(bucket.name) as string | Unknown;
        const arn = `arn:${partitionOf(typeof region === 'string' ? region : scope.homeRegion)}:s3:::${bucket.name}`;
        if (typeof region !== 'string') {
          // Without the region, every regional call would be refused; none is made.
          const attributes: Record<string, unknown> = { region, creationDate: bucket.creationDate };
          const planned = [...new Set(plan.bucketApis.flatMap((entry) => entry.provides))];
          for (const name of planned) attributes[name] = region;
          if (accountBlock !== undefined) attributes.accountPublicAccessBlock = accountBlock;
          gaps.push({ resource: arn, attributes: ['region', ...planned], reason: region.$unknown.reason, ...(region.$unknown.permission ? { permission: region.$unknown.permission } : {}) });
          return { kind: 'aws.s3.bucket', id: arn, name: bucket.name, source: 'aws-s3', ...(accountId ? { scope: { account: accountId } } : {}), attributes };
        }
        if (scope.regions && !scope.regions.includes(region)) {
          outsideRegions++;
          return undefined;
        }
        const answers: BucketAnswers = {};
        const record = answers as Record<BucketOperation, Answer<unknown>>;
        const client = s3(region);
        let gone = false;
        await Promise.all(
          plan.bucketApis.map(async (entry: BucketApi) => {
            const outcome = await session.call('s3', entry.operation, ({ abortSignal }) => entry.send(client, bucket.name, abortSignal));
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
          vanished.push(bucket.name);
          return undefined;
        }
        const attributes = bucketAttributes(answers, {
          name: bucket.name,
          arn,
          region,
          creationDate: bucket.creationDate,
          ...(accountBlock !== undefined ? { accountBlock } : {}),
          ...(accountId ? { accountId } : {}),
          ownBucketRegions: scope.bucketRegions,
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
  return { resources: resources.filter((r): r is Resource => r !== undefined), gaps, vanished, outsideRegions };
};
