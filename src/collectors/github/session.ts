import { unknown, type CoverageGap, type Unknown } from '../../facts/types.js';
import type { GithubClient, RateLimitState, RequestOutcome } from '../../github/client.js';
import type { GraphqlRateLimit } from './queries.js';

/** Why a request gave no usable answer. */
export type Failure = { status: number; reason: string };

export type RestOutcome<T> = { ok: true; status: number; data: T; headers: Record<string, unknown> } | ({ ok: false; message: string } & Failure);

/** One GraphQL error as GitHub reports it: a `type` and the `path` of the field that failed. */
export type GraphqlFieldError = { type?: string; path: (string | number)[]; message: string };

export type GraphqlOutcome<T> = { data?: T; errors: GraphqlFieldError[]; failure?: Failure };

/** Coverage gaps, merged per resource, reason and permission so a report lists each once. */
export const createGapBook = () => {
  const gaps = new Map<string, CoverageGap>();
  return {
    add: (resource: string, attribute: string, marker: Unknown): void => {
      const { reason, permission } = marker.$unknown;
      const key = `${resource}\0${reason}\0${permission ?? ''}`;
      const gap = gaps.get(key) ?? { resource, attributes: [], reason, ...(permission ? { permission } : {}) };
      if (!gap.attributes.includes(attribute)) gap.attributes.push(attribute);
      gaps.set(key, gap);
    },
    list: (): CoverageGap[] => [...gaps.values()],
  };
};

export type GapBook = ReturnType<typeof createGapBook>;

/**
 * Counts requests for the budget the issue sets: REST requests per repository (routes under
 * /repos/{owner}/{repo}) apart from per-organisation and per-page ones, GraphQL queries and their
 * points, and the rate limits GitHub reported last.
 */
export const createBudget = () => {
  let restTotal = 0;
  let restPerRepository = 0;
  let graphqlQueries = 0;
  let graphqlPoints = 0;
  let core: RateLimitState | undefined;
  let graphql: GraphqlRateLimit | undefined;
  return {
    observe: (outcome: RequestOutcome): void => {
      if (outcome.route === '/graphql') graphqlQueries++;
      else {
        restTotal++;
        if (outcome.route.startsWith('/repos/')) restPerRepository++;
      }
      const rate = outcome.rateLimit;
      if (rate && rate.resource !== 'graphql' && (!core || rate.resetAt > core.resetAt || rate.remaining < core.remaining)) core = rate;
    },
    graphqlCost: (rate: GraphqlRateLimit | null | undefined): void => {
      if (!rate) return;
      graphqlPoints += rate.cost;
      if (!graphql || rate.resetAt > graphql.resetAt || rate.remaining < graphql.remaining) graphql = rate;
    },
    snapshot: () => ({ restTotal, restPerRepository, graphqlQueries, graphqlPoints, core, graphql }),
    notes: (repositories: number): string[] => {
      const perRepository = repositories > 0 ? (restPerRepository / repositories).toFixed(2) : '0';
      return [
        `REST: ${restTotal} requests, ${restPerRepository} of them per repository (${perRepository} per repository over ${repositories}) and ${restTotal - restPerRepository} per organisation, page or identity`,
        core
          ? `REST rate limit: ${core.remaining} of ${core.limit} remaining (${core.resource}, resets ${core.resetAt})`
          : 'REST rate limit: not reported',
        `GraphQL: ${graphqlQueries} ${graphqlQueries === 1 ? 'query' : 'queries'} costing ${graphqlPoints} points${graphql ? `; ${graphql.remaining} of ${graphql.limit} points remaining (resets ${graphql.resetAt})` : ''}`,
      ];
    },
  };
};

export type Budget = ReturnType<typeof createBudget>;

const short = (text: string): string => {
  const line = text.trim().split('\n')[0] ?? '';
  if (line.startsWith('<')) return '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
};

type RequestFailure = { status?: number; message?: string; response?: { headers?: Record<string, unknown>; data?: unknown } };

/**
 * Calls the API through the client and turns failures into reasons the report can show. After
 * GitHub reports the primary rate limit exhausted (and the throttling plugin declined to wait for
 * the reset), no further request is made: each one would fail the same way and burn nothing but time.
 */
export const createCaller = (client: GithubClient, budget: Budget) => {
  let exhausted: Failure | undefined;
  let graphqlExhausted: Failure | undefined;
  let unauthorized: string | undefined;

  const describe = (error: unknown): { status: number; message: string; rateLimited: boolean; reset?: string } => {
    const failure = error as RequestFailure;
    const status = typeof failure.status === 'number' ? failure.status : 0;
    const headers = failure.response?.headers ?? {};
    const data = failure.response?.data as { message?: unknown } | undefined;
    const message = short(typeof data?.message === 'string' ? data.message : (failure.message ?? String(error)));
    const remainingZero = String(headers['x-ratelimit-remaining'] ?? '') === '0';
    const rateLimited = (status === 403 || status === 429) && (remainingZero || /API rate limit exceeded/i.test(message)) && !/secondary rate limit/i.test(message);
    const resetHeader = Number(headers['x-ratelimit-reset'] ?? 0);
    return { status, message, rateLimited, ...(resetHeader > 0 ? { reset: new Date(resetHeader * 1000).toISOString() } : {}) };
  };

  const reasonOf = (status: number, message: string): string => {
    if (status === 0) return `request failed: ${message || 'no answer'}`;
    if (status >= 500) return `GitHub answered ${status} after retries${message ? `: ${message}` : ''}`;
    return `GitHub answered ${status}${message ? `: ${message}` : ''}`;
  };

  const rest = async <T>(call: () => Promise<{ status: number; data: T; headers?: object }>): Promise<RestOutcome<T>> => {
    if (exhausted) return { ok: false, message: exhausted.reason, ...exhausted };
    try {
      const response = await call();
      return { ok: true, status: response.status, data: response.data, headers: { ...response.headers } };
    } catch (error) {
      const { status, message, rateLimited, reset } = describe(error);
      if (status === 401) unauthorized = message || 'Bad credentials';
      if (rateLimited) {
        exhausted = { status, reason: `the REST rate limit is exhausted${reset ? ` until ${reset}` : ''}` };
        return { ok: false, message, ...exhausted };
      }
      return { ok: false, status, message, reason: reasonOf(status, message) };
    }
  };

  /** Every page of a REST list, following GitHub's Link header; the route template stays the api name. */
  const restList = async <T>(fetchPage: (page: number) => Promise<{ status: number; data: T[]; headers?: object }>): Promise<RestOutcome<T[]>> => {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const answer = await rest(() => fetchPage(page));
      if (!answer.ok) return answer;
      items.push(...answer.data);
      if (!hasNextPage(answer.headers)) return { ...answer, data: items };
    }
  };

  const graphql = async <T extends { rateLimit?: GraphqlRateLimit | null }>(query: string, variables: Record<string, unknown>): Promise<GraphqlOutcome<T>> => {
    if (graphqlExhausted) return { errors: [], failure: graphqlExhausted };
    try {
      const data = await client.graphql<T>(query, variables);
      budget.graphqlCost(data.rateLimit);
      return { data, errors: [] };
    } catch (error) {
      // @octokit/graphql's GraphqlResponseError: the answer came with errors, and maybe partial data.
      if ((error as { name?: unknown }).name === 'GraphqlResponseError') {
        const response = error as { data?: T | null; errors?: unknown[] };
        const data = response.data ?? undefined;
        budget.graphqlCost(data?.rateLimit);
        const errors = (response.errors ?? []).map((e) => {
          const raw = e as { type?: unknown; path?: unknown; message?: unknown };
          return {
            ...(typeof raw.type === 'string' ? { type: raw.type } : {}),
            path: Array.isArray(raw.path) ? (raw.path as (string | number)[]) : [],
            message: short(String(raw.message ?? 'error')),
          };
        });
        if (data === undefined || data === null) return { errors, failure: { status: 200, reason: `GraphQL error: ${errors.map((e) => e.message).join('; ') || 'no data'}` } };
        return { data, errors };
      }
      const { status, message, reset } = describe(error);
      const graphqlLimited = /GraphQL Rate Limit Exceeded/i.test(message) || /rate limit/i.test(message);
      if (graphqlLimited) {
        graphqlExhausted = { status, reason: `the GraphQL rate limit is exhausted${reset ? ` until ${reset}` : ''}` };
        return { errors: [], failure: graphqlExhausted };
      }
      return { errors: [], failure: { status, reason: `GraphQL ${reasonOf(status, message)}` } };
    }
  };

  return { rest, restList, graphql, exhausted: () => exhausted, graphqlExhausted: () => graphqlExhausted, unauthorized: () => unauthorized };
};

export type Caller = ReturnType<typeof createCaller>;

/** Whether a REST answer's Link header points to a next page. */
export const hasNextPage = (headers: Record<string, unknown>): boolean => /rel="next"/.test(String(headers.link ?? ''));

/** An unknown marker for an attribute, recorded as a coverage gap of its resource. */
export const missing = (gaps: GapBook, resource: string, attribute: string, reason: string, permission?: string): Unknown => {
  const marker = unknown(reason, permission);
  gaps.add(resource, attribute, marker);
  return marker;
};
