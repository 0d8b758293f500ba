import type { components } from '@octokit/openapi-types';
import { isUnknown, unknown, type Resource, type Unknown } from '../../facts/types.js';
import type { GithubClient } from '../../github/client.js';
import { classicFromGraphql, classicFromRest, rulesetInfoFrom, rulesetProtection } from './protection.js';
import {
  DEPLOY_KEYS_QUERY,
  OUTSIDE_COLLABORATORS_QUERY,
  REPOSITORY_PAGE_QUERY,
  type CollaboratorEdge,
  type DeployKeyNode,
  type DeployKeysResult,
  type OutsideCollaboratorsResult,
  type RepositoryAdminNode,
  type RepositoryBaseNode,
  type RepositoryPageResult,
} from './queries.js';
import { missing, type Caller, type GapBook, type GraphqlFieldError } from './session.js';
import type { ClassicProtection, DefaultBranchProtection, RepositoryAttributes, RepositoryRole, RulesetProtection } from './types.js';

type Schemas = components['schemas'];
type SecurityAndAnalysis = NonNullable<Schemas['security-and-analysis']>;

/** A repository to scan, as the REST listing or GET /repos/{owner}/{repo} described it. */
export type RepositoryTarget = {
  owner: string;
  name: string;
  fullName: string;
  nodeId: string;
  htmlUrl: string;
  visibility: 'public' | 'private' | 'internal';
  archived: boolean;
  fork: boolean;
  defaultBranch: string | undefined;
  /** `permissions.admin` of the REST answer; undefined when GitHub did not say. */
  admin: boolean | undefined;
  /** undefined: not in the answer (GitHub shows it to admins only, and not in every listing). */
  securityAndAnalysis: SecurityAndAnalysis | null | undefined;
  customProperties: Record<string, string>;
};

export const targetFrom = (repo: Schemas['minimal-repository'] | Schemas['full-repository']): RepositoryTarget => {
  const visibility = repo.visibility === 'public' || repo.visibility === 'internal' || repo.visibility === 'private' ? repo.visibility : repo.private ? 'private' : 'public';
  return {
    owner: repo.owner.login,
    name: repo.name,
    fullName: repo.full_name,
    nodeId: repo.node_id,
    htmlUrl: repo.html_url,
    visibility,
    archived: repo.archived ?? false,
    fork: repo.fork,
    defaultBranch: repo.default_branch,
    admin: repo.permissions?.admin,
    securityAndAnalysis: repo.security_and_analysis,
    customProperties: Object.fromEntries(
      Object.entries(repo.custom_properties ?? {}).flatMap(([key, value]) =>
        typeof value === 'string' ? [[key, value]] : Array.isArray(value) ? [[key, value.map(String).join(',')]] : [],
      ),
    ),
  };
};

/** Everything a repository scan needs from the collector run. */
export type RepositoryScan = {
  client: GithubClient;
  caller: Caller;
  gaps: GapBook;
  /** Attributes the enabled rules read; REST calls nothing needs are skipped. */
  needs: ReadonlySet<string>;
  /** Runs per-repository work with the bulkhead's concurrency. */
  limit: <T>(work: () => Promise<T>) => Promise<T>;
  resourceId: (target: RepositoryTarget) => string;
};

/** What GraphQL returned for one repository: the node, or why not, and per-field failures. */
type View<T> = { node?: T; failure?: string; fields: Map<string, string> };

const describeError = (error: GraphqlFieldError): string => `GraphQL ${error.type ?? 'error'}: ${error.message}`;

const viewsOf = <T extends object>(
  list: (T | Record<string, never> | null)[] | undefined,
  alias: string,
  errors: GraphqlFieldError[],
  count: number,
  failure: string | undefined,
): View<T>[] =>
  Array.from({ length: count }, (_, index) => {
    const mine = errors.filter((e) => e.path[0] === alias && e.path[1] === index);
    const fields = new Map<string, string>();
    for (const error of mine) {
      const field = [...error.path].reverse().find((segment): segment is string => typeof segment === 'string');
      if (field && field !== alias) fields.set(field, describeError(error));
    }
    const node = list?.[index];
    if (node && Object.keys(node).length > 0) return { node: node as T, fields };
    const reason = failure ?? (mine[0] ? describeError(mine[0]) : list ? 'GitHub returned no repository for this id' : 'GraphQL returned no data');
    return { failure: reason, fields };
  });

const ROLE: Record<CollaboratorEdge['permission'], RepositoryRole> = { ADMIN: 'admin', MAINTAIN: 'maintain', WRITE: 'write', TRIAGE: 'triage', READ: 'read' };

const SECURITY_AND_ANALYSIS = {
  advancedSecurity: 'advanced_security',
  secretScanning: 'secret_scanning',
  secretScanningPushProtection: 'secret_scanning_push_protection',
  dependabotSecurityUpdates: 'dependabot_security_updates',
} as const satisfies Record<string, keyof SecurityAndAnalysis>;

type AnalysisAttribute = keyof typeof SECURITY_AND_ANALYSIS;

/**
 * Scans up to 100 repositories: one GraphQL request for the page (one more only when the REST
 * answer did not say whether the token is admin), then at most three REST requests per repository
 * for what GraphQL does not expose: the effective ruleset rules of the default branch, private
 * vulnerability reporting (public repositories) and the workflow token default (admins only).
 */
export const scanRepositories = async (scan: RepositoryScan, targets: RepositoryTarget[]): Promise<Resource[]> => {
  if (targets.length === 0) return [];
  const { caller } = scan;
  const adminTargets = targets.filter((t) => t.admin === true);
  const page = await caller.graphql<RepositoryPageResult>(REPOSITORY_PAGE_QUERY, {
    ids: targets.map((t) => t.nodeId),
    adminIds: adminTargets.map((t) => t.nodeId),
    withAdmin: adminTargets.length > 0,
  });
  const base = viewsOf<RepositoryBaseNode>(page.data?.repositories, 'repositories', page.errors, targets.length, page.failure?.reason);
  const adminViews = new Map<string, View<RepositoryAdminNode>>();
  viewsOf<RepositoryAdminNode>(page.data?.adminSettings, 'adminSettings', page.errors, adminTargets.length, page.failure?.reason).forEach((view, i) =>
    adminViews.set((adminTargets[i] as RepositoryTarget).nodeId, view),
  );

  // Where REST did not say, GraphQL's viewerPermission decides; those repositories need a second look.
  const lateAdmins = targets.filter((t, i) => t.admin === undefined && base[i]?.node?.viewerPermission === 'ADMIN');
  if (lateAdmins.length > 0) {
    const late = await caller.graphql<RepositoryPageResult>(REPOSITORY_PAGE_QUERY, { ids: [], adminIds: lateAdmins.map((t) => t.nodeId), withAdmin: true });
    viewsOf<RepositoryAdminNode>(late.data?.adminSettings, 'adminSettings', late.errors, lateAdmins.length, late.failure?.reason).forEach((view, i) =>
      adminViews.set((lateAdmins[i] as RepositoryTarget).nodeId, view),
    );
  }

  return Promise.all(targets.map((target, index) => scan.limit(() => scanRepository(scan, target, base[index] as View<RepositoryBaseNode>, adminViews.get(target.nodeId)))));
};

const scanRepository = async (scan: RepositoryScan, target: RepositoryTarget, view: View<RepositoryBaseNode>, adminView: View<RepositoryAdminNode> | undefined): Promise<Resource> => {
  const { caller, client, gaps, needs } = scan;
  const id = scan.resourceId(target);
  const { owner, name: repo } = target;
  const adminPermission = `admin on ${target.fullName}`;
  const node = view.node;
  const isAdmin = target.admin ?? (node ? node.viewerPermission === 'ADMIN' : undefined);
  // An attribute no enabled rule reads is left out rather than reported as a gap.
  const wanted = (attribute: string): boolean => needs.has(attribute.split('.')[0] as string);
  const gap = (attribute: string, reason: string, permission?: string): Unknown =>
    wanted(attribute) ? missing(gaps, id, attribute, reason, permission) : unknown(reason, permission);
  const notAdmin = (attribute: string): Unknown =>
    isAdmin === undefined
      ? gap(attribute, `could not tell whether the token is admin: ${view.failure ?? 'GitHub did not say'}`, adminPermission)
      : gap(attribute, 'the token is not an admin of the repository', adminPermission);
  const admin = isAdmin === true ? adminView : undefined;
  const adminFailure = (field: string): string => admin?.fields.get(field) ?? admin?.failure ?? 'GraphQL returned no admin settings';

  const defaultBranch = node ? (node.defaultBranchRef?.name ?? null) : (target.defaultBranch ?? null);
  const attributes: RepositoryAttributes = {
    visibility: target.visibility,
    archived: target.archived,
    fork: target.fork,
    defaultBranch,
    viewerPermission: node ? (node.viewerPermission ? ROLE[node.viewerPermission] : null) : isAdmin === true ? 'admin' : gap('viewerPermission', view.failure ?? 'not reported'),
  };

  // security_and_analysis: from the listing where it was present, else one GET for admins.
  const wantsAnalysis = Object.keys(SECURITY_AND_ANALYSIS).some((a) => needs.has(a));
  let analysis = target.securityAndAnalysis;
  let analysisFailure: string | undefined;
  if (isAdmin === true && analysis === undefined && wantsAnalysis) {
    const answer = await caller.rest(() => client.rest.repos.get({ owner, repo }));
    if (answer.ok) analysis = answer.data.security_and_analysis ?? null;
    else analysisFailure = answer.reason;
  }
  for (const [attribute, key] of Object.entries(SECURITY_AND_ANALYSIS) as [AnalysisAttribute, keyof SecurityAndAnalysis][]) {
    if (analysis) {
      // A feature GitHub leaves out is not available to the repository, so it is not enabled.
      attributes[attribute] = (analysis[key] as { status?: string } | undefined)?.status === 'enabled';
    } else if (!wantsAnalysis) {
      continue;
    } else if (isAdmin !== true) {
      attributes[attribute] = notAdmin(attribute);
    } else {
      attributes[attribute] = gap(attribute, analysisFailure ?? 'GitHub reported no security and analysis settings', adminPermission);
    }
  }

  attributes.securityPolicy = node
    ? typeof node.isSecurityPolicyEnabled === 'boolean'
      ? node.isSecurityPolicyEnabled
      : gap('securityPolicy', view.fields.get('isSecurityPolicyEnabled') ?? 'GitHub did not report whether a security policy exists')
    : gap('securityPolicy', view.failure ?? 'not reported');

  // Dependabot alerts: GraphQL for admins, REST (204 enabled, 404 disabled) when GraphQL could not say.
  if (isAdmin !== true) attributes.dependabotAlerts = notAdmin('dependabotAlerts');
  else if (admin?.node && typeof admin.node.hasVulnerabilityAlertsEnabled === 'boolean') attributes.dependabotAlerts = admin.node.hasVulnerabilityAlertsEnabled;
  else if (needs.has('dependabotAlerts')) {
    const answer = await caller.rest(() => client.rest.repos.checkVulnerabilityAlerts({ owner, repo }));
    attributes.dependabotAlerts = answer.ok ? true : answer.status === 404 ? false : gap('dependabotAlerts', answer.reason, adminPermission);
  }

  if (isAdmin !== true) {
    attributes.deployKeys = notAdmin('deployKeys');
    attributes.outsideCollaborators = notAdmin('outsideCollaborators');
    attributes.outsideAdmins = notAdmin('outsideAdmins');
  } else {
    const keys = await deployKeysOf(caller, target, admin?.node?.deployKeys);
    attributes.deployKeys = Array.isArray(keys) ? keys : gap('deployKeys', keys ?? adminFailure('deployKeys'), adminPermission);
    const collaborators = await outsideCollaboratorsOf(caller, target, admin?.node?.collaborators);
    if (Array.isArray(collaborators)) {
      attributes.outsideCollaborators = collaborators.length;
      attributes.outsideAdmins = collaborators.filter((edge) => edge.permission === 'ADMIN').map((edge) => edge.node.login).sort();
    } else {
      const reason = collaborators ?? adminFailure('collaborators');
      attributes.outsideCollaborators = gap('outsideCollaborators', reason, adminPermission);
      attributes.outsideAdmins = gap('outsideAdmins', reason, adminPermission);
    }
  }

  if (target.visibility !== 'public') attributes.privateVulnerabilityReporting = null;
  else if (needs.has('privateVulnerabilityReporting')) {
    const answer = await caller.rest(() => client.rest.repos.checkPrivateVulnerabilityReporting({ owner, repo }));
    attributes.privateVulnerabilityReporting = answer.ok
      ? answer.data.enabled
      : gap('privateVulnerabilityReporting', answer.reason, isAdmin === true ? `read on ${target.fullName}` : adminPermission);
  }

  if (needs.has('workflowTokenPermission') || needs.has('workflowsCanApprovePullRequests')) {
    if (isAdmin !== true) {
      attributes.workflowTokenPermission = notAdmin('workflowTokenPermission');
      attributes.workflowsCanApprovePullRequests = notAdmin('workflowsCanApprovePullRequests');
    } else {
      const answer = await caller.rest(() => client.rest.actions.getGithubActionsDefaultWorkflowPermissionsRepository({ owner, repo }));
      attributes.workflowTokenPermission = answer.ok ? answer.data.default_workflow_permissions : gap('workflowTokenPermission', answer.reason, adminPermission);
      attributes.workflowsCanApprovePullRequests = answer.ok
        ? answer.data.can_approve_pull_request_reviews
        : gap('workflowsCanApprovePullRequests', answer.reason, adminPermission);
    }
  }

  if (defaultBranch === null) attributes.defaultBranchProtection = null;
  else if (needs.has('defaultBranchProtection')) {
    // Effective ruleset rules are readable with read access; classic protection needs admin.
    const rules = await caller.restList((page) => client.rest.repos.getBranchRules({ owner, repo, branch: defaultBranch, per_page: 100, page }));
    const rulesets: RulesetProtection | Unknown = rules.ok
      ? rulesetProtection(rules.data, rulesetInfoFrom(node?.rulesets?.nodes))
      : gap('defaultBranchProtection.rulesets', rules.reason, `read on ${target.fullName}`);
    let classic: ClassicProtection | null | Unknown;
    if (isAdmin !== true) classic = notAdmin('defaultBranchProtection.classic');
    else if (admin?.node && !admin.fields.has('branchProtectionRule') && !admin.fields.has('defaultBranchRef')) {
      const rule = admin.node.defaultBranchRef?.branchProtectionRule;
      classic = rule ? classicFromGraphql(rule) : null;
    } else {
      // GraphQL could not say. Only a 404 whose message is "Branch not protected" means unprotected.
      const answer = await caller.rest(() => client.rest.repos.getBranchProtection({ owner, repo, branch: defaultBranch }));
      if (answer.ok) classic = classicFromRest(answer.data, defaultBranch);
      else if (answer.status === 404 && /^Branch not protected\b/i.test(answer.message)) classic = null;
      else classic = gap('defaultBranchProtection.classic', answer.reason, adminPermission);
    }
    attributes.defaultBranchProtection = { branch: defaultBranch, classic, rulesets } satisfies DefaultBranchProtection;
  }

  for (const [key, value] of Object.entries(attributes)) {
    if (isUnknown(value) && !wanted(key)) delete attributes[key as keyof RepositoryAttributes];
  }
  return {
    kind: 'github.repository',
    id,
    name: target.fullName,
    source: 'github',
    scope: { org: owner },
    ...(Object.keys(target.customProperties).length > 0 ? { tags: target.customProperties } : {}),
    attributes,
  };
};

type DeployKey = { title: string; readOnly: boolean; createdAt: string };

/** All deploy keys: the first hundred came with the page, each further hundred takes a query. A string is the reason of a failure. */
const deployKeysOf = async (caller: Caller, target: RepositoryTarget, first: RepositoryAdminNode['deployKeys'] | undefined): Promise<DeployKey[] | string | undefined> => {
  if (!first) return undefined;
  const keys: DeployKeyNode[] = (first.nodes ?? []).filter((k): k is DeployKeyNode => k !== null);
  let info = first.pageInfo;
  while (info.hasNextPage) {
    const next = await caller.graphql<DeployKeysResult>(DEPLOY_KEYS_QUERY, { id: target.nodeId, after: info.endCursor });
    const connection = next.data?.node?.deployKeys;
    if (!connection) return next.failure?.reason ?? (next.errors[0] ? describeError(next.errors[0]) : 'GraphQL returned no deploy keys');
    keys.push(...(connection.nodes ?? []).filter((k): k is DeployKeyNode => k !== null));
    info = connection.pageInfo;
  }
  return keys.map((k) => ({ title: k.title, readOnly: k.readOnly, createdAt: k.createdAt }));
};

/** All outside collaborators with their permission. A string is the reason of a failure. */
const outsideCollaboratorsOf = async (
  caller: Caller,
  target: RepositoryTarget,
  first: RepositoryAdminNode['collaborators'] | undefined,
): Promise<CollaboratorEdge[] | string | undefined> => {
  if (!first) return undefined;
  const edges: CollaboratorEdge[] = (first.edges ?? []).filter((e): e is CollaboratorEdge => e !== null);
  let info = first.pageInfo;
  while (info.hasNextPage) {
    const next = await caller.graphql<OutsideCollaboratorsResult>(OUTSIDE_COLLABORATORS_QUERY, { id: target.nodeId, after: info.endCursor });
    const connection = next.data?.node?.collaborators;
    if (!connection) return next.failure?.reason ?? (next.errors[0] ? describeError(next.errors[0]) : 'GraphQL returned no collaborators');
    edges.push(...(connection.edges ?? []).filter((e): e is CollaboratorEdge => e !== null));
    info = connection.pageInfo;
  }
  return edges;
};
