import { AWS_CLI_OPTIONS } from '../../aws/settings.js';
import type { CollectorMeta } from '../types.js';

/** What the CLI needs to know of the collector without loading it (its SDKs load only when it runs). */
export const awsIamMeta = {
  id: 'aws-iam',
  description: 'AWS account: IAM users and their credentials, the root user, the password policy, administrators, role trust, CloudTrail and GuardDuty',
  needsCredentials: true,
  isolated: true,
  shardsItself: true,
  // The accounts of aws.organization, listed once for both AWS collectors.
  shares: ['aws-accounts'],
  kinds: ['aws.account', 'aws.iam.user', 'aws.iam.role', 'aws.region'],
  cliOptions: AWS_CLI_OPTIONS,
} satisfies CollectorMeta;
