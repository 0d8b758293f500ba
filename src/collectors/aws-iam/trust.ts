import { asList, statementsOf, type PolicyDocument, type PolicyStatement } from './policy.js';

/** One principal a role's trust policy lets assume it, with the conditions that restrict it. */
export type TrustedPrincipal = {
  principal: string;
  /** any: every AWS principal; aws: an account or one of its identities; unique-id: a deleted identity. */
  type: 'any' | 'aws' | 'service' | 'saml' | 'web-identity' | 'canonical-user' | 'unique-id';
  account: string | null;
  /** `in-scope` for the role's own account (the one being scanned), else `external`, or `none` when no account applies. */
  accountScope: 'in-scope' | 'external' | 'none';
  /** A positive condition on sts:ExternalId. */
  externalId: boolean;
  /** A positive condition on aws:PrincipalOrgID, aws:PrincipalOrgPaths or aws:PrincipalAccount. */
  orgCondition: boolean;
  /** For web identities: a condition on the token's subject that pins who may assume the role. */
  subCondition: boolean;
  conditional: boolean;
  actions: string[];
};

const ORG_KEYS = new Set(['aws:principalorgid', 'aws:principalorgpaths', 'aws:principalaccount']);
const GITHUB_OIDC = 'token.actions.githubusercontent.com';

/** Operators that restrict by requiring a match; negated and IfExists forms let a missing key through. */
const restricting = (operator: string): boolean => !/not|ifexists|^null$/i.test(operator) && /^(forallvalues:|foranyvalue:)?(string|arn)/i.test(operator);

const conditionValues = (statement: PolicyStatement, key: (name: string) => boolean): string[] | undefined => {
  let found: string[] | undefined;
  for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
    if (!restricting(operator) || block === null || typeof block !== 'object') continue;
    for (const [name, value] of Object.entries(block)) {
      if (key(name.toLowerCase())) found = [...(found ?? []), ...asList(value)];
    }
  }
  return found;
};

/**
 * Whether the subject condition pins who may assume a web-identity role. A bare `*` pins
 * nothing; for GitHub Actions the subject must name a repository owner (`repo:acme/...`), since
 * `repo:*` admits every repository on GitHub.
 */
const subjectPinned = (statement: PolicyStatement, provider: string): boolean => {
  const host = provider.toLowerCase();
  const values = conditionValues(statement, (name) => name === `${host}:sub` || (host === 'cognito-identity.amazonaws.com' && name === `${host}:aud`));
  if (!values || values.length === 0) return false;
  return values.every((v) => {
    if (/^[*?]*$/.test(v)) return false;
    if (host === GITHUB_OIDC) return /^repo:[^*?/]+\//i.test(v);
    return true;
  });
};

const accountOf = (principal: string): string | null => {
  if (/^\d{12}$/.test(principal)) return principal;
  return /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1] ?? null;
};

/** The web-identity provider a Federated principal names (its host), or undefined for SAML. */
const providerOf = (federated: string): string | undefined => {
  if (/:saml-provider\//.test(federated)) return undefined;
  const oidc = /:oidc-provider\/(.+)$/.exec(federated);
  return oidc?.[1] ?? federated;
};

/**
 * Lists who may assume a role: one entry per principal of each Allow statement of its trust
 * policy. Deny statements are not credited (a trust that relies on one is reported as written).
 */
export const trustedPrincipals = (doc: PolicyDocument, roleAccount: string): TrustedPrincipal[] => {
  const out: TrustedPrincipal[] = [];
  for (const statement of statementsOf(doc)) {
    if (String(statement.Effect ?? '').toLowerCase() !== 'allow') continue;
    const actions = asList(statement.Action ?? statement.NotAction);
    const conditional = statement.Condition !== undefined && Object.keys(statement.Condition).length > 0;
    const externalId = conditionValues(statement, (name) => name === 'sts:externalid') !== undefined;
    const orgCondition = conditionValues(statement, (name) => ORG_KEYS.has(name)) !== undefined;
    const common = { externalId, orgCondition, conditional, actions };
    const push = (entry: Omit<TrustedPrincipal, keyof typeof common>): void => {
      out.push({ ...entry, ...common });
    };
    if (statement.NotPrincipal !== undefined || statement.Principal === '*') {
      push({ principal: '*', type: 'any', account: null, accountScope: 'none', subCondition: false });
      continue;
    }
    const principal = (statement.Principal ?? {}) as Record<string, unknown>;
    for (const [kind, values] of Object.entries(principal)) {
      for (const value of asList(values)) {
        if (kind === 'AWS') {
          if (value === '*') {
            push({ principal: value, type: 'any', account: null, accountScope: 'none', subCondition: false });
            continue;
          }
          const account = accountOf(value);
          if (account === null) {
            // A unique id (AIDA..., AROA...) stands where IAM replaced a deleted identity: nobody can use it.
            push({ principal: value, type: 'unique-id', account: null, accountScope: 'none', subCondition: false });
            continue;
          }
          push({ principal: value, type: 'aws', account, accountScope: account === roleAccount ? 'in-scope' : 'external', subCondition: false });
        } else if (kind === 'Service') {
          push({ principal: value, type: 'service', account: null, accountScope: 'none', subCondition: false });
        } else if (kind === 'Federated') {
          const provider = providerOf(value);
          const account = accountOf(value);
          const accountScope = account === null ? 'none' : account === roleAccount ? 'in-scope' : 'external';
          if (provider === undefined) push({ principal: value, type: 'saml', account, accountScope, subCondition: false });
          else push({ principal: value, type: 'web-identity', account, accountScope, subCondition: subjectPinned(statement, provider) });
        } else {
          push({ principal: value, type: 'canonical-user', account: null, accountScope: 'none', subCondition: false });
        }
      }
    }
  }
  return out;
};
