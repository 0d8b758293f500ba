/** An IAM policy document as AWS stores it; single values may stand for one-element lists. */
export type PolicyStatement = {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

export type PolicyDocument = { Version?: string; Statement?: PolicyStatement | PolicyStatement[] };

/**
 * Parses a policy document. IAM returns documents URL-encoded (RFC 3986); AWS's own examples
 * show them decoded, so both are accepted.
 */
export const parsePolicyDocument = (raw: string | undefined): PolicyDocument | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const attempts = [() => decodeURIComponent(raw), () => raw];
  for (const text of attempts) {
    try {
      const parsed: unknown = JSON.parse(text());
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as PolicyDocument;
    } catch {
      // not this encoding; try the next one
    }
  }
  return undefined;
};

export const statementsOf = (doc: PolicyDocument): PolicyStatement[] =>
  doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];

export const asList = (value: unknown): string[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);

const patternCache = new Map<string, RegExp>();

/**
 * IAM wildcard matching: `*` any run of characters, `?` one. Actions compare case-insensitively;
 * policy variables such as `${aws:username}` can take any value, so they match like `*`.
 */
export const wildcardMatch = (pattern: string, value: string, ignoreCase: boolean): boolean => {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = patternCache.get(key);
  if (!regex) {
    const source = pattern
      .replace(/\$\{[^}]*\}/g, '\u0000')
      .split('')
      .map((c) => (c === '*' || c === '\u0000' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    patternCache.set(key, regex);
  }
  return regex.test(value);
};

const actionAllowedBy = (statement: PolicyStatement, action: string): boolean => {
  if (statement.NotAction !== undefined) return !asList(statement.NotAction).some((p) => wildcardMatch(p, action, true));
  return asList(statement.Action).some((p) => wildcardMatch(p, action, true));
};

const resourceCoveredBy = (statement: PolicyStatement, resource: string): boolean => {
  if (statement.NotResource !== undefined) return !asList(statement.NotResource).some((p) => wildcardMatch(p, resource, false));
  return asList(statement.Resource).some((p) => wildcardMatch(p, resource, false));
};

const isConditional = (statement: PolicyStatement): boolean => statement.Condition !== undefined && Object.keys(statement.Condition).length > 0;

/**
 * The IAM actions that let an identity make itself an administrator (attach or write a policy to
 * itself, its group or a role, join a group, rewrite a policy), each with the resource it acts
 * on. Being allowed any of them on every such resource is administrator access: `iam:*` on `*`
 * is as good as `*` on `*`.
 */
const ESCALATION: { action: string; resource: 'user' | 'group' | 'policy' | 'role' }[] = [
  { action: 'iam:AttachUserPolicy', resource: 'user' },
  { action: 'iam:PutUserPolicy', resource: 'user' },
  { action: 'iam:AttachGroupPolicy', resource: 'group' },
  { action: 'iam:PutGroupPolicy', resource: 'group' },
  { action: 'iam:AddUserToGroup', resource: 'group' },
  { action: 'iam:CreatePolicyVersion', resource: 'policy' },
  { action: 'iam:AttachRolePolicy', resource: 'role' },
  { action: 'iam:PutRolePolicy', resource: 'role' },
];

/** Synthetic actions of no real service: only a pattern that matches every action matches all of them. */
const EVERY_ACTION_PROBES = ['a:A', 'zz-posture-probe:ZzProbe', '0posture:0Probe'];

/** A policy that applies to a principal, and where it comes from (for evidence). */
export type LabelledPolicy = { label: string; document: PolicyDocument | undefined };

export type AdminVerdict = {
  /** `full`: an unconditional grant; `conditional`: only grants under conditions; `unknown`: a document needed to decide could not be read. */
  access: 'none' | 'full' | 'conditional' | 'unknown';
  via: string[];
  unreadable: string[];
};

/** AWS managed policies whose default version is known and never changes meaning. */
export const WELL_KNOWN_POLICIES: Record<string, PolicyDocument> = {
  'arn:aws:iam::aws:policy/AdministratorAccess': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  'arn:aws:iam::aws:policy/IAMFullAccess': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:*', 'organizations:DescribeAccount', 'organizations:DescribeOrganization', 'organizations:DescribeOrganizationalUnit', 'organizations:DescribePolicy', 'organizations:ListChildren', 'organizations:ListParents', 'organizations:ListPoliciesForTarget', 'organizations:ListRoots', 'organizations:ListPolicies', 'organizations:ListTargetsForPolicy'], Resource: '*' }] },
};

type Grant = 'none' | 'conditional' | 'full';

/** How a policy grants administrator access, in words, from its first statement that does. */
const describeGrant = (policies: LabelledPolicy[], account: string): string => {
  for (const policy of policies) {
    for (const statement of policy.document ? statementsOf(policy.document) : []) {
      if (String(statement.Effect ?? '').toLowerCase() !== 'allow') continue;
      const escalates = ESCALATION.some(({ action, resource }) => actionAllowedBy(statement, action) && resourceCoveredBy(statement, `arn:aws:iam::${account}:${resource}/posture-probe`));
      if (!escalates) continue;
      if (statement.NotAction !== undefined) return `allows every action except ${asList(statement.NotAction).join(', ')}`;
      if (EVERY_ACTION_PROBES.every((probe) => actionAllowedBy(statement, probe))) return 'allows every action';
      return `allows ${asList(statement.Action).join(', ')} (IAM privilege escalation)`;
    }
  }
  return 'allows IAM privilege escalation';
};

const better = (a: Grant, b: Grant): Grant => (a === 'full' || b === 'full' ? 'full' : a === 'conditional' || b === 'conditional' ? 'conditional' : 'none');

/** What a set of policies grants for one action on one resource, and which policies grant it. */
const grantOf = (policies: LabelledPolicy[], action: string, resource: string): { grant: Grant; via: Map<string, Grant> } => {
  let grant: Grant = 'none';
  const via = new Map<string, Grant>();
  let denied = false;
  for (const policy of policies) {
    for (const statement of policy.document ? statementsOf(policy.document) : []) {
      if (!actionAllowedBy(statement, action) || !resourceCoveredBy(statement, resource)) continue;
      const effect = String(statement.Effect ?? '').toLowerCase();
      if (effect === 'deny' && !isConditional(statement)) denied = true;
      if (effect === 'allow') {
        const g: Grant = isConditional(statement) ? 'conditional' : 'full';
        grant = better(grant, g);
        via.set(policy.label, better(via.get(policy.label) ?? 'none', g));
      }
    }
  }
  return denied ? { grant: 'none', via: new Map() } : { grant, via };
};

/**
 * Decides whether a principal is an administrator from its identity policies (default
 * versions only) and its permissions boundary. An explicit unconditional Deny, or a boundary
 * that does not allow the same, takes the access away; an Allow under conditions only gives
 * conditional access.
 */
export const evaluateAdmin = (account: string, policies: LabelledPolicy[], boundary?: LabelledPolicy): AdminVerdict => {
  const unreadable = [...policies, ...(boundary ? [boundary] : [])].filter((p) => p.document === undefined).map((p) => p.label);
  let access: Grant = 'none';
  const via = new Map<string, { grant: Grant; how: string }>();
  for (const { action, resource: type } of ESCALATION) {
    const resource = `arn:aws:iam::${account}:${type}/posture-probe`;
    const granted = grantOf(policies, action, resource);
    if (granted.grant === 'none') continue;
    let grant: Grant = granted.grant;
    if (boundary) {
      const bounded = grantOf([boundary], action, resource);
      grant = bounded.grant === 'none' ? 'none' : bounded.grant === 'conditional' ? 'conditional' : grant;
    }
    if (grant === 'none') continue;
    access = better(access, grant);
    for (const [label, g] of granted.via) {
      const previous = via.get(label);
      via.set(label, { grant: better(previous?.grant ?? 'none', boundary && grant === 'conditional' ? 'conditional' : g), how: previous?.how ?? describeGrant(policies.filter((p) => p.label === label), account) });
    }
  }
  const describe = [...via.entries()].map(([label, v]) => `${label}: ${v.how}${v.grant === 'conditional' ? ' under conditions' : ''}`);
  if (access === 'none' && unreadable.length > 0) return { access: 'unknown', via: [], unreadable };
  return { access, via: describe, unreadable };
};
