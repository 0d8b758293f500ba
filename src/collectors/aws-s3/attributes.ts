import type { PublicAccessBlockConfiguration } from '@aws-sdk/client-s3';
import { isUnknown, unknown, type Unknown } from '../../facts/types.js';
import type { BucketOperation, BucketOutputs } from './apis.js';
import { publicAclGrants, publicPolicyStatements, type BlockValue, type PublicAccessBlock } from './exposure.js';
import { analysePolicy, type PolicyAnalysis } from './policy.js';

/** A call's answer as the attributes see it: a value, S3's "not configured", or unknown. */
export type Answer<T> = { kind: 'value'; value: T } | { kind: 'not-configured' } | { kind: 'unknown'; marker: Unknown };

export type BucketAnswers = { [K in BucketOperation]?: Answer<BucketOutputs[K]> };

/** What the collector knows about the bucket's surroundings when it derives attributes. */
export type BucketContext = {
  name: string;
  arn: string;
  region: string;
  creationDate: string | null;
  /** The account's block, when it was planned. */
  accountBlock?: BlockValue;
  /** The scanned account's id, when known: a replication destination in another account is separate. */
  accountId?: string;
  /** The regions of the account's own buckets (unknown where they could not be read). */
  ownBucketRegions: ReadonlyMap<string, string | Unknown>;
};

const toBlock = (configuration: PublicAccessBlockConfiguration | undefined): PublicAccessBlock => ({
  // S3 always returns the four settings; a missing one is off, as S3 itself treats it.
  blockPublicAcls: configuration?.BlockPublicAcls === true,
  ignorePublicAcls: configuration?.IgnorePublicAcls === true,
  blockPublicPolicy: configuration?.BlockPublicPolicy === true,
  restrictPublicBuckets: configuration?.RestrictPublicBuckets === true,
});

/** Maps an answer to an attribute value; `null` stands for "not configured". */
const derive = <T, V>(answer: Answer<T>, fromValue: (value: T) => V, notConfigured: V | null = null): V | null | Unknown => {
  if (answer.kind === 'unknown') return answer.marker;
  if (answer.kind === 'not-configured') return notConfigured;
  return fromValue(answer.value);
};

/** The public access block, from the bucket's or S3 Control's answer. */
export const blockFrom = (answer: Answer<{ PublicAccessBlockConfiguration?: PublicAccessBlockConfiguration }>): BlockValue =>
  derive(answer, (value) => toBlock(value.PublicAccessBlockConfiguration));

const BUCKET_ARN = /^arn:[^:]+:s3:::([^/]+)$/;

const separateFrom = (destinationAccount: string | null, destinationRegion: string | null | Unknown, context: BucketContext): boolean | Unknown => {
  if (destinationAccount && context.accountId && destinationAccount !== context.accountId) return true;
  // ListBuckets lists every bucket the account owns: a destination it does not list belongs to another account.
  if (destinationRegion === null) return true;
  if (isUnknown(destinationRegion)) return destinationRegion;
  return destinationRegion !== context.region;
};

/**
 * The summary the threat model ranks exposure by: true when some public grant or statement is not
 * neutralised, false when none is (public but blocked is not public), unknown when it turns on what
 * could not be read.
 */
const effectivelyPublic = (...lists: unknown[]): boolean | Unknown => {
  let undecided: Unknown | undefined;
  for (const list of lists) {
    if (isUnknown(list)) {
      undecided ??= list;
      continue;
    }
    for (const item of list as { blocked: boolean | Unknown }[]) {
      if (item.blocked === false) return true;
      if (isUnknown(item.blocked)) undecided ??= item.blocked;
    }
  }
  return undecided ?? false;
};

const LIFECYCLE_ACTIONS = [
  ['Expiration', 'expiration'],
  ['Transitions', 'transition'],
  ['NoncurrentVersionExpiration', 'noncurrentVersionExpiration'],
  ['NoncurrentVersionTransitions', 'noncurrentVersionTransition'],
  ['AbortIncompleteMultipartUpload', 'abortIncompleteMultipartUpload'],
] as const;

/**
 * Turns the answers of the calls made for one bucket into its attributes. Only attributes whose
 * calls were made appear; "not configured" answers become real values (`null`, `[]`, `{}`), and
 * failed calls unknown markers.
 */
export const bucketAttributes = (answers: BucketAnswers, context: BucketContext): Record<string, unknown> => {
  const attributes: Record<string, unknown> = { region: context.region, creationDate: context.creationDate };
  const bucketBlock = answers.GetPublicAccessBlock ? blockFrom(answers.GetPublicAccessBlock) : undefined;
  if (bucketBlock !== undefined) attributes.publicAccessBlock = bucketBlock;
  if (context.accountBlock !== undefined) attributes.accountPublicAccessBlock = context.accountBlock;
  // Whether a public grant is neutralised cannot be told without both blocks; a block that was not
  // planned is treated as unknown rather than as absent.
  const notRead = unknown('not collected');
  // (null is a real answer, "no block", so the fallback is for undefined only.)
  const bucketSide = bucketBlock === undefined ? notRead : bucketBlock;
  const accountSide = context.accountBlock === undefined ? notRead : context.accountBlock;

  const acl = answers.GetBucketAcl;
  if (acl) {
    attributes.publicAclGrants = derive(acl, (value) =>
      publicAclGrants(
        (value.Grants ?? []).map((grant) => ({
          granteeType: grant.Grantee?.Type ?? '',
          ...(grant.Grantee?.URI ? { uri: grant.Grantee.URI } : {}),
          permission: grant.Permission ?? '',
        })),
        bucketSide,
        accountSide,
      ),
    );
  }

  const policy = answers.GetBucketPolicy;
  if (policy) {
    let analysis: PolicyAnalysis | Unknown | null;
    if (policy.kind === 'unknown') analysis = policy.marker;
    else if (policy.kind === 'not-configured') analysis = null;
    else {
      try {
        analysis = analysePolicy(policy.value.Policy ?? '', context.arn);
      } catch (error) {
        analysis = unknown('UnparseablePolicy', undefined, `the bucket policy could not be read as a JSON policy: ${(error as Error).message}`);
      }
    }
    if (isUnknown(analysis)) {
      attributes.policy = analysis;
      attributes.transport = analysis;
      attributes.publicPolicyStatements = analysis;
    } else {
      attributes.policy = analysis ? { statementCount: analysis.statementCount } : null;
      attributes.transport = analysis?.transport ?? { httpDenied: false, tlsBelow12Denied: false };
      attributes.publicPolicyStatements = publicPolicyStatements(analysis?.publicStatements ?? [], bucketSide, accountSide);
    }
  }

  if (acl && policy) attributes.public = effectivelyPublic(attributes.publicAclGrants, attributes.publicPolicyStatements);

  if (answers.GetBucketEncryption) {
    attributes.defaultEncryption = derive(answers.GetBucketEncryption, (value) => {
      const rule = value.ServerSideEncryptionConfiguration?.Rules?.[0];
      const byDefault = rule?.ApplyServerSideEncryptionByDefault;
      if (!byDefault?.SSEAlgorithm) return null;
      return { algorithm: byDefault.SSEAlgorithm, kmsKeyId: byDefault.KMSMasterKeyID ?? null, bucketKeyEnabled: rule?.BucketKeyEnabled === true };
    });
  }

  if (answers.GetBucketVersioning) {
    attributes.versioning = derive(answers.GetBucketVersioning, (value) => ({ status: value.Status ?? null, mfaDelete: value.MFADelete ?? null }));
  }

  if (answers.GetBucketReplication) {
    attributes.replication = derive(answers.GetBucketReplication, (value) => ({
      role: value.ReplicationConfiguration?.Role ?? null,
      rules: (value.ReplicationConfiguration?.Rules ?? []).map((rule) => {
        const destinationArn = rule.Destination?.Bucket ?? '';
        const destinationBucket = BUCKET_ARN.exec(destinationArn)?.[1] ?? destinationArn;
        const destinationAccount = rule.Destination?.Account ?? null;
        const destinationRegion = context.ownBucketRegions.get(destinationBucket) ?? null;
        return {
          id: rule.ID ?? null,
          status: rule.Status ?? 'Disabled',
          destinationBucket,
          destinationAccount,
          destinationRegion,
          separate: separateFrom(destinationAccount, destinationRegion, context),
        };
      }),
    }));
  }

  if (answers.GetObjectLockConfiguration) {
    attributes.objectLock = derive(answers.GetObjectLockConfiguration, (value) => {
      const retention = value.ObjectLockConfiguration?.Rule?.DefaultRetention;
      return {
        enabled: value.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled',
        defaultRetention: retention?.Mode
          ? { mode: retention.Mode, ...(retention.Days !== undefined ? { days: retention.Days } : {}), ...(retention.Years !== undefined ? { years: retention.Years } : {}) }
          : null,
      };
    });
  }

  if (answers.GetBucketLogging) {
    attributes.logging = derive(answers.GetBucketLogging, (value) =>
      value.LoggingEnabled?.TargetBucket ? { targetBucket: value.LoggingEnabled.TargetBucket, targetPrefix: value.LoggingEnabled.TargetPrefix ?? '' } : null,
    );
  }

  if (answers.GetBucketLifecycleConfiguration) {
    attributes.lifecycle = derive(answers.GetBucketLifecycleConfiguration, (value) => ({
      rules: (value.Rules ?? []).map((rule) => ({
        id: rule.ID ?? null,
        status: rule.Status ?? 'Disabled',
        actions: LIFECYCLE_ACTIONS.filter(([field]) => {
          const present = rule[field];
          return Array.isArray(present) ? present.length > 0 : present !== undefined;
        }).map(([, name]) => name),
      })),
    }));
  }

  if (answers.GetBucketTagging) {
    attributes.tags = derive(answers.GetBucketTagging, (value) => Object.fromEntries((value.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])), {});
  }
  return attributes;
};
