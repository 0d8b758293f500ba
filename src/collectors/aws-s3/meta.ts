import type { CollectorMeta } from '../types.js';

/** What the CLI needs to know of the collector without loading it (its SDKs load only when it runs). */
export const awsS3Meta = {
  id: 'aws-s3',
  description: 'S3 buckets: encryption at rest, public exposure, TLS-only policies, versioning, replication, Object Lock, access logging, lifecycle',
  needsCredentials: true,
  isolated: true,
  shardsItself: true,
  // The accounts of aws.organization, listed once for both AWS collectors.
  shares: ['aws-accounts'],
  kinds: ['aws.s3.bucket'],
  // The AWS options (--aws-profile, --aws-regions, --aws-role-arn, --aws-external-id) are declared by aws-iam.
} satisfies CollectorMeta;
