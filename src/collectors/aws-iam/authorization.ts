import {
  GetAccountAuthorizationDetailsCommand,
  type GroupDetail,
  type IAMClient,
  type ManagedPolicyDetail,
  type RoleDetail,
  type UserDetail,
} from '@aws-sdk/client-iam';
import type { AwsFailure } from '../../aws/errors.js';
import type { AwsSession } from '../../aws/session.js';
import { evaluateAdmin, parsePolicyDocument, WELL_KNOWN_POLICIES, type AdminVerdict, type LabelledPolicy, type PolicyDocument } from './policy.js';
import { trustedPrincipals, type TrustedPrincipal } from './trust.js';

export type AuthorizationDetails = { users: UserDetail[]; groups: GroupDetail[]; roles: RoleDetail[]; policies: ManagedPolicyDetail[] };

/** Every page of GetAccountAuthorizationDetails: users, groups, roles and managed policies. */
export const fetchAuthorizationDetails = async (session: AwsSession, iam: IAMClient): Promise<{ ok: true; details: AuthorizationDetails } | { ok: false; failure: AwsFailure }> => {
  const details: AuthorizationDetails = { users: [], groups: [], roles: [], policies: [] };
  let marker: string | undefined;
  do {
    const from = marker;
    const page = await session.call('iam', 'GetAccountAuthorizationDetails', () =>
      iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1000, ...(from ? { Marker: from } : {}) })),
    );
    if (!page.ok) return { ok: false, failure: page.failure };
    details.users.push(...(page.value.UserDetailList ?? []));
    details.groups.push(...(page.value.GroupDetailList ?? []));
    details.roles.push(...(page.value.RoleDetailList ?? []));
    details.policies.push(...(page.value.Policies ?? []));
    marker = page.value.IsTruncated ? page.value.Marker : undefined;
  } while (marker);
  return { ok: true, details };
};

/** Resolves managed policies to their default version's document. */
export const policyResolver = (policies: ManagedPolicyDetail[]) => {
  const byArn = new Map(policies.map((p) => [p.Arn, p]));
  return (arn: string | undefined): PolicyDocument | undefined => {
    if (!arn) return undefined;
    const policy = byArn.get(arn);
    const version = policy?.PolicyVersionList?.find((v) => v.IsDefaultVersion === true) ?? policy?.PolicyVersionList?.find((v) => v.VersionId === policy.DefaultVersionId);
    return parsePolicyDocument(version?.Document) ?? WELL_KNOWN_POLICIES[arn];
  };
};

export type PrincipalPolicies = { policies: LabelledPolicy[]; boundary?: LabelledPolicy };

/** A user's policies: inline and attached, its own and its groups'; and its permissions boundary. */
export const userPolicies = (user: UserDetail, groups: Map<string, GroupDetail>, resolve: ReturnType<typeof policyResolver>): PrincipalPolicies => {
  const policies: LabelledPolicy[] = [
    ...(user.UserPolicyList ?? []).map((p) => ({ label: `inline policy ${p.PolicyName}`, document: parsePolicyDocument(p.PolicyDocument) })),
    ...(user.AttachedManagedPolicies ?? []).map((p) => ({ label: `${p.PolicyName} attached to the user`, document: resolve(p.PolicyArn) })),
  ];
  for (const name of user.GroupList ?? []) {
    const group = groups.get(name);
    if (!group) {
      policies.push({ label: `group ${name}`, document: undefined });
      continue;
    }
    policies.push(
      ...(group.GroupPolicyList ?? []).map((p) => ({ label: `group ${name}: inline policy ${p.PolicyName}`, document: parsePolicyDocument(p.PolicyDocument) })),
      ...(group.AttachedManagedPolicies ?? []).map((p) => ({ label: `group ${name}: ${p.PolicyName}`, document: resolve(p.PolicyArn) })),
    );
  }
  const boundaryArn = user.PermissionsBoundary?.PermissionsBoundaryArn;
  return { policies, ...(boundaryArn ? { boundary: { label: `permissions boundary ${boundaryArn.split('/').pop()}`, document: resolve(boundaryArn) } } : {}) };
};

export const rolePolicies = (role: RoleDetail, resolve: ReturnType<typeof policyResolver>): PrincipalPolicies => {
  const policies: LabelledPolicy[] = [
    ...(role.RolePolicyList ?? []).map((p) => ({ label: `inline policy ${p.PolicyName}`, document: parsePolicyDocument(p.PolicyDocument) })),
    ...(role.AttachedManagedPolicies ?? []).map((p) => ({ label: `${p.PolicyName} attached to the role`, document: resolve(p.PolicyArn) })),
  ];
  const boundaryArn = role.PermissionsBoundary?.PermissionsBoundaryArn;
  return { policies, ...(boundaryArn ? { boundary: { label: `permissions boundary ${boundaryArn.split('/').pop()}`, document: resolve(boundaryArn) } } : {}) };
};

export const adminOf = (account: string, principal: PrincipalPolicies): AdminVerdict => evaluateAdmin(account, principal.policies, principal.boundary);

export const roleTrust = (role: RoleDetail, account: string): TrustedPrincipal[] | undefined => {
  const doc = parsePolicyDocument(role.AssumeRolePolicyDocument);
  return doc ? trustedPrincipals(doc, account) : undefined;
};
