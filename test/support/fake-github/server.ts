import { randomUUID, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { components } from '@octokit/openapi-types';
import type { FakeGithubFixtures, FakeOrganization, FakeRepository } from './fixtures.js';
import { executeGraphql, githubSchema, type GraphqlBudget } from './graphql.js';
import { effectiveBranchRules } from './rulesets.js';
import { CHECKS_ROUTES, handleChecksRoute } from './checks.js';
import { checkParameters } from './parameters.js';

type Schemas = components['schemas'];

export type FakeGithubRequest = {
  method: string;
  /** Path without the query string, percent-decoded per segment in `params`. */
  path: string;
  /** The route template, `GET /repos/{owner}/{repo}`, or `unknown`. */
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** For POST /graphql: the operation name of the query. */
  operation?: string;
};

export type FakeGithubFaultKind =
  | 'rate-limit'
  | 'secondary-rate-limit'
  | 'graphql-rate-limit'
  | 'server-error'
  | 'forbidden'
  | 'not-found'
  | 'slow'
  | 'reset';

/** Injects a fault into matching requests; `times` limits how often (default: always). */
export type FakeGithubFault = {
  kind: FakeGithubFaultKind;
  /** A route template such as `GET /repos/{owner}/{repo}/rules/branches/{branch}` or `POST /graphql`. */
  route?: string;
  match?: (request: FakeGithubRequest) => boolean;
  times?: number;
  /** For secondary rate limits: 403 (the usual) or 429. */
  status?: 403 | 429;
  retryAfterSeconds?: number;
  /** For primary rate limits: seconds until x-ratelimit-reset. */
  resetInSeconds?: number;
  delayMs?: number;
};

/** One HTTP attempt as the fake saw it: a retried request is logged once per attempt. */
export type FakeGithubLogEntry = {
  method: string;
  path: string;
  route: string;
  /** The route template's parameters, percent-decoded (`owner`, `repo`, `org`, `branch`, ...). */
  params: Record<string, string>;
  /** 0 when the fault was a connection reset. */
  status: number;
  fault?: FakeGithubFaultKind;
  operation?: string;
  /** For POST /graphql: the query's variables (node ids, cursors), to tell apart what each query asked for. */
  variables?: Record<string, unknown>;
  /** Query string, for pagination checks. */
  search: string;
};

export type FakeGithubOptions = {
  faults?: FakeGithubFault[];
  /** The REST budget (x-ratelimit-limit of the core resource); requests beyond it get GitHub's primary rate limit answer. */
  restLimit?: number;
  graphqlLimit?: number;
  /** Seconds until the rate limit window resets, as x-ratelimit-reset reports it. */
  resetInSeconds?: number;
  /** Tokens the fake accepts; any token when omitted. */
  tokens?: string[];
  /** A GitHub App whose JWTs the fake verifies before it issues installation tokens. */
  app?: { appId: number | string; installationId: number; publicKeyPem: string };
};

export type FakeGithub = {
  /** The API root to pass as --github-api-url (REST at /, GraphQL at /graphql). */
  url: string;
  log: FakeGithubLogEntry[];
  faults: FakeGithubFault[];
  fixtures: FakeGithubFixtures;
  rateLimit: { rest: { limit: number; remaining: number }; graphql: GraphqlBudget };
  /** Requests logged for a route template (`GET /repos/{owner}/{repo}/...`), all when omitted. */
  count: (route?: string) => number;
  close: () => Promise<void>;
};

const DOCS = 'https://docs.github.com/rest';

/** Every route the fake answers; parameters.ts lists what each takes (a parity test keeps the two equal). */
export const FAKE_GITHUB_ROUTES = [
  'GET /user',
  'GET /rate_limit',
  'GET /orgs/{org}',
  'GET /orgs/{org}/members',
  'GET /orgs/{org}/repos',
  'GET /repos/{owner}/{repo}',
  'GET /repos/{owner}/{repo}/rules/branches/{branch}',
  'GET /repos/{owner}/{repo}/rulesets',
  'GET /repos/{owner}/{repo}/rulesets/{ruleset_id}',
  'GET /repos/{owner}/{repo}/branches/{branch}/protection',
  'GET /repos/{owner}/{repo}/vulnerability-alerts',
  'GET /repos/{owner}/{repo}/private-vulnerability-reporting',
  'GET /repos/{owner}/{repo}/actions/permissions/workflow',
  'GET /repos/{owner}/{repo}/keys',
  'GET /repos/{owner}/{repo}/collaborators',
  'POST /app/installations/{installation_id}/access_tokens',
  'POST /graphql',
  ...CHECKS_ROUTES,
] as const;

type Route = (typeof FAKE_GITHUB_ROUTES)[number];

const compiled = FAKE_GITHUB_ROUTES.map((route) => {
  const [method, template] = route.split(' ') as [string, string];
  const names: string[] = [];
  const pattern = new RegExp(`^${template.replace(/\{([a-z_]+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'))}/?$`);
  return { route, method, pattern, names };
});

const matchRoute = (method: string, path: string): { route: Route; params: Record<string, string> } | undefined => {
  for (const candidate of compiled) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    return { route: candidate.route, params: Object.fromEntries(candidate.names.map((name, i) => [name, decodeURIComponent(match[i + 1] as string)])) };
  }
  return undefined;
};

type Answer = { status: number; body?: unknown; headers?: Record<string, string>; text?: string };

const error = (status: number, message: string, documentation = DOCS): Answer => ({ status, body: { message, documentation_url: documentation, status: String(status) } });
const notFound = (): Answer => error(404, 'Not Found');

/** Owner-only fields of GET /orgs/{org}; GitHub leaves them out for everyone else. */
const OWNER_ONLY_ORG_FIELDS = [
  'two_factor_requirement_enabled',
  'default_repository_permission',
  'members_can_create_repositories',
  'members_can_create_public_repositories',
  'members_can_create_private_repositories',
  'members_can_create_internal_repositories',
  'members_allowed_repository_creation_type',
  'total_private_repos',
  'owned_private_repos',
  'billing_email',
  'plan',
] as const;

const paginate = <T>(items: T[], request: FakeGithubRequest, base: string): { page: T[]; link?: string } => {
  const perPage = Math.min(Number(request.query.get('per_page') ?? 30) || 30, 100);
  const page = Math.max(Number(request.query.get('page') ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const url = (n: number) => {
    const query = new URLSearchParams(request.query);
    query.set('per_page', String(perPage));
    query.set('page', String(n));
    return `<${base}${request.path}?${query.toString()}>`;
  };
  const links = [...(page < last ? [`${url(page + 1)}; rel="next"`, `${url(last)}; rel="last"`] : []), ...(page > 1 ? [`${url(1)}; rel="first"`, `${url(page - 1)}; rel="prev"`] : [])];
  return { page: slice, ...(links.length > 0 ? { link: links.join(', ') } : {}) };
};

/** The `minimal-repository` item of an organisation listing, as the viewer sees it. */
const listingItem = (repo: FakeRepository): Schemas['minimal-repository'] => {
  // The two schemas type a few nullable fields differently; the fixtures leave those out or null-free.
  const { security_and_analysis: securityAndAnalysis, temp_clone_token: _token, license, ...rest } = repo.repository;
  const shown = repo.viewerRole === 'admin' && !repo.listingOmitsSecurityAndAnalysis ? securityAndAnalysis : undefined;
  return {
    ...rest,
    license: license ? { key: license.key, name: license.name, node_id: license.node_id, ...(license.spdx_id ? { spdx_id: license.spdx_id } : {}) } : null,
    ...(shown ? { security_and_analysis: shown } : {}),
  } satisfies Schemas['minimal-repository'];
};

const verifyJwt = (jwt: string, publicKeyPem: string): { iss?: unknown } | undefined => {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return undefined;
  const ok = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKeyPem, Buffer.from(signature, 'base64url'));
  return ok ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown }) : undefined;
};

/**
 * A local GitHub API on 127.0.0.1: REST routes and POST /graphql, answering from fixtures in
 * GitHub's wire formats (error bodies, rate-limit headers, Link pagination, GraphQL errors with a
 * `type`). Admin-only endpoints refuse tokens without admin as GitHub does, unknown routes get
 * GitHub's 404 body, and faults (rate limits, 502s, timeouts) are injected on demand. Every request
 * is logged with its route template so tests can count calls per route.
 */
export const startFakeGithub = async (fixtures: FakeGithubFixtures, options: FakeGithubOptions = {}): Promise<FakeGithub> => {
  // Build GitHub's schema now, not inside the first GraphQL request and its client's timeout.
  githubSchema();
  const log: FakeGithubLogEntry[] = [];
  const faults = options.faults ?? [];
  const resetAt = () => Math.floor(Date.now() / 1000) + (options.resetInSeconds ?? 3600);
  const rest = { limit: options.restLimit ?? 5000, remaining: options.restLimit ?? 5000 };
  const graphqlBudget: GraphqlBudget = { limit: options.graphqlLimit ?? 5000, remaining: options.graphqlLimit ?? 5000, resetAt: new Date(resetAt() * 1000).toISOString() };
  const installationTokens = new Set<string>();
  let base = '';

  const findOrg = (login: string): FakeOrganization | undefined => fixtures.organizations.find((o) => o.organization.login.toLowerCase() === login.toLowerCase());
  const findRepo = (owner: string, name: string): FakeRepository | undefined =>
    fixtures.repositories.find((r) => r.repository.full_name.toLowerCase() === `${owner}/${name}`.toLowerCase());
  const orgOf = (repo: FakeRepository) => findOrg(repo.repository.owner.login);
  const adminOnly = (repo: FakeRepository, answer: () => Answer): Answer =>
    repo.viewerRole === 'admin' ? answer() : repo.forbiddenStatus === 403 ? error(403, 'Must have admin rights to Repository.') : notFound();

  const handle = (request: FakeGithubRequest, token: string | undefined): Answer => {
    const p = request.params;
    const repoRoute = request.route.startsWith('GET /repos/');
    const repo = repoRoute ? findRepo(p.owner ?? '', p.repo ?? '') : undefined;
    if (repoRoute && !repo) return notFound();
    switch (request.route as Route) {
      case 'GET /user':
        if (token && installationTokens.has(token)) return error(403, 'Resource not accessible by integration', `${DOCS}/users/users#get-the-authenticated-user`);
        return { status: 200, body: fixtures.viewer };
      case 'GET /rate_limit':
        return {
          status: 200,
          body: {
            resources: {
              core: { limit: rest.limit, remaining: rest.remaining, reset: resetAt(), used: rest.limit - rest.remaining },
              graphql: { limit: graphqlBudget.limit, remaining: graphqlBudget.remaining, reset: resetAt(), used: graphqlBudget.limit - graphqlBudget.remaining },
            },
            rate: { limit: rest.limit, remaining: rest.remaining, reset: resetAt(), used: rest.limit - rest.remaining },
          },
        };
      case 'GET /orgs/{org}': {
        const org = findOrg(p.org ?? '');
        if (!org) return notFound();
        if (org.viewerIsOwner) return { status: 200, body: org.organization };
        const visible: Record<string, unknown> = { ...org.organization };
        for (const field of OWNER_ONLY_ORG_FIELDS) delete visible[field];
        return { status: 200, body: visible };
      }
      case 'GET /orgs/{org}/members': {
        const org = findOrg(p.org ?? '');
        if (!org) return notFound();
        // Outsiders see public members only; the fixtures keep memberships private.
        const members = !org.viewerIsOwner ? [] : request.query.get('role') === 'admin' ? org.owners : org.owners;
        const { page, link } = paginate(members, request, base);
        return { status: 200, body: page, ...(link ? { headers: { link } } : {}) };
      }
      case 'GET /orgs/{org}/repos': {
        const org = findOrg(p.org ?? '');
        if (!org) return notFound();
        const type = request.query.get('type') ?? 'all';
        const repos = fixtures.repositories
          .filter((r) => r.repository.owner.login.toLowerCase() === org.organization.login.toLowerCase())
          .filter((r) => type === 'all' || (type === 'public' ? !r.repository.private : type === 'private' ? r.repository.private : type === 'forks' ? r.repository.fork : type === 'sources' ? !r.repository.fork : true))
          .map(listingItem);
        const { page, link } = paginate(repos, request, base);
        return { status: 200, body: page, ...(link ? { headers: { link } } : {}) };
      }
      case 'GET /repos/{owner}/{repo}': {
        const r = repo as FakeRepository;
        if (r.viewerRole === 'admin') return { status: 200, body: r.repository };
        const { security_and_analysis: _hidden, ...visible } = r.repository;
        return { status: 200, body: visible };
      }
      case 'GET /repos/{owner}/{repo}/rules/branches/{branch}': {
        const r = repo as FakeRepository;
        const { page, link } = paginate(effectiveBranchRules(r, orgOf(r), p.branch ?? ''), request, base);
        return { status: 200, body: page, ...(link ? { headers: { link } } : {}) };
      }
      case 'GET /repos/{owner}/{repo}/rulesets': {
        const r = repo as FakeRepository;
        const { page, link } = paginate(r.rulesets, request, base);
        return { status: 200, body: page, ...(link ? { headers: { link } } : {}) };
      }
      case 'GET /repos/{owner}/{repo}/rulesets/{ruleset_id}': {
        const r = repo as FakeRepository;
        const ruleset = [...r.rulesets, ...(orgOf(r)?.rulesets ?? [])].find((s) => String(s.id) === p.ruleset_id);
        return ruleset ? { status: 200, body: ruleset } : notFound();
      }
      case 'GET /repos/{owner}/{repo}/branches/{branch}/protection': {
        const r = repo as FakeRepository;
        // The fixtures' only branch is the default one, and an empty repository has none.
        if (r.empty || p.branch !== r.repository.default_branch) return adminOnly(r, () => error(404, 'Branch not found', `${DOCS}/branches/branch-protection#get-branch-protection`));
        return adminOnly(r, () => (r.branchProtection ? { status: 200, body: r.branchProtection } : error(404, 'Branch not protected', `${DOCS}/branches/branch-protection#get-branch-protection`)));
      }
      case 'GET /repos/{owner}/{repo}/vulnerability-alerts': {
        const r = repo as FakeRepository;
        return adminOnly(r, () => (r.vulnerabilityAlerts ? { status: 204 } : error(404, 'Vulnerability alerts are disabled.', `${DOCS}/repos/repos#check-if-vulnerability-alerts-are-enabled-for-a-repository`)));
      }
      case 'GET /repos/{owner}/{repo}/private-vulnerability-reporting': {
        const r = repo as FakeRepository;
        return { status: 200, body: { enabled: r.privateVulnerabilityReporting } };
      }
      case 'GET /repos/{owner}/{repo}/actions/permissions/workflow': {
        const r = repo as FakeRepository;
        return adminOnly(r, () => ({ status: 200, body: r.workflowPermissions }));
      }
      case 'GET /repos/{owner}/{repo}/keys': {
        const r = repo as FakeRepository;
        return adminOnly(r, () => {
          const { page, link } = paginate(r.deployKeys, request, base);
          return { status: 200, body: page, ...(link ? { headers: { link } } : {}) };
        });
      }
      case 'GET /repos/{owner}/{repo}/collaborators': {
        const r = repo as FakeRepository;
        return adminOnly(r, () => {
          const affiliation = request.query.get('affiliation') ?? 'all';
          const items = r.collaborators
            .filter((c) => affiliation !== 'outside' || c.outside)
            .map((c) => ({ ...c.user, permissions: { admin: c.role === 'admin', maintain: c.role === 'admin' || c.role === 'maintain', push: ['admin', 'maintain', 'write'].includes(c.role), triage: c.role !== 'read', pull: true }, role_name: c.role }));
          const { page, link } = paginate(items, request, base);
          return { status: 200, body: page, ...(link ? { headers: { link } } : {}) };
        });
      }
      case 'POST /app/installations/{installation_id}/access_tokens': {
        const app = options.app;
        if (!app || String(app.installationId) !== p.installation_id) return notFound();
        const jwt = /^bearer\s+(.+)$/i.exec(String(request.headers.authorization ?? ''))?.[1];
        const payload = jwt ? verifyJwt(jwt, app.publicKeyPem) : undefined;
        if (!payload || String(payload.iss) !== String(app.appId)) return error(401, "'Issuer' claim ('iss') must be an Integer");
        const issued = `ghs_${randomUUID().replace(/-/g, '')}`;
        installationTokens.add(issued);
        return {
          status: 201,
          body: {
            token: issued,
            expires_at: new Date(Date.now() + 3600_000).toISOString(),
            permissions: { administration: 'read', metadata: 'read', members: 'read', organization_administration: 'read' },
            repository_selection: 'all',
          } satisfies Schemas['installation-token'],
        };
      }
      default:
        return handleChecksRoute(request, fixtures, base) ?? notFound();
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const method = req.method ?? 'GET';
        const matched = matchRoute(method, url.pathname);
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          body = raw;
        }
        const query = typeof (body as { query?: unknown } | undefined)?.query === 'string' ? ((body as { query: string }).query) : undefined;
        const operation = matched?.route === 'POST /graphql' ? (/\b(?:query|mutation)\s+([A-Za-z_]\w*)/.exec(query ?? '')?.[1] ?? 'anonymous') : undefined;
        const request: FakeGithubRequest = {
          method,
          path: url.pathname,
          route: matched?.route ?? 'unknown',
          params: matched?.params ?? {},
          query: url.searchParams,
          headers: req.headers,
          body,
          ...(operation ? { operation } : {}),
        };
        const isGraphql = request.route === 'POST /graphql';
        const isAppAuth = request.route.startsWith('POST /app/');
        const token = /^(?:token|bearer)\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
        const variables = operation ? (body as { variables?: unknown }).variables : undefined;
        const entry = (status: number, fault?: FakeGithubFaultKind) =>
          log.push({
            method,
            path: url.pathname,
            route: request.route,
            params: request.params,
            status,
            search: url.search,
            ...(fault ? { fault } : {}),
            ...(operation ? { operation } : {}),
            ...(variables && typeof variables === 'object' ? { variables: variables as Record<string, unknown> } : {}),
          });
        const rateHeaders = (): Record<string, string> => {
          const pool = isGraphql ? { limit: graphqlBudget.limit, remaining: graphqlBudget.remaining } : rest;
          return {
            'x-ratelimit-limit': String(pool.limit),
            'x-ratelimit-remaining': String(pool.remaining),
            'x-ratelimit-used': String(pool.limit - pool.remaining),
            'x-ratelimit-reset': String(resetAt()),
            'x-ratelimit-resource': isGraphql ? 'graphql' : 'core',
          };
        };
        const send = (answer: Answer, fault?: FakeGithubFaultKind) => {
          entry(answer.status, fault);
          if (res.destroyed) return;
          const headers: Record<string, string> = {
            'x-github-request-id': `FAKE:${randomUUID().slice(0, 8).toUpperCase()}`,
            'x-github-media-type': 'github.v3; format=json',
            'x-github-api-version-selected': '2022-11-28',
            ...(isAppAuth || request.route === 'GET /rate_limit' ? {} : rateHeaders()),
            ...answer.headers,
          };
          if (answer.text !== undefined) {
            res.writeHead(answer.status, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(answer.text);
            return;
          }
          if (answer.body === undefined) {
            res.writeHead(answer.status, headers).end();
            return;
          }
          res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(answer.body));
        };

        if (!isAppAuth && (!token || (options.tokens && !options.tokens.includes(token) && !installationTokens.has(token)))) {
          send(token ? error(401, 'Bad credentials') : error(401, 'Requires authentication'));
          return;
        }
        const fault = faults.find((f) => (f.times === undefined || f.times > 0) && (!f.route || f.route === request.route) && (!f.match || f.match(request)));
        if (fault && fault.times !== undefined) fault.times--;
        if (fault?.kind === 'reset') {
          entry(0, 'reset');
          req.socket.destroy();
          return;
        }
        if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 5000));
        if (fault?.kind === 'rate-limit' || (!isGraphql && !isAppAuth && request.route !== 'GET /rate_limit' && rest.remaining <= 0)) {
          const reset = Math.floor(Date.now() / 1000) + (fault?.resetInSeconds ?? options.resetInSeconds ?? 3600);
          send(
            {
              ...error(403, 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID FAKE:0001.', 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'),
              headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-limit': String(rest.limit), 'x-ratelimit-used': String(rest.limit), 'x-ratelimit-resource': isGraphql ? 'graphql' : 'core' },
            },
            fault?.kind === 'rate-limit' ? 'rate-limit' : undefined,
          );
          return;
        }
        if (fault?.kind === 'graphql-rate-limit') {
          send(
            {
              status: 200,
              body: { errors: [{ type: 'RATE_LIMITED', code: 'graphql_rate_limit', message: 'API rate limit already exceeded for user ID 1.' }] },
              headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + (fault.resetInSeconds ?? 3600)), 'x-ratelimit-resource': 'graphql' },
            },
            'graphql-rate-limit',
          );
          return;
        }
        if (fault?.kind === 'secondary-rate-limit') {
          send(
            {
              ...error(
                fault.status ?? 403,
                'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE:0002.',
                'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
              ),
              headers: { 'retry-after': String(fault.retryAfterSeconds ?? 60) },
            },
            'secondary-rate-limit',
          );
          return;
        }
        if (fault?.kind === 'server-error') {
          send({ status: 502, text: '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>' }, 'server-error');
          return;
        }
        if (fault?.kind === 'forbidden') {
          send(error(403, 'Resource not accessible by integration'), 'forbidden');
          return;
        }
        if (fault?.kind === 'not-found') {
          send(notFound(), 'not-found');
          return;
        }
        if (!isGraphql && !isAppAuth && request.route !== 'GET /rate_limit') rest.remaining--;
        const refused = checkParameters(request.route, request.query, body);
        if (refused) {
          send(refused, fault?.kind);
          return;
        }
        if (isGraphql) {
          const result = await executeGraphql(fixtures, (body ?? {}) as Record<string, unknown>, graphqlBudget);
          send({ status: 200, body: result }, fault?.kind);
          return;
        }
        let answer: Answer;
        try {
          answer = handle(request, token);
        } catch (failure) {
          answer = error(500, `fake GitHub: ${(failure as Error).message}`);
        }
        send(answer, fault?.kind);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    log,
    faults,
    fixtures,
    rateLimit: { rest, graphql: graphqlBudget },
    count: (route) => (route ? log.filter((e) => e.route === route).length : log.length),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
