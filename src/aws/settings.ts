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
  /** `aws.organization`: the accounts of the AWS Organization, listed when the scan starts. */
  organization?: AwsOrganizationTarget;
  roleSessionName: string;
  /** Attempts per call, first one included, for the SDK's retry strategy. */
  maxAttempts: number;
};

/** One account of `aws.accounts`. */
export type AwsAccountTarget = { id: string; roleArn: string; externalId?: string };

/** `aws.organization`: the role to assume in every active account of the organization, and the accounts to leave out. */
export type AwsOrganizationTarget = { roleName: string; externalId?: string; exclude: string[] };

/** The AWS options both AWS collectors take; declared once, by aws-iam. */
export const AWS_CLI_OPTIONS: CollectorOption[] = [
  { flags: '--aws-profile <name>', description: 'AWS shared-config profile to use (default: the SDK chain: environment, AWS_PROFILE, SSO, instance role)' },
  { flags: '--aws-regions <list>', description: 'comma-separated AWS regions to check, or "all" for every region enabled in each account (account:ListRegions) (default: aws.regions in posture.yaml, else the SDK region)' },
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

const ROLE_NAME = /^([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;

const organizationOf = (value: unknown, config: Record<string, unknown>): AwsOrganizationTarget | undefined => {
  if (value === undefined) return undefined;
  // posture.yaml is validated against schemas/config/aws.schema.json when it is loaded, and
  // src/config/load.ts refuses these pairs with the file and line; this guards other callers.
  for (const other of ['accounts', 'roleArn', 'externalId']) {
    if (config[other] !== undefined) throw new PostureError('config-invalid', `aws.organization and aws.${other} exclude each other`);
  }
  const section = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const roleName = text(section.roleName);
  if (!roleName || !ROLE_NAME.test(roleName)) throw new PostureError('config-invalid', 'aws.organization.roleName: give the name of the role to assume in each account (such as posture-read-only)');
  const exclude = Array.isArray(section.exclude) ? section.exclude.map(String) : [];
  const bad = exclude.find((id) => !ACCOUNT_ID.test(id));
  if (bad) throw new PostureError('config-invalid', `aws.organization.exclude: "${bad}" is not a 12-digit account id`);
  const externalId = text(section.externalId);
  return { roleName, exclude, ...(externalId ? { externalId } : {}) };
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
  // --aws-role-arn names one account to scan: it replaces the list and the organization.
  const oneRole = text(ctx.options.awsRoleArn) !== undefined;
  const organization = oneRole ? undefined : organizationOf(config.organization, config);
  const accounts = oneRole ? undefined : accountsOf(config.accounts, text(config.roleArn));
  return {
    ...(accounts ? { accounts } : {}),
    ...(organization ? { organization } : {}),
    ...(profile ? { profile } : {}),
    ...(regions ? { regions } : {}),
    ...(roleArn ? { roleArn } : {}),
    ...(externalId ? { externalId } : {}),
    roleSessionName: text(config.roleSessionName) ?? 'posture',
    maxAttempts,
  };
};
