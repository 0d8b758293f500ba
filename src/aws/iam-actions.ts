/** The AWS services posture calls, named by their SigV4 signing name. */
export type AwsService = 'iam' | 'sts' | 'cloudtrail' | 'guardduty' | 's3' | 's3-control' | 'account' | 'organizations';

/**
 * What one API operation needs: the IAM action that authorises it (`null` when AWS authorises
 * every caller, as for sts:GetCallerIdentity) and what posture reads with it.
 */
export type ActionEntry = {
  action: string | null;
  purpose: string;
  /** `caller`: granted to the identity that runs posture, not to the scanning role (sts:AssumeRole). */
  grantedTo?: 'caller';
};

/**
 * Operation (`<service>.<Operation>`, the name calls are recorded under) to IAM action. Coverage
 * gaps name the action, never the operation, because the action is what a user grants.
 * The least-privilege policy in docs/permissions/aws-policy.json is checked against this table.
 */
export const IAM_ACTIONS: Record<string, ActionEntry> = {
  'sts.GetCallerIdentity': { action: null, purpose: 'the account id and the identity posture runs as, asked once per account for both AWS collectors (AWS allows it to every caller)' },
  'sts.AssumeRole': {
    action: 'sts:AssumeRole',
    purpose: 'assuming --aws-role-arn, or the role of each account of aws.accounts or aws.organization: once per account for both AWS collectors, and again only when its credentials near their expiry',
    grantedTo: 'caller',
  },
  // Asked with the credentials posture runs with, in the organization's management account or a
  // delegated administrator account; each account is then read through its own role.
  'organizations.ListAccounts': { action: 'organizations:ListAccounts', purpose: 'the accounts of the AWS Organization to scan' },
  // Asked through each account's role, once per account for both AWS collectors, only for --aws-regions all.
  'account.ListRegions': { action: 'account:ListRegions', purpose: 'the regions enabled in the account, for --aws-regions all: once per account for both AWS collectors' },
  'iam.GenerateCredentialReport': { action: 'iam:GenerateCredentialReport', purpose: 'requesting a fresh credential report' },
  'iam.GetCredentialReport': { action: 'iam:GetCredentialReport', purpose: 'passwords, MFA and access keys of every user and the root user' },
  'iam.GetAccountPasswordPolicy': { action: 'iam:GetAccountPasswordPolicy', purpose: 'the account password policy' },
  'iam.GetAccountSummary': { action: 'iam:GetAccountSummary', purpose: 'root user MFA and root access keys' },
  'iam.GetAccountAuthorizationDetails': { action: 'iam:GetAccountAuthorizationDetails', purpose: 'users, groups, roles and policies: administrator access and role trust' },
  'cloudtrail.DescribeTrails': { action: 'cloudtrail:DescribeTrails', purpose: 'the trails that log each region' },
  'cloudtrail.GetTrailStatus': { action: 'cloudtrail:GetTrailStatus', purpose: 'whether a trail is logging' },
  'cloudtrail.GetEventSelectors': { action: 'cloudtrail:GetEventSelectors', purpose: 'whether a trail logs read and write management events' },
  'guardduty.ListDetectors': { action: 'guardduty:ListDetectors', purpose: 'the GuardDuty detector of each region' },
  'guardduty.GetDetector': { action: 'guardduty:GetDetector', purpose: 'whether a GuardDuty detector is enabled' },
  // aws-s3: S3 names most of its actions differently from its operations.
  's3.ListBuckets': { action: 's3:ListAllMyBuckets', purpose: 'the buckets of the account, with their regions' },
  's3.GetBucketLocation': { action: 's3:GetBucketLocation', purpose: "a bucket's region, where ListBuckets does not give it" },
  's3.GetPublicAccessBlock': { action: 's3:GetBucketPublicAccessBlock', purpose: "the bucket's Block Public Access settings" },
  's3-control.GetPublicAccessBlock': { action: 's3:GetAccountPublicAccessBlock', purpose: "the account's Block Public Access settings" },
  's3.GetBucketAcl': { action: 's3:GetBucketAcl', purpose: 'ACL grants to everyone or to any AWS account' },
  's3.GetBucketPolicy': { action: 's3:GetBucketPolicy', purpose: 'public statements and the TLS-only Deny of the bucket policy' },
  's3.GetBucketEncryption': { action: 's3:GetEncryptionConfiguration', purpose: 'default encryption (SSE-S3, SSE-KMS, DSSE-KMS)' },
  's3.GetBucketVersioning': { action: 's3:GetBucketVersioning', purpose: 'versioning and MFA delete' },
  's3.GetBucketReplication': { action: 's3:GetReplicationConfiguration', purpose: 'replication rules and their destinations' },
  's3.GetObjectLockConfiguration': { action: 's3:GetBucketObjectLockConfiguration', purpose: 'Object Lock and its default retention' },
  's3.GetBucketLogging': { action: 's3:GetBucketLogging', purpose: 'server access logging' },
  's3.GetBucketLifecycleConfiguration': { action: 's3:GetLifecycleConfiguration', purpose: 'lifecycle (retention) rules' },
  's3.GetBucketTagging': { action: 's3:GetBucketTagging', purpose: "bucket tags, for the threat model's asset selectors" },
};

/** The name an API call is recorded under: `<service>.<Operation>`. */
export const apiName = (service: string, operation: string): string => `${service}.${operation}`;

/**
 * The IAM action an operation needs. Operations missing from the table fall back to
 * `<service>:<Operation>`, which is right for most services; the permissions test catches the rest.
 */
export const iamAction = (service: string, operation: string): string | undefined => {
  const entry = IAM_ACTIONS[apiName(service, operation)];
  if (entry) return entry.action ?? undefined;
  return `${service}:${operation}`;
};
