/**
 * One GitHub API call posture makes: the REST route template or GraphQL operation (the name calls
 * are recorded under), the permission a coverage gap names when it is refused, the fine-grained
 * token / GitHub App permission and classic token scope that grant it, and what it reads.
 */
export type GithubCall = {
  /** `GET /orgs/{org}` for REST, `graphql <OperationName>` for GraphQL. */
  api: string;
  /** How a coverage gap names the missing permission, `{owner}/{repo}`, `{org}`, `{app_id}` and `{installation_id}` filled in; null when any token may call it. */
  gapPermission: string | null;
  /** Fine-grained token and GitHub App permission, as GitHub's documentation names it. */
  permission: string;
  /** Classic personal access token scope (`repo` covers private repositories; public ones need none). */
  scope: string;
  purpose: string;
  /** Who makes the call: the github collector, or the CI integration when asked to publish. */
  by: 'github collector' | 'publish';
  /** A request that changes something on GitHub. Only publishing writes, and only when asked. */
  writes?: boolean;
};

/**
 * Every GitHub call posture makes. The denied-permission tests deny each collector call in turn,
 * and the least-privilege test checks that the calls the fake GitHub receives are exactly these;
 * docs/permissions/github.json and docs/permissions.md are checked against this list.
 */
export const GITHUB_CALLS: GithubCall[] = [
  { api: 'GET /user', gapPermission: null, permission: 'none', scope: 'none', purpose: 'the identity of a token, and its scopes', by: 'github collector' },
  {
    api: 'GET /orgs/{org}',
    gapPermission: 'read:org on {org}',
    permission: 'Organization: Administration (read)',
    scope: 'read:org',
    purpose: 'two-factor requirement, base permission, repository creation (shown to owners only)',
    by: 'github collector',
  },
  { api: 'GET /orgs/{org}/members', gapPermission: 'organization owner (admin:org)', permission: 'Organization: Members (read)', scope: 'read:org', purpose: 'the organisation owners (role=admin)', by: 'github collector' },
  { api: 'GET /orgs/{org}/repos', gapPermission: 'read on {org}', permission: 'Repository: Metadata (read)', scope: 'repo', purpose: "the organisation's repositories", by: 'github collector' },
  { api: 'GET /repos/{owner}/{repo}', gapPermission: 'admin on {owner}/{repo}', permission: 'Repository: Metadata (read); Administration (read) for security_and_analysis', scope: 'repo', purpose: 'a named repository; secret scanning, push protection and Dependabot security updates', by: 'github collector' },
  {
    api: 'graphql PostureRepositoryPage',
    gapPermission: 'admin on {owner}/{repo}',
    permission: 'Repository: Metadata (read); Administration (read) for the admin fields',
    scope: 'repo',
    purpose: 'per repository: viewer permission, security policy, rulesets, default branch, and for admins Dependabot alerts, deploy keys, outside collaborators and classic branch protection',
    by: 'github collector',
  },
  { api: 'graphql PostureDeployKeys', gapPermission: 'admin on {owner}/{repo}', permission: 'Repository: Administration (read)', scope: 'repo', purpose: 'deploy keys beyond the first hundred', by: 'github collector' },
  { api: 'graphql PostureOutsideCollaborators', gapPermission: 'admin on {owner}/{repo}', permission: 'Repository: Administration (read)', scope: 'repo', purpose: 'outside collaborators beyond the first hundred', by: 'github collector' },
  { api: 'GET /repos/{owner}/{repo}/vulnerability-alerts', gapPermission: 'admin on {owner}/{repo}', permission: 'Repository: Administration (read)', scope: 'repo', purpose: 'Dependabot alerts, when GraphQL could not say', by: 'github collector' },
  {
    api: 'GET /repos/{owner}/{repo}/private-vulnerability-reporting',
    gapPermission: 'read on {owner}/{repo}',
    permission: 'Repository: Administration (read)',
    scope: 'repo',
    purpose: 'private vulnerability reporting of public repositories',
    by: 'github collector',
  },
  { api: 'GET /repos/{owner}/{repo}/actions/permissions/workflow', gapPermission: 'admin on {owner}/{repo}', permission: 'Repository: Administration (read)', scope: 'repo', purpose: "the workflow token's default permissions", by: 'github collector' },
  { api: 'GET /repos/{owner}/{repo}/rules/branches/{branch}', gapPermission: 'read on {owner}/{repo}', permission: 'Repository: Metadata (read)', scope: 'repo', purpose: 'ruleset rules in force on the default branch', by: 'github collector' },
  { api: 'GET /repos/{owner}/{repo}/branches/{branch}/protection', gapPermission: 'admin on {owner}/{repo}', permission: 'Repository: Administration (read)', scope: 'repo', purpose: 'classic branch protection, when GraphQL could not say', by: 'github collector' },
  {
    api: 'POST /app/installations/{installation_id}/access_tokens',
    gapPermission: 'an installation token for GitHub App {app_id}, installation {installation_id}',
    permission: 'GitHub App JWT (no permission)',
    scope: 'none',
    purpose: 'an installation token, when posture runs as a GitHub App (a read-only POST)',
    by: 'github collector',
  },
  { api: 'POST /repos/{owner}/{repo}/check-runs', gapPermission: null, permission: 'Repository: Checks (write)', scope: 'repo', purpose: 'the check run with annotations (--github-check)', by: 'publish', writes: true },
  { api: 'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', gapPermission: null, permission: 'Repository: Checks (write)', scope: 'repo', purpose: 'annotations beyond the first fifty, and the conclusion', by: 'publish', writes: true },
  { api: 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments', gapPermission: null, permission: 'Repository: Pull requests (read)', scope: 'repo', purpose: "finding posture's earlier comment on the pull request", by: 'publish' },
  { api: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments', gapPermission: null, permission: 'Repository: Pull requests (write)', scope: 'repo', purpose: 'the pull request comment (--pr-comment)', by: 'publish', writes: true },
  { api: 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', gapPermission: null, permission: 'Repository: Pull requests (write)', scope: 'repo', purpose: 'updating that comment instead of adding another', by: 'publish', writes: true },
];
