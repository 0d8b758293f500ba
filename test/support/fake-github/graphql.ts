import { readFileSync } from 'node:fs';
import path from 'node:path';

import { buildClientSchema, execute, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { packageRoot } from '../../../src/util/package-root.js';
import type { FakeGithubFixtures, FakeOrganization, FakeRepository } from './fixtures.js';
import { checkGraphqlRequest } from './graphql-check.js';
import { rulesetsOf } from './rulesets.js';

let schemaCache: GraphQLSchema | undefined;

/**
 * GitHub's published GraphQL schema (@octokit/graphql-schema), built once per test process on
 * first use: the fake executes every query against it, so a misspelt field, a wrong argument or a
 * fixture value outside an enum fails the way GitHub would fail it.
 */
export const githubSchema = (): GraphQLSchema => {
  if (!schemaCache) {
    // schema.json is not in the package's exports, so it is read from where npm installed it.
    const file = path.join(packageRoot, 'node_modules', '@octokit', 'graphql-schema', 'schema.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { data?: IntrospectionQuery } & IntrospectionQuery;
    schemaCache = buildClientSchema(json.data ?? json);
  }
  return schemaCache;
};

/** An error GitHub reports with a `type` (FORBIDDEN, NOT_FOUND, MAX_NODE_LIMIT_EXCEEDED, ...). */
class GithubGraphqlError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const forbidden = (): never => {
  throw new GithubGraphqlError('FORBIDDEN', 'Resource not accessible by integration');
};

type PageArgs = { first?: number | null; after?: string | null; last?: number | null };

const cursorOf = (index: number): string => Buffer.from(`cursor:v2:${index}`).toString('base64');
const indexOf = (cursor: string): number => Number(Buffer.from(cursor, 'base64').toString().split(':').pop());

/** A connection page with GitHub's limits: `first` or `last` required, at most 100. */
const connection = <T>(name: string, items: T[], args: PageArgs, edgeOf: (item: T) => Record<string, unknown> = (node) => ({ node })) => {
  const size = args.first ?? args.last;
  if (size === undefined || size === null) throw new GithubGraphqlError('MISSING_PAGINATION_BOUNDARIES', `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`);
  if (size > 100) throw new GithubGraphqlError('EXCESSIVE_PAGINATION', `Requesting ${size} records on the \`${name}\` connection exceeds the \`first\` limit of 100 records.`);
  const start = args.after ? indexOf(args.after) + 1 : 0;
  const page = items.slice(start, start + size);
  return {
    totalCount: items.length,
    pageInfo: {
      hasNextPage: start + size < items.length,
      hasPreviousPage: start > 0,
      startCursor: page.length > 0 ? cursorOf(start) : null,
      endCursor: page.length > 0 ? cursorOf(start + page.length - 1) : null,
    },
    nodes: page,
    edges: page.map((item, i) => ({ cursor: cursorOf(start + i), ...edgeOf(item) })),
  };
};

const upper = (value: string): string => value.toUpperCase();

/** The GraphQL Repository object for one fixture, with admin-only fields refusing non-admins. */
const repositoryNode = (repo: FakeRepository, org: FakeOrganization | undefined) => {
  const r = repo.repository;
  const admin = repo.viewerRole === 'admin';
  const failing = new Set(repo.graphqlFieldErrors);
  // The default resolver calls a function-valued property with the field's arguments.
  const guard = <A, T>(field: string, adminOnly: boolean, value: (args: A) => T): ((args: A) => T) => (args: A) => {
    if (failing.has(field) || (adminOnly && !admin)) return forbidden();
    return value(args);
  };
  const classic = repo.branchProtection;
  const reviews = classic?.required_pull_request_reviews;
  return {
    __typename: 'Repository',
    id: r.node_id,
    databaseId: r.id,
    name: r.name,
    nameWithOwner: r.full_name,
    url: r.html_url,
    visibility: upper(r.visibility ?? (r.private ? 'private' : 'public')),
    isPrivate: r.private,
    isArchived: r.archived,
    isFork: r.fork,
    isEmpty: repo.empty,
    viewerPermission: upper(repo.viewerRole),
    viewerCanAdminister: admin,
    isSecurityPolicyEnabled: guard('isSecurityPolicyEnabled', false, () => repo.securityPolicy),
    securityPolicyUrl: repo.securityPolicy ? `${r.html_url}/security/policy` : null,
    hasVulnerabilityAlertsEnabled: guard('hasVulnerabilityAlertsEnabled', true, () => repo.vulnerabilityAlerts),
    defaultBranchRef: repo.empty
      ? null
      : {
          __typename: 'Ref',
          id: `REF_${r.node_id}`,
          name: r.default_branch,
          prefix: 'refs/heads/',
          // GitHub answers null rather than an error when a non-admin asks: the trap that makes
          // tools report protected branches as unprotected.
          branchProtectionRule: guard('branchProtectionRule', false, () =>
            !admin || !classic
              ? null
              : {
                  __typename: 'BranchProtectionRule',
                  id: `BPR_${r.node_id}`,
                  pattern: r.default_branch,
                  requiresApprovingReviews: reviews !== undefined,
                  requiredApprovingReviewCount: reviews?.required_approving_review_count ?? null,
                  allowsForcePushes: classic.allow_force_pushes?.enabled ?? false,
                  allowsDeletions: classic.allow_deletions?.enabled ?? false,
                  isAdminEnforced: classic.enforce_admins?.enabled ?? false,
                  requiresCodeOwnerReviews: reviews?.require_code_owner_reviews ?? false,
                  dismissesStaleReviews: reviews?.dismiss_stale_reviews ?? false,
                },
          ),
        },
    rulesets: guard('rulesets', false, (args: PageArgs & { includeParents?: boolean }) =>
      connection(
        'rulesets',
        (args.includeParents === false ? repo.rulesets : rulesetsOf(repo, org)).map((ruleset) => ({
          __typename: 'RepositoryRuleset',
          id: ruleset.node_id ?? `RRS_${ruleset.id}`,
          databaseId: ruleset.id,
          name: ruleset.name,
          enforcement: upper(ruleset.enforcement),
          target: upper(ruleset.target ?? 'branch'),
          source:
            ruleset.source_type === 'Organization'
              ? { __typename: 'Organization', id: org?.organization.node_id ?? 'O_unknown', login: ruleset.source }
              : { __typename: 'Repository', id: r.node_id, nameWithOwner: ruleset.source },
        })),
        args,
      ),
    ),
    deployKeys: guard('deployKeys', true, (args: PageArgs) =>
      connection(
        'deployKeys',
        repo.deployKeys.map((key) => ({
          __typename: 'DeployKey',
          id: `DK_${key.id}`,
          title: key.title,
          readOnly: key.read_only,
          createdAt: key.created_at,
          verified: key.verified,
          enabled: key.enabled ?? true,
          key: key.key,
        })),
        args,
      ),
    ),
    collaborators: guard('collaborators', true, (args: PageArgs & { affiliation?: string }) =>
      connection(
        'collaborators',
        repo.collaborators.filter((c) => args.affiliation !== 'OUTSIDE' || c.outside),
        args,
        (c) => ({ permission: upper(c.role), node: { __typename: 'User', id: c.user.node_id, login: c.user.login } }),
      ),
    ),
  };
};

export type GraphqlBudget = { limit: number; remaining: number; resetAt: string };

/**
 * Executes a GraphQL request against GitHub's schema with the fixtures as data and answers in
 * GitHub's format: `data` plus `errors` that carry a top-level `type` and a `path`.
 */
export const executeGraphql = async (
  fixtures: FakeGithubFixtures,
  body: { query?: unknown; variables?: unknown; operationName?: unknown },
  budget: GraphqlBudget,
): Promise<{ data?: unknown; errors?: unknown[] }> => {
  if (typeof body.query !== 'string') return { errors: [{ message: 'A query attribute must be specified and must be a string.' }] };
  if (body.variables !== undefined && body.variables !== null && (typeof body.variables !== 'object' || Array.isArray(body.variables))) return { errors: [{ message: 'Variables are invalid JSON.' }] };
  const variables = (body.variables ?? {}) as Record<string, unknown>;
  const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
  // GitHub parses and validates before it executes (and charges nothing for a document it refuses).
  const checked = checkGraphqlRequest(githubSchema(), body.query, variables, operationName);
  if ('errors' in checked) return { errors: checked.errors };
  const orgOf = (repo: FakeRepository) => fixtures.organizations.find((o) => o.organization.login === repo.repository.owner.login);
  const byNodeId = new Map(fixtures.repositories.map((repo) => [repo.repository.node_id, repo]));
  // GitHub reports the budget after this query's cost.
  const cost = 1;
  budget.remaining = Math.max(0, budget.remaining - cost);
  let nodeCount = 0;
  const root = {
    rateLimit: () => ({ cost, limit: budget.limit, remaining: budget.remaining, resetAt: budget.resetAt, used: budget.limit - budget.remaining, nodeCount }),
    nodes: ({ ids }: { ids: string[] }) => {
      if (ids.length > 100) throw new GithubGraphqlError('ARGUMENT_LIMIT', 'You may not request more than 100 ids at once.');
      nodeCount += ids.length;
      return ids.map((id) => {
        const repo = byNodeId.get(id);
        if (!repo) throw new GithubGraphqlError('NOT_FOUND', `Could not resolve to a node with the global id of '${id}'`);
        return repositoryNode(repo, orgOf(repo));
      });
    },
    node: ({ id }: { id: string }) => {
      const repo = byNodeId.get(id);
      if (!repo) throw new GithubGraphqlError('NOT_FOUND', `Could not resolve to a node with the global id of '${id}'`);
      return repositoryNode(repo, orgOf(repo));
    },
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repo = fixtures.repositories.find((r) => r.repository.full_name.toLowerCase() === `${owner}/${name}`.toLowerCase());
      if (!repo) throw new GithubGraphqlError('NOT_FOUND', `Could not resolve to a Repository with the name '${owner}/${name}'.`);
      return repositoryNode(repo, orgOf(repo));
    },
    viewer: () => ({ __typename: 'User', id: fixtures.viewer.node_id, login: fixtures.viewer.login }),
  };
  const result = await execute({
    schema: githubSchema(),
    document: checked.document,
    rootValue: root,
    variableValues: variables,
    ...(operationName !== undefined ? { operationName } : {}),
  });
  if (!result.errors?.length) return { data: result.data };
  const errors = result.errors.map((error) => {
    const original = error.originalError;
    return {
      ...(original instanceof GithubGraphqlError ? { type: original.type } : {}),
      ...(error.path ? { path: error.path } : {}),
      ...(error.locations ? { locations: error.locations } : {}),
      message: error.message,
    };
  });
  return result.data === undefined ? { errors } : { data: result.data, errors };
};
