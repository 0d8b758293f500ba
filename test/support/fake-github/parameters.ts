/**
 * The parameters each route of the fake GitHub API takes: query parameters with their allowed
 * values, and the keys of JSON bodies. The server refuses anything outside these tables before it
 * answers, so a misspelt parameter in posture fails a test instead of being silently ignored.
 */

/** A query parameter's values: any string, a whole number, or one of a list. */
export type QueryValues = 'string' | 'integer' | readonly string[];

const PAGES = { per_page: 'integer', page: 'integer' } as const satisfies Record<string, QueryValues>;

/** Query parameters per route template, from GitHub's REST reference (2022-11-28). */
export const QUERY_PARAMETERS: Record<string, Record<string, QueryValues>> = {
  'GET /user': {},
  'GET /rate_limit': {},
  'GET /orgs/{org}': {},
  'GET /orgs/{org}/members': { filter: ['2fa_disabled', 'all'], role: ['all', 'admin', 'member'], ...PAGES },
  'GET /orgs/{org}/repos': { type: ['all', 'public', 'private', 'forks', 'sources', 'member'], sort: ['created', 'updated', 'pushed', 'full_name'], direction: ['asc', 'desc'], ...PAGES },
  'GET /repos/{owner}/{repo}': {},
  'GET /repos/{owner}/{repo}/rules/branches/{branch}': { ...PAGES },
  'GET /repos/{owner}/{repo}/rulesets': { includes_parents: ['true', 'false'], targets: 'string', ...PAGES },
  'GET /repos/{owner}/{repo}/rulesets/{ruleset_id}': { includes_parents: ['true', 'false'] },
  'GET /repos/{owner}/{repo}/branches/{branch}/protection': {},
  'GET /repos/{owner}/{repo}/vulnerability-alerts': {},
  'GET /repos/{owner}/{repo}/private-vulnerability-reporting': {},
  'GET /repos/{owner}/{repo}/actions/permissions/workflow': {},
  'GET /repos/{owner}/{repo}/keys': { ...PAGES },
  'GET /repos/{owner}/{repo}/collaborators': { affiliation: ['outside', 'direct', 'all'], permission: ['pull', 'triage', 'push', 'maintain', 'admin'], ...PAGES },
  'POST /app/installations/{installation_id}/access_tokens': {},
  'POST /graphql': {},
  'POST /repos/{owner}/{repo}/check-runs': {},
  'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}': {},
  'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': { since: 'string', ...PAGES },
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': {},
  'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': {},
};

const CHECK_RUN_KEYS = ['name', 'head_sha', 'details_url', 'external_id', 'status', 'started_at', 'conclusion', 'completed_at', 'output', 'actions'];

/** Top-level keys of the JSON bodies the write routes take; GitHub refuses any other key. */
export const BODY_KEYS: Record<string, readonly string[]> = {
  'POST /app/installations/{installation_id}/access_tokens': ['repositories', 'repository_ids', 'permissions'],
  'POST /graphql': ['query', 'variables', 'operationName'],
  'POST /repos/{owner}/{repo}/check-runs': CHECK_RUN_KEYS,
  'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}': CHECK_RUN_KEYS.filter((key) => key !== 'head_sha'),
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': ['body'],
  'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': ['body'],
};

/** GitHub's answer to a request it will not process: 422 with a message and, where it says, the field. */
export type ParameterRefusal = { status: 422; body: { message: string; errors?: { resource: string; field: string; code: string; value?: string }[]; documentation_url: string; status: '422' } };

const DOCS = 'https://docs.github.com/rest';

/**
 * Checks a request's query and body against the tables. A value outside an enumerated list is
 * GitHub's `Validation Failed` (code `invalid`); a body key a route does not take is GitHub's
 * `Invalid request.` naming the key ("... is not a permitted key."). A query parameter a route does
 * not take is refused the same way as an invalid one; GitHub would ignore it, which is exactly what
 * would hide a misspelt parameter. `per_page` and `page` are not range-checked: GitHub clamps
 * per_page to 100 and reads 0 as the default, and so does the fake.
 */
export const checkParameters = (route: string, query: URLSearchParams, body: unknown): ParameterRefusal | undefined => {
  const known = QUERY_PARAMETERS[route];
  if (!known) return undefined;
  for (const [name, value] of query) {
    const values = Object.hasOwn(known, name) ? known[name] : undefined;
    const ok = values === 'string' || (values === 'integer' ? /^-?\d+$/.test(value) : values !== undefined && values.includes(value));
    if (!ok) {
      return {
        status: 422,
        body: { message: 'Validation Failed', errors: [{ resource: 'Query', field: name, code: 'invalid', value }], documentation_url: DOCS, status: '422' },
      };
    }
  }
  const keys = BODY_KEYS[route];
  if (keys && body !== undefined && body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const extra = Object.keys(body).find((key) => !keys.includes(key));
    if (extra !== undefined) return { status: 422, body: { message: `Invalid request.\n\n"${extra}" is not a permitted key.`, documentation_url: DOCS, status: '422' } };
  }
  return undefined;
};
