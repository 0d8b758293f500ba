import { GetAccountPasswordPolicyCommand, GetAccountSummaryCommand, type IAMClient, type PasswordPolicy, type SummaryKeyType } from '@aws-sdk/client-iam';
import { unknownFrom, type AwsFailure } from '../../aws/errors.js';
import type { AwsSession } from '../../aws/session.js';
import type { Unknown } from '../../facts/types.js';

/** The password policy as posture records it; `null` stands for "the account has none". */
export type PasswordPolicyFacts = {
  minimumPasswordLength: number;
  requireUppercaseCharacters: boolean;
  requireLowercaseCharacters: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
  /** The character classes the policy requires, as keys (only those it requires), for rules to match with `required`. */
  characterClasses: Partial<Record<'uppercase' | 'lowercase' | 'numbers' | 'symbols', true>>;
  /** `null`: the policy does not prevent reuse. */
  passwordReusePrevention: number | null;
  /** `null`: passwords do not expire. */
  maxPasswordAge: number | null;
  allowUsersToChangePassword: boolean;
  hardExpiry: boolean;
};

export const passwordPolicyFacts = (policy: PasswordPolicy): PasswordPolicyFacts => {
  const classes: PasswordPolicyFacts['characterClasses'] = {};
  if (policy.RequireUppercaseCharacters) classes.uppercase = true;
  if (policy.RequireLowercaseCharacters) classes.lowercase = true;
  if (policy.RequireNumbers) classes.numbers = true;
  if (policy.RequireSymbols) classes.symbols = true;
  return {
    // IAM's default minimum when a policy leaves it out is 6 characters.
    minimumPasswordLength: policy.MinimumPasswordLength ?? 6,
    requireUppercaseCharacters: policy.RequireUppercaseCharacters === true,
    requireLowercaseCharacters: policy.RequireLowercaseCharacters === true,
    requireNumbers: policy.RequireNumbers === true,
    requireSymbols: policy.RequireSymbols === true,
    characterClasses: classes,
    passwordReusePrevention: policy.PasswordReusePrevention ?? null,
    maxPasswordAge: policy.ExpirePasswords && policy.MaxPasswordAge ? policy.MaxPasswordAge : null,
    allowUsersToChangePassword: policy.AllowUsersToChangePassword === true,
    hardExpiry: policy.HardExpiry === true,
  };
};

/** The account's password policy; IAM's NoSuchEntity means there is none, a real value. */
export const readPasswordPolicy = async (session: AwsSession, iam: IAMClient): Promise<{ value: PasswordPolicyFacts | null | Unknown; failure?: AwsFailure }> => {
  const got = await session.call('iam', 'GetAccountPasswordPolicy', () => iam.send(new GetAccountPasswordPolicyCommand({})));
  if (got.ok) return { value: got.value.PasswordPolicy ? passwordPolicyFacts(got.value.PasswordPolicy) : null };
  if (got.failure.code === 'NoSuchEntity' || got.failure.code === 'NoSuchEntityException') return { value: null };
  return { value: unknownFrom(got.failure), failure: got.failure };
};

export type SummaryFacts = { rootMfaEnabled: boolean | Unknown; rootAccessKeysPresent: boolean | Unknown };

/** Root MFA and root access keys from the account summary. */
export const readAccountSummary = async (session: AwsSession, iam: IAMClient): Promise<{ value: SummaryFacts; failure?: AwsFailure }> => {
  const got = await session.call('iam', 'GetAccountSummary', () => iam.send(new GetAccountSummaryCommand({})));
  if (!got.ok) {
    const marker = unknownFrom(got.failure);
    return { value: { rootMfaEnabled: marker, rootAccessKeysPresent: marker }, failure: got.failure };
  }
  const map = got.value.SummaryMap ?? {};
  const flag = (key: SummaryKeyType): boolean | Unknown =>
    typeof map[key] === 'number' ? map[key] > 0 : { $unknown: { reason: 'NotReported', message: `GetAccountSummary did not report ${key}` } };
  return { value: { rootMfaEnabled: flag('AccountMFAEnabled'), rootAccessKeysPresent: flag('AccountAccessKeysPresent') } };
};
