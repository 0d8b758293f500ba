import pLimit from 'p-limit';
import { unknown, type Resource } from '../../facts/types.js';
import { createOctokit, webOriginOf, type CreateOctokitOptions } from '../../github/client.js';
import { unitIds } from '../shard.js';
import type { CollectContext, Collector, CollectorOutput } from '../types.js';
import { githubMeta } from './meta.js';
import { scanOrganization } from './organization.js';
import { scanRepositories, targetFrom, type RepositoryTarget } from './repositories.js';
import { createBudget, createCaller, createGapBook, hasNextPage } from './session.js';
import { resolveSettings } from './settings.js';

/** Behaviour of the GitHub client a caller may tune; tests shorten every wait. */
export type GithubCollectorOptions = {
  client?: Pick<CreateOctokitOptions, 'retries' | 'retryAfterBaseMs' | 'maxRateLimitWaitSeconds' | 'maxThrottleRetries' | 'throttle'>;
};

const PAGE_SIZE = 100;

const originOfUrl = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

const collectGithub = async (ctx: CollectContext, options: GithubCollectorOptions): Promise<CollectorOutput> => {
  const settings = await resolveSettings(ctx);
  const endpoint = settings.apiUrl;
  if (settings.orgs.length === 0 && settings.repos.length === 0) {
    return { status: 'skipped', resources: [], endpoint, reason: 'nothing to scan: give --github-org or --github-repo (or github.orgs / github.repos in posture.yaml)' };
  }
  if (!settings.auth) {
    return {
      status: 'failed',
      resources: [],
      endpoint,
      reason: 'no GitHub credentials: set POSTURE_GITHUB_TOKEN (or GITHUB_TOKEN), give --github-token-file, or configure github.app in posture.yaml',
    };
  }

  const budget = createBudget();
  const client = createOctokit({
    auth: settings.auth,
    baseUrl: settings.apiUrl,
    logger: ctx.logger,
    timeoutMs: ctx.limits.timeoutMs,
    signal: ctx.signal,
    env: ctx.env,
    onRequest: (outcome) => {
      ctx.calls.record(outcome.api, { ms: outcome.ms, retries: outcome.retries, throttles: outcome.throttles, error: outcome.error });
      budget.observe(outcome);
    },
    ...options.client,
  });
  const caller = createCaller(client, budget);
  const gaps = createGapBook();
  const notes: string[] = [`credentials: ${settings.authSource ?? 'unknown'}`];
  const derivedOrigin = webOriginOf(settings.apiUrl);
  // GitHub.com and GHES API roots name their web host; any other root (a proxy, a test server) is
  // taken at its word through the html_url it returns.
  let learnedOrigin: string | undefined;
  const origin = (htmlUrl?: string): string => {
    if (derivedOrigin) return derivedOrigin;
    const seen = htmlUrl ? originOfUrl(htmlUrl) : undefined;
    learnedOrigin ??= seen;
    return seen ?? learnedOrigin ?? (originOfUrl(settings.apiUrl) as string);
  };

  let identity: string;
  if (settings.auth.kind === 'token') {
    const me = await caller.rest(() => client.rest.users.getAuthenticated());
    if (!me.ok && me.status === 401) {
      return { status: 'failed', resources: [], endpoint, reason: `GitHub rejected the token from ${settings.authSource} (401 ${me.message || 'Bad credentials'})` };
    }
    if (me.ok) {
      identity = me.data.login;
      origin(me.data.html_url);
      const scopes = me.headers['x-oauth-scopes'];
      if (typeof scopes === 'string') notes.push(`token scopes: ${scopes || 'none'}`);
    } else identity = `installation or fine-grained token from ${settings.authSource}`;
  } else {
    identity = settings.authSource ?? 'GitHub App';
    // Every request of an App runs on an installation token. Without one nothing can be read, and
    // each call would report a 403 as its own missing permission: ask for the token first, and
    // when GitHub refuses it, name the exchange that failed.
    const { appId, installationId } = settings.auth;
    const exchange = await caller.rest(() => client.auth({ type: 'installation' }).then((token) => ({ status: 201, data: token })));
    if (!exchange.ok) {
      const reason = `GitHub App ${appId} got no token for installation ${installationId}: ${exchange.reason}`;
      const permission = `an installation token for GitHub App ${appId}, installation ${installationId}`;
      const targets = [...settings.orgs.map((login) => `${origin()}/${login}`), ...settings.repos.map(({ owner, name }) => `${origin()}/${owner}/${name}`)];
      return {
        status: 'failed',
        resources: [],
        endpoint,
        identity,
        reason,
        notes,
        gaps: targets.map((resource) => ({ resource, attributes: ['*'], reason, permission })),
      };
    }
  }

  const repoNeeds = ctx.needs('github.repository');
  const concurrency = pLimit(ctx.limits.concurrency('github', 8));
  const repoScan = {
    client,
    caller,
    gaps,
    needs: repoNeeds,
    limit: <T>(work: () => Promise<T>) => concurrency(work),
    resourceId: (target: RepositoryTarget) => `${origin(target.htmlUrl)}/${target.fullName}`,
  };
  const orgScan = { client, caller, gaps, needs: ctx.needs('github.organization'), resourceId: (login: string, htmlUrl?: string) => `${origin(htmlUrl)}/${login}` };

  const resources: Resource[] = [];
  const failures: string[] = [];
  const scanned = new Set<string>();
  let repositories = 0;

  // Sharded: an organisation's own facts are one unit, each repository another. Every shard lists
  // the organisation's repositories; only a repository's owner makes its per-repository calls.
  const { shard } = ctx;
  const ownsRepository = (target: RepositoryTarget): boolean => shard?.owns(unitIds.githubRepo(repoScan.resourceId(target))) ?? true;

  for (const login of settings.orgs) {
    let orgId: string;
    if (!shard || shard.owns(unitIds.githubOrg(orgScan.resourceId(login)))) {
      const org = await scanOrganization(orgScan, login);
      if (!org.resource) {
        failures.push(`${login}: ${org.failure?.reason ?? 'failed'}`);
        continue;
      }
      resources.push(org.resource);
      orgId = org.resource.id;
    } else orgId = orgScan.resourceId(login);
    let archived = 0;
    for (let page = 1; ; page++) {
      const next = await caller.rest(() => client.rest.repos.listForOrg({ org: login, type: 'all', per_page: PAGE_SIZE, page }));
      if (!next.ok) {
        gaps.add(orgId, 'repositories', unknown(`listing the repositories stopped at page ${page}: ${next.reason}`, `read on ${login}`));
        break;
      }
      const targets = next.data.map(targetFrom).filter((target) => {
        if (target.archived && !settings.includeArchived) {
          archived++;
          return false;
        }
        const key = target.fullName.toLowerCase();
        if (scanned.has(key)) return false;
        scanned.add(key);
        return ownsRepository(target);
      });
      resources.push(...(await scanRepositories(repoScan, targets)));
      repositories += targets.length;
      if (!hasNextPage(next.headers)) break;
    }
    if (archived > 0) notes.push(`${login}: skipped ${archived} archived repositories (--github-include-archived scans them)`);
  }

  // Repositories named on their own are scanned even when archived: naming one asks for it.
  const named: RepositoryTarget[] = [];
  for (const { owner, name } of settings.repos) {
    const key = `${owner}/${name}`.toLowerCase();
    if (scanned.has(key)) continue;
    scanned.add(key);
    if (shard && !shard.owns(unitIds.githubRepo(`${origin()}/${owner}/${name}`))) continue;
    const answer = await caller.rest(() => client.rest.repos.get({ owner, repo: name }));
    if (!answer.ok) {
      const reason = answer.status === 404 ? 'repository not found, or not visible to the token' : answer.reason;
      gaps.add(`${origin()}/${owner}/${name}`, '*', unknown(reason, `read on ${owner}/${name}`));
      failures.push(`${owner}/${name}: ${reason}`);
      continue;
    }
    named.push(targetFrom(answer.data));
  }
  for (let i = 0; i < named.length; i += PAGE_SIZE) {
    const batch = named.slice(i, i + PAGE_SIZE);
    resources.push(...(await scanRepositories(repoScan, batch)));
    repositories += batch.length;
  }

  const exhausted = caller.exhausted();
  if (exhausted) notes.push(`stopped calling the REST API: ${exhausted.reason}`);
  const graphqlExhausted = caller.graphqlExhausted();
  if (graphqlExhausted) notes.push(`stopped calling the GraphQL API: ${graphqlExhausted.reason}`);
  notes.push(...budget.notes(repositories));

  const unauthorized = caller.unauthorized();
  const output: CollectorOutput = { resources, gaps: gaps.list(), notes, endpoint, identity };
  if (resources.length === 0 && (failures.length > 0 || unauthorized)) {
    return { ...output, status: 'failed', reason: unauthorized ? `GitHub rejected the credentials from ${settings.authSource} (401 ${unauthorized})` : failures.join('; ') };
  }
  return output;
};

/**
 * The `github` collector: organisation settings and the security posture of its repositories
 * (code security features, deploy keys, outside admins, workflow token, default branch
 * protection from classic rules and rulesets), within GitHub's rate limits.
 */
export const createGithubCollector = (options: GithubCollectorOptions = {}): Collector => ({
  ...githubMeta,
  collect: (ctx) => collectGithub(ctx, options),
});

/** The collector as the registry runs it. */
export const githubCollector: Collector = createGithubCollector();
