/**
 * The GraphQL documents the collector sends. One page query fetches, for up to 100 repositories,
 * what every token may read and, for the repositories where the token is admin, the admin-only
 * settings: two `nodes` lookups in one request instead of several REST calls per repository.
 * Tests validate these documents against GitHub's published schema.
 */

/** Repository settings for a page of repositories (node ids from the REST listing). */
export const REPOSITORY_PAGE_QUERY = /* GraphQL */ `
  query PostureRepositoryPage($ids: [ID!]!, $adminIds: [ID!]!, $withAdmin: Boolean!) {
    rateLimit {
      cost
      limit
      remaining
      resetAt
    }
    repositories: nodes(ids: $ids) {
      ... on Repository {
        id
        nameWithOwner
        viewerPermission
        isEmpty
        isSecurityPolicyEnabled
        defaultBranchRef {
          name
        }
        rulesets(first: 100, includeParents: true) {
          nodes {
            databaseId
            name
            enforcement
            target
            source {
              __typename
              ... on Repository {
                nameWithOwner
              }
              ... on Organization {
                login
              }
            }
          }
        }
      }
    }
    adminSettings: nodes(ids: $adminIds) @include(if: $withAdmin) {
      ... on Repository {
        id
        hasVulnerabilityAlertsEnabled
        defaultBranchRef {
          name
          branchProtectionRule {
            pattern
            requiresApprovingReviews
            requiredApprovingReviewCount
            allowsForcePushes
            allowsDeletions
            isAdminEnforced
          }
        }
        deployKeys(first: 100) {
          totalCount
          pageInfo {
            hasNextPage
            endCursor
          }
          nodes {
            title
            readOnly
            createdAt
          }
        }
        collaborators(first: 100, affiliation: OUTSIDE) {
          totalCount
          pageInfo {
            hasNextPage
            endCursor
          }
          edges {
            permission
            node {
              login
            }
          }
        }
      }
    }
  }
`;

/** Further pages of one repository's deploy keys, past the first hundred. */
export const DEPLOY_KEYS_QUERY = /* GraphQL */ `
  query PostureDeployKeys($id: ID!, $after: String) {
    rateLimit {
      cost
      limit
      remaining
      resetAt
    }
    node(id: $id) {
      ... on Repository {
        deployKeys(first: 100, after: $after) {
          pageInfo {
            hasNextPage
            endCursor
          }
          nodes {
            title
            readOnly
            createdAt
          }
        }
      }
    }
  }
`;

/** Further pages of one repository's outside collaborators, past the first hundred. */
export const OUTSIDE_COLLABORATORS_QUERY = /* GraphQL */ `
  query PostureOutsideCollaborators($id: ID!, $after: String) {
    rateLimit {
      cost
      limit
      remaining
      resetAt
    }
    node(id: $id) {
      ... on Repository {
        collaborators(first: 100, affiliation: OUTSIDE, after: $after) {
          pageInfo {
            hasNextPage
            endCursor
          }
          edges {
            permission
            node {
              login
            }
          }
        }
      }
    }
  }
`;

export type GraphqlRateLimit = { cost: number; limit: number; remaining: number; resetAt: string };

export type PageInfo = { hasNextPage: boolean; endCursor: string | null };

export type DeployKeyNode = { title: string; readOnly: boolean; createdAt: string };

export type CollaboratorEdge = { permission: 'ADMIN' | 'MAINTAIN' | 'WRITE' | 'TRIAGE' | 'READ'; node: { login: string } };

export type RulesetNode = {
  databaseId: number | null;
  name: string;
  enforcement: 'ACTIVE' | 'EVALUATE' | 'DISABLED';
  target: 'BRANCH' | 'TAG' | 'PUSH' | 'REPOSITORY' | null;
  /** Enterprise-level sources come without a name here; the REST answer names them. */
  source: { __typename: 'Repository'; nameWithOwner: string } | { __typename: 'Organization'; login: string } | { __typename: 'Enterprise' };
};

export type RepositoryBaseNode = {
  id: string;
  nameWithOwner: string;
  viewerPermission: CollaboratorEdge['permission'] | null;
  isEmpty: boolean;
  isSecurityPolicyEnabled: boolean | null;
  defaultBranchRef: { name: string } | null;
  rulesets: { nodes: (RulesetNode | null)[] | null } | null;
};

export type BranchProtectionRuleNode = {
  pattern: string;
  requiresApprovingReviews: boolean;
  requiredApprovingReviewCount: number | null;
  allowsForcePushes: boolean;
  allowsDeletions: boolean;
  isAdminEnforced: boolean;
};

export type RepositoryAdminNode = {
  id: string;
  hasVulnerabilityAlertsEnabled: boolean;
  defaultBranchRef: { name: string; branchProtectionRule: BranchProtectionRuleNode | null } | null;
  deployKeys: { totalCount: number; pageInfo: PageInfo; nodes: (DeployKeyNode | null)[] | null };
  collaborators: { totalCount: number; pageInfo: PageInfo; edges: (CollaboratorEdge | null)[] | null } | null;
};

export type RepositoryPageResult = {
  rateLimit: GraphqlRateLimit | null;
  repositories: (RepositoryBaseNode | Record<string, never> | null)[];
  adminSettings?: (RepositoryAdminNode | Record<string, never> | null)[];
};

export type DeployKeysResult = {
  rateLimit: GraphqlRateLimit | null;
  node: { deployKeys: { pageInfo: PageInfo; nodes: (DeployKeyNode | null)[] | null } } | null;
};

export type OutsideCollaboratorsResult = {
  rateLimit: GraphqlRateLimit | null;
  node: { collaborators: { pageInfo: PageInfo; edges: (CollaboratorEdge | null)[] | null } | null } | null;
};
