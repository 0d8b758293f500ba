import { isUnknown, unknown, type Unknown } from '../../facts/types.js';
import type { PublicStatement } from './policy.js';

/** The four settings of an S3 public access block, as the bucket and account attributes hold them. */
export type PublicAccessBlock = {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
};

/** A block as collected: the settings, `null` when none is configured, or unknown. */
export type BlockValue = PublicAccessBlock | null | Unknown;

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

export type AclGrant = { granteeType: string; uri?: string; id?: string; permission: string };

/** Whether a public grant or statement is neutralised, and by which setting. */
type Neutralised = { blocked: boolean | Unknown; blockedBy: string | null };

/**
 * Kleene "or" of one setting across the bucket's and the account's block: either being on
 * neutralises; both off (or absent) leaves it public; otherwise it cannot be told.
 */
const neutralisedBy = (setting: 'ignorePublicAcls' | 'restrictPublicBuckets', bucket: BlockValue, account: BlockValue): Neutralised => {
  const label = setting === 'ignorePublicAcls' ? 'IgnorePublicAcls' : 'RestrictPublicBuckets';
  const on = (value: BlockValue): boolean | undefined => (isUnknown(value) ? undefined : value === null ? false : value[setting]);
  const atBucket = on(bucket);
  const atAccount = on(account);
  const by = [atBucket ? `${label} on the bucket` : '', atAccount ? `${label} on the account` : ''].filter(Boolean);
  if (by.length > 0) return { blocked: true, blockedBy: by.join(' and ') };
  if (atBucket === false && atAccount === false) return { blocked: false, blockedBy: null };
  const marker = [bucket, account].find(isUnknown) as Unknown;
  return { blocked: unknown(marker.$unknown.reason, marker.$unknown.permission, `whether ${label} neutralises it could not be read`), blockedBy: null };
};

export type PublicAclGrant = { grantee: 'AllUsers' | 'AuthenticatedUsers'; permission: string } & Neutralised;

/** The ACL grants that give anyone (AllUsers) or any AWS account (AuthenticatedUsers) access. */
export const publicAclGrants = (grants: AclGrant[], bucket: BlockValue, account: BlockValue): PublicAclGrant[] =>
  grants
    .filter((g) => g.granteeType === 'Group' && (g.uri === ALL_USERS || g.uri === AUTHENTICATED_USERS))
    .map((g) => ({
      grantee: g.uri === ALL_USERS ? 'AllUsers' : 'AuthenticatedUsers',
      permission: g.permission,
      ...neutralisedBy('ignorePublicAcls', bucket, account),
    }));

export type PublicPolicyStatement = PublicStatement & Neutralised;

/** Public policy statements, each marked as neutralised by RestrictPublicBuckets or not. */
export const publicPolicyStatements = (statements: PublicStatement[], bucket: BlockValue, account: BlockValue): PublicPolicyStatement[] =>
  statements.map((s) => ({ ...s, ...neutralisedBy('restrictPublicBuckets', bucket, account) }));
