import type { CollectorMeta } from '../types.js';

/** What the CLI needs to know of the collector without loading it (its SDKs load only when it runs). */
export const awsS3Meta = {
  id: 'aws-s3',
  description: 'S3 buckets: encryption at rest, public exposure, TLS-only policies, versioning, replication, Object Lock, access logging, lifecycle',
  needsCredentials: true,
  isolated: true,
  shardsItself: true,
  kinds: ['aws.s3.bucket'],
  // The AWS options (--aws-profile, --aws-regions, --aws-role-arn, --aws-external-id) are declared by aws-iam.
} satisfies CollectorMeta;
