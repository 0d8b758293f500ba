/** The AWS services posture calls, named by their SigV4 signing name. */
export type AwsService = 'iam' | 'sts' | 'cloudtrail' | 'guardduty' | 's3' | 's3-control' | 'account';

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
  'sts.GetCallerIdentity': { action: null, purpose: 'the account id and the identity posture runs as (AWS allows it to every caller)' },
  'sts.AssumeRole': { action: 'sts:AssumeRole', purpose: 'assuming --aws-role-arn', grantedTo: 'caller' },
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
