import { PostureError } from '../cli/errors.js';
import type { CollectContext, CollectorOption } from '../collectors/types.js';

/** How posture reaches an AWS account: profile, regions, role to assume, retry budget. */
export type AwsSettings = {
  profile?: string;
  /** Regions as asked for; `all` asks for every enabled region; undefined means the SDK's configured region. */
  regions?: string[] | 'all';
  roleArn?: string;
  externalId?: string;
  /** `aws.accounts`: the accounts to scan one after another, each through its own role. */
  accounts?: AwsAccountTarget[];
  roleSessionName: string;
  /** Attempts per call, first one included, for the SDK's retry strategy. */
  maxAttempts: number;
};

/** One account of `aws.accounts`. */
export type AwsAccountTarget = { id: string; roleArn: string; externalId?: string };

/** The AWS options both AWS collectors take; declared once, by aws-iam. */
export const AWS_CLI_OPTIONS: CollectorOption[] = [
  { flags: '--aws-profile <name>', description: 'AWS shared-config profile to use (default: the SDK chain: environment, AWS_PROFILE, SSO, instance role)' },
  { flags: '--aws-regions <list>', description: 'comma-separated AWS regions to check, or "all" (default: aws.regions in posture.yaml, else the SDK region)' },
  { flags: '--aws-role-arn <arn>', description: 'IAM role to assume for the scan (STS AssumeRole)' },
  { flags: '--aws-external-id <id>', description: 'external id to pass when assuming --aws-role-arn' },
];

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const DEFAULT_MAX_ATTEMPTS = 5;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

const parseRegions = (value: unknown, source: string): string[] | 'all' | undefined => {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!list) return undefined;
  const regions = [...new Set(list.map((r) => String(r).trim()).filter((r) => r !== ''))];
  if (regions.length === 0) return undefined;
  if (regions.includes('all')) {
    if (regions.length > 1) throw new PostureError('usage', `${source}: "all" cannot be combined with other regions`);
    return 'all';
  }
  const bad = regions.find((r) => !REGION.test(r));
  if (bad) throw new PostureError('usage', `${source}: "${bad}" is not an AWS region name (such as eu-west-1)`);
  return regions;
};

const accountsOf = (value: unknown, roleArn: string | undefined): AwsAccountTarget[] | undefined => {
  if (!Array.isArray(value)) return undefined;
  if (roleArn) throw new PostureError('config-invalid', 'aws.accounts and aws.roleArn exclude each other: put the role in aws.accounts');
  return (value as AwsAccountTarget[]).map((account) => {
    if (/^arn:[^:]+:iam::(\d{12}):/.exec(account.roleArn)?.[1] !== account.id) {
      throw new PostureError('config-invalid', `aws.accounts: the role ${account.roleArn} is not in account ${account.id}`);
    }
    return { id: account.id, roleArn: account.roleArn, ...(account.externalId ? { externalId: account.externalId } : {}) };
  });
};

/**
 * Reads the AWS settings: command-line options first, then the `aws:` section of posture.yaml.
 * Credentials themselves never come from here: the SDK's provider chain finds them.
 */
export const awsSettings = (ctx: Pick<CollectContext, 'options' | 'config'>): AwsSettings => {
  const config = ctx.config.aws ?? {};
  const roleArn = text(ctx.options.awsRoleArn) ?? text(config.roleArn);
  if (roleArn && !ROLE_ARN.test(roleArn)) throw new PostureError('usage', `--aws-role-arn: "${roleArn}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
  const externalId = text(ctx.options.awsExternalId) ?? text(config.externalId);
  if (externalId && !roleArn) throw new PostureError('usage', '--aws-external-id needs --aws-role-arn');
  const regions = parseRegions(ctx.options.awsRegions, '--aws-regions') ?? parseRegions(config.regions, 'aws.regions');
  const maxAttempts = typeof config.maxAttempts === 'number' ? config.maxAttempts : DEFAULT_MAX_ATTEMPTS;
  const profile = text(ctx.options.awsProfile) ?? text(config.profile);
  // --aws-role-arn names one account to scan: it replaces the list.
  const accounts = text(ctx.options.awsRoleArn) ? undefined : accountsOf(config.accounts, text(config.roleArn));
  return {
    ...(accounts ? { accounts } : {}),
    ...(profile ? { profile } : {}),
    ...(regions ? { regions } : {}),
    ...(roleArn ? { roleArn } : {}),
    ...(externalId ? { externalId } : {}),
    roleSessionName: text(config.roleSessionName) ?? 'posture',
    maxAttempts,
  };
};
