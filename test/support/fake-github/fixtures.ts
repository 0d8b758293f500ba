import { createHash } from 'node:crypto';
import type { components } from '@octokit/openapi-types';

type Schemas = components['schemas'];

/** GitHub's repository roles, as REST's `role_name` and GraphQL's RepositoryPermission name them. */
export type RepositoryRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

/**
 * What the fake answers for one repository, in GitHub's own REST shapes (typed by
 * @octokit/openapi-types, so a fixture cannot drift from the API description). GraphQL answers
 * are derived from the same objects and executed against GitHub's published schema.
 */
export type FakeRepository = {
  /** GET /repos/{owner}/{repo} as an admin sees it; the server strips admin-only parts for others. */
  repository: Schemas['full-repository'];
  /** The token's role on the repository. */
  viewerRole: RepositoryRole;
  /** The repository has no commits, so its default branch does not exist yet. */
  empty: boolean;
  /** The organisation listing leaves out security_and_analysis for this repository. */
  listingOmitsSecurityAndAnalysis: boolean;
  vulnerabilityAlerts: boolean;
  privateVulnerabilityReporting: boolean;
  /** A SECURITY.md in the repository (or inherited from the organisation's .github repository). */
  securityPolicy: boolean;
  workflowPermissions: Schemas['actions-get-default-workflow-permissions'];
  /** Classic protection of the default branch; null when the branch is not protected. */
  branchProtection: Schemas['branch-protection'] | null;
  rulesets: Schemas['repository-ruleset'][];
  deployKeys: Schemas['deploy-key'][];
  collaborators: { user: Schemas['simple-user']; role: RepositoryRole; outside: boolean }[];
  /** How admin-only REST endpoints refuse a token without admin: 403, or the 404 GitHub uses to hide things. */
  forbiddenStatus: 403 | 404;
  /** GraphQL fields that fail with FORBIDDEN for this repository even for an admin (an app without the permission). */
  graphqlFieldErrors: string[];
};

export type FakeOrganization = {
  /** GET /orgs/{org} as an owner sees it; the server strips owner-only fields for others. */
  organization: Schemas['organization-full'];
  viewerIsOwner: boolean;
  owners: Schemas['simple-user'][];
  rulesets: Schemas['repository-ruleset'][];
};

export type FakeGithubFixtures = {
  viewer: Schemas['simple-user'];
  organizations: FakeOrganization[];
  repositories: FakeRepository[];
};

// ---------------------------------------------------------------------------------------------
// Scenario files (fixtures/github/*.json, fixtures/demo/github/*.json): the compact form people
// write, turned into the typed REST shapes above by the builders below.

export type ScenarioRule =
  | { type: 'pull_request'; parameters: { required_approving_review_count: number; dismiss_stale_reviews_on_push?: boolean; require_code_owner_review?: boolean } }
  | { type: 'non_fast_forward' }
  | { type: 'deletion' }
  | { type: 'required_linear_history' }
  | { type: 'required_signatures' };

export type ScenarioRuleset = {
  id: number;
  name: string;
  enforcement: 'active' | 'evaluate' | 'disabled';
  target?: 'branch' | 'tag' | 'push';
  /** ref_name patterns: ~DEFAULT_BRANCH, ~ALL, refs/heads/<glob>; repository_name for organisation rulesets. */
  conditions?: { ref_name?: { include?: string[]; exclude?: string[] }; repository_name?: { include?: string[]; exclude?: string[] } };
  rules: ScenarioRule[];
};

export type ScenarioRepository = {
  owner: string;
  name: string;
  visibility?: 'public' | 'private' | 'internal';
  viewerRole?: RepositoryRole;
  archived?: boolean;
  fork?: boolean;
  empty?: boolean;
  defaultBranch?: string;
  /** security_and_analysis statuses by feature; null for a repository where GitHub reports none. */
  securityAndAnalysis?: Partial<Record<'advanced_security' | 'secret_scanning' | 'secret_scanning_push_protection' | 'dependabot_security_updates', 'enabled' | 'disabled'>> | null;
  listingOmitsSecurityAndAnalysis?: boolean;
  vulnerabilityAlerts?: boolean;
  privateVulnerabilityReporting?: boolean;
  securityPolicy?: boolean;
  workflowPermissions?: 'read' | 'write';
  classicProtection?: { requiredApprovals?: number | null; allowForcePushes?: boolean; allowDeletions?: boolean; enforceAdmins?: boolean } | null;
  rulesets?: ScenarioRuleset[];
  deployKeys?: { title: string; readOnly: boolean }[];
  collaborators?: { login: string; role: RepositoryRole; outside: boolean }[];
  forbiddenStatus?: 403 | 404;
  graphqlFieldErrors?: string[];
  customProperties?: Record<string, string>;
};

export type ScenarioOrganization = {
  login: string;
  name?: string;
  viewerIsOwner?: boolean;
  twoFactorRequired?: boolean;
  defaultRepositoryPermission?: 'read' | 'write' | 'admin' | 'none';
  membersCanCreatePublicRepositories?: boolean;
  membersCanCreateRepositories?: boolean;
  owners?: string[];
  rulesets?: ScenarioRuleset[];
};

export type Scenario = {
  /** Where the fake's objects say they live (html_url); api.github.com's web host by default. */
  webOrigin?: string;
  viewer?: string;
  organizations?: ScenarioOrganization[];
  repositories?: ScenarioRepository[];
};

const API = 'https://api.github.com';

/** Stable ids: a hash of what the object is, so fixtures are the same on every run. */
const idFor = (...parts: string[]): number => Number.parseInt(createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 7), 16);
const nodeId = (prefix: string, id: number): string => `${prefix}_${Buffer.from(`posture-fake:${id}`).toString('base64url')}`;

/** A `simple-user` for a login, as GitHub embeds users in other objects. */
export const simpleUser = (login: string, type: 'User' | 'Organization' = 'User', webOrigin = 'https://github.com'): Schemas['simple-user'] => {
  const id = idFor('user', login);
  return {
    login,
    id,
    node_id: nodeId(type === 'User' ? 'U' : 'O', id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: `${API}/users/${login}`,
    html_url: `${webOrigin}/${login}`,
    followers_url: `${API}/users/${login}/followers`,
    following_url: `${API}/users/${login}/following{/other_user}`,
    gists_url: `${API}/users/${login}/gists{/gist_id}`,
    starred_url: `${API}/users/${login}/starred{/owner}{/repo}`,
    subscriptions_url: `${API}/users/${login}/subscriptions`,
    organizations_url: `${API}/users/${login}/orgs`,
    repos_url: `${API}/users/${login}/repos`,
    events_url: `${API}/users/${login}/events{/privacy}`,
    received_events_url: `${API}/users/${login}/received_events`,
    type,
    site_admin: false,
  } satisfies Schemas['simple-user'];
};

const status = (value: 'enabled' | 'disabled' | undefined) => (value ? { status: value } : undefined);

/** The `full-repository` object GitHub returns to an admin for GET /repos/{owner}/{repo}. */
export const buildRepository = (scenario: ScenarioRepository, webOrigin = 'https://github.com'): Schemas['full-repository'] => {
  const fullName = `${scenario.owner}/${scenario.name}`;
  const id = idFor('repository', fullName);
  const url = `${API}/repos/${fullName}`;
  const visibility = scenario.visibility ?? 'private';
  const role = scenario.viewerRole ?? 'admin';
  const sa = scenario.securityAndAnalysis;
  const securityAndAnalysis: Schemas['security-and-analysis'] | null | undefined =
    sa === null
      ? null
      : {
          ...(sa?.advanced_security ? { advanced_security: status(sa.advanced_security) } : {}),
          ...(sa?.secret_scanning ? { secret_scanning: status(sa.secret_scanning) } : {}),
          ...(sa?.secret_scanning_push_protection ? { secret_scanning_push_protection: status(sa.secret_scanning_push_protection) } : {}),
          ...(sa?.dependabot_security_updates ? { dependabot_security_updates: status(sa.dependabot_security_updates) } : {}),
        };
  return {
    id,
    node_id: nodeId('R', id),
    name: scenario.name,
    full_name: fullName,
    owner: simpleUser(scenario.owner, 'Organization', webOrigin),
    private: visibility !== 'public',
    visibility,
    html_url: `${webOrigin}/${fullName}`,
    description: null,
    fork: scenario.fork ?? false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://github.com/${fullName}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@github.com:${fullName}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${webOrigin}/${fullName}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: `${webOrigin}/${fullName}`,
    homepage: null,
    language: 'TypeScript',
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: scenario.empty ? 0 : 1024,
    default_branch: scenario.defaultBranch ?? 'main',
    open_issues_count: 0,
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    archived: scenario.archived ?? false,
    disabled: false,
    pushed_at: '2025-11-03T09:12:44Z',
    created_at: '2023-02-14T10:00:00Z',
    updated_at: '2025-11-03T09:12:44Z',
    permissions: {
      admin: role === 'admin',
      maintain: role === 'admin' || role === 'maintain',
      push: role === 'admin' || role === 'maintain' || role === 'write',
      triage: role !== 'read',
      pull: true,
    },
    subscribers_count: 1,
    network_count: 0,
    license: null,
    forks: 0,
    open_issues: 0,
    watchers: 0,
    ...(securityAndAnalysis !== undefined ? { security_and_analysis: securityAndAnalysis } : {}),
    ...(scenario.customProperties ? { custom_properties: scenario.customProperties } : {}),
  } satisfies Schemas['full-repository'];
};

/** A ruleset as GET /repos/{owner}/{repo}/rulesets/{id} returns it. */
export const buildRuleset = (scenario: ScenarioRuleset, source: { type: 'Repository' | 'Organization'; name: string }): Schemas['repository-ruleset'] => ({
  id: scenario.id,
  name: scenario.name,
  target: scenario.target ?? 'branch',
  source_type: source.type,
  source: source.name,
  enforcement: scenario.enforcement,
  node_id: nodeId('RRS', scenario.id),
  conditions: {
    ref_name: { include: scenario.conditions?.ref_name?.include ?? ['~DEFAULT_BRANCH'], exclude: scenario.conditions?.ref_name?.exclude ?? [] },
    ...(source.type === 'Organization'
      ? { repository_name: { include: scenario.conditions?.repository_name?.include ?? ['~ALL'], exclude: scenario.conditions?.repository_name?.exclude ?? [] } }
      : {}),
  },
  rules: scenario.rules.map((rule) =>
    rule.type === 'pull_request'
      ? ({
          type: 'pull_request',
          parameters: {
            required_approving_review_count: rule.parameters.required_approving_review_count,
            dismiss_stale_reviews_on_push: rule.parameters.dismiss_stale_reviews_on_push ?? false,
            require_code_owner_review: rule.parameters.require_code_owner_review ?? false,
            require_last_push_approval: false,
            required_review_thread_resolution: false,
            allowed_merge_methods: ['merge', 'squash', 'rebase'],
          },
        } satisfies Schemas['repository-rule-pull-request'])
      : ({ type: rule.type } satisfies Schemas['repository-rule']),
  ),
  created_at: '2025-06-01T08:00:00Z',
  updated_at: '2025-06-01T08:00:00Z',
});

/** Classic protection as GET /repos/{owner}/{repo}/branches/{branch}/protection returns it. */
export const buildBranchProtection = (
  fullName: string,
  branch: string,
  classic: NonNullable<ScenarioRepository['classicProtection']>,
): Schemas['branch-protection'] => {
  const url = `${API}/repos/${fullName}/branches/${branch}/protection`;
  return {
    url,
    enabled: true,
    ...(classic.requiredApprovals === null || classic.requiredApprovals === undefined
      ? {}
      : {
          required_pull_request_reviews: {
            url: `${url}/required_pull_request_reviews`,
            dismiss_stale_reviews: false,
            require_code_owner_reviews: false,
            required_approving_review_count: classic.requiredApprovals,
            require_last_push_approval: false,
          },
        }),
    enforce_admins: { url: `${url}/enforce_admins`, enabled: classic.enforceAdmins ?? false },
    required_linear_history: { enabled: false },
    allow_force_pushes: { enabled: classic.allowForcePushes ?? false },
    allow_deletions: { enabled: classic.allowDeletions ?? false },
    block_creations: { enabled: false },
    required_conversation_resolution: { enabled: false },
    required_signatures: { url: `${url}/required_signatures`, enabled: false },
    lock_branch: { enabled: false },
    allow_fork_syncing: { enabled: false },
  } satisfies Schemas['branch-protection'];
};

/** The `organization-full` object GitHub returns to an owner for GET /orgs/{org}. */
export const buildOrganization = (scenario: ScenarioOrganization, webOrigin = 'https://github.com'): Schemas['organization-full'] => {
  const id = idFor('organization', scenario.login);
  const url = `${API}/orgs/${scenario.login}`;
  return {
    login: scenario.login,
    id,
    node_id: nodeId('O', id),
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    description: null,
    name: scenario.name ?? scenario.login,
    has_organization_projects: true,
    has_repository_projects: true,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    html_url: `${webOrigin}/${scenario.login}`,
    type: 'Organization',
    created_at: '2019-04-01T12:00:00Z',
    updated_at: '2025-10-01T12:00:00Z',
    archived_at: null,
    total_private_repos: 0,
    owned_private_repos: 0,
    two_factor_requirement_enabled: scenario.twoFactorRequired ?? false,
    default_repository_permission: scenario.defaultRepositoryPermission ?? 'read',
    members_can_create_repositories: scenario.membersCanCreateRepositories ?? true,
    members_can_create_public_repositories: scenario.membersCanCreatePublicRepositories ?? true,
    members_can_create_private_repositories: true,
    members_can_create_internal_repositories: false,
    members_allowed_repository_creation_type: scenario.membersCanCreatePublicRepositories === false ? 'private' : 'all',
  } satisfies Schemas['organization-full'];
};

/** Turns a scenario into the fake's fixtures. */
export const fixturesFromScenario = (scenario: Scenario): FakeGithubFixtures => {
  const web = scenario.webOrigin ?? 'https://github.com';
  const organizations = (scenario.organizations ?? []).map(
    (org): FakeOrganization => ({
      organization: buildOrganization(org, web),
      viewerIsOwner: org.viewerIsOwner ?? true,
      owners: (org.owners ?? []).map((login) => simpleUser(login, 'User', web)),
      rulesets: (org.rulesets ?? []).map((r) => buildRuleset(r, { type: 'Organization', name: org.login })),
    }),
  );
  const repositories = (scenario.repositories ?? []).map((repo): FakeRepository => {
    const repository = buildRepository(repo, web);
    return {
      repository,
      viewerRole: repo.viewerRole ?? 'admin',
      empty: repo.empty ?? false,
      listingOmitsSecurityAndAnalysis: repo.listingOmitsSecurityAndAnalysis ?? false,
      vulnerabilityAlerts: repo.vulnerabilityAlerts ?? false,
      privateVulnerabilityReporting: repo.privateVulnerabilityReporting ?? false,
      securityPolicy: repo.securityPolicy ?? false,
      workflowPermissions: { default_workflow_permissions: repo.workflowPermissions ?? 'read', can_approve_pull_request_reviews: false },
      branchProtection: repo.classicProtection ? buildBranchProtection(repository.full_name, repository.default_branch, repo.classicProtection) : null,
      rulesets: (repo.rulesets ?? []).map((r) => buildRuleset(r, { type: 'Repository', name: repository.full_name })),
      deployKeys: (repo.deployKeys ?? []).map((key) => {
        const id = idFor('deploy-key', repository.full_name, key.title);
        return {
          id,
          key: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${Buffer.from(`fake-${id}`).toString('base64')}`,
          url: `${repository.url}/keys/${id}`,
          title: key.title,
          verified: true,
          created_at: '2024-05-10T08:00:00Z',
          read_only: key.readOnly,
          added_by: 'octocat',
          last_used: null,
          enabled: true,
        } satisfies Schemas['deploy-key'];
      }),
      collaborators: (repo.collaborators ?? []).map((c) => ({ user: simpleUser(c.login, 'User', web), role: c.role, outside: c.outside })),
      forbiddenStatus: repo.forbiddenStatus ?? 404,
      graphqlFieldErrors: repo.graphqlFieldErrors ?? [],
    };
  });
  return { viewer: simpleUser(scenario.viewer ?? 'posture-bot', 'User', web), organizations, repositories };
};
