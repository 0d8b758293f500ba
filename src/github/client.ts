import { randomUUID } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from '../util/logger.js';
import { proxyFetch } from '../util/proxy.js';

/** How the client authenticates: a token, or a GitHub App installation. */
export type GithubAuth =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: string | number; installationId: string | number; privateKey: string };

/** The rate limit headers of the last response of one resource (core, graphql, search, ...). */
export type RateLimitState = { resource: string; limit: number; remaining: number; used?: number; resetAt: string };

/** One finished request, after every retry the plugins made. */
export type RequestOutcome = {
  /** `GET /repos/{owner}/{repo}` for REST (the route template), `graphql <OperationName>` for GraphQL. */
  api: string;
  method: string;
  /** The route template without the method, or `/graphql`. */
  route: string;
  status: number;
  ms: number;
  retries: number;
  throttles: number;
  error: boolean;
  rateLimit?: RateLimitState;
};

export type CreateOctokitOptions = {
  /** A token (as a string) or an app installation. Omit for unauthenticated requests. */
  token?: string;
  auth?: GithubAuth;
  /** The REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  baseUrl?: string;
  logger: Logger;
  /** A limit for every single HTTP attempt; a timed-out attempt is retried like a 5xx. */
  timeoutMs: number;
  /** Cancels every request of this client. */
  signal?: AbortSignal;
  userAgent?: string;
  /** Retries of 5xx and network failures (plugin-retry). */
  retries?: number;
  /** Milliseconds per unit of back-off: plugin-retry waits (n+1)^2 units, the throttling plugin `retry-after` units. Tests make it tiny. */
  retryAfterBaseMs?: number;
  /** The longest wait for a primary rate limit reset that is worth it; beyond it the request fails and the caller reports the gap. */
  maxRateLimitWaitSeconds?: number;
  /** How often a request hit by a secondary rate limit is tried again (default 5: at 30% throttling, one request in 1,400 is lost). */
  maxThrottleRetries?: number;
  /** Extra throttling options, e.g. a `write` Bottleneck group without the one-second spacing of GraphQL requests in tests. */
  throttle?: Partial<Pick<ThrottlingOptions, 'write' | 'search' | 'notifications' | 'fallbackSecondaryRateRetryAfter'>>;
  /** Called once per request with its final outcome: for call budgets and coverage. */
  onRequest?: (outcome: RequestOutcome) => void;
  /** Where HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
};

const ThrottledOctokit = Octokit.plugin(throttling, retry);

/** The Octokit class with the throttling and retry plugins, as createOctokit builds it. */
export type GithubClient = InstanceType<typeof ThrottledOctokit>;

type RequestMeta = { throttles: number };

const header = (headers: Record<string, unknown> | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
};

/** Reads GitHub's x-ratelimit-* headers. */
export const rateLimitFromHeaders = (headers: Record<string, unknown> | undefined): RateLimitState | undefined => {
  const remaining = header(headers, 'x-ratelimit-remaining');
  const limit = header(headers, 'x-ratelimit-limit');
  const reset = header(headers, 'x-ratelimit-reset');
  if (remaining === undefined || limit === undefined) return undefined;
  const used = header(headers, 'x-ratelimit-used');
  return {
    resource: header(headers, 'x-ratelimit-resource') ?? 'core',
    limit: Number(limit),
    remaining: Number(remaining),
    ...(used !== undefined ? { used: Number(used) } : {}),
    resetAt: new Date(Number(reset ?? 0) * 1000).toISOString(),
  };
};

const operationName = (query: unknown): string => {
  const match = typeof query === 'string' ? /\b(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(query) : null;
  return match?.[1] ?? 'anonymous';
};

const pathOf = (url: string): string => {
  try {
    return new URL(url, 'http://github.invalid').pathname;
  } catch {
    return url;
  }
};

/**
 * Builds an Octokit client for one scan with GitHub's own rate-limit etiquette: the throttling
 * plugin queues requests, waits out secondary limits (`retry-after`) and short primary-limit
 * resets; the retry plugin retries 5xx answers and network failures. Every HTTP attempt has a
 * timeout, and every finished request is reported to `onRequest` with its retries and throttles.
 * Nothing is shared between clients: the CI integration builds its own for check runs.
 */
export const createOctokit = (options: CreateOctokitOptions): GithubClient => {
  const { logger } = options;
  const baseMs = options.retryAfterBaseMs ?? 1000;
  const maxWait = options.maxRateLimitWaitSeconds ?? 60;
  const maxThrottleRetries = options.maxThrottleRetries ?? 5;
  const meta = new WeakMap<object, RequestMeta>();
  const metaOf = (requestOptions: { request?: object }): RequestMeta | undefined => (requestOptions.request ? meta.get(requestOptions.request) : undefined);

  // Node 20's fetch ignores the proxy variables: a proxy-aware fetch when they are set.
  const baseFetch = proxyFetch(options.env ?? process.env) ?? fetch;
  const timedFetch: typeof fetch = (input, init) => {
    // Not AbortSignal.timeout: on Node 20 a timeout signal that only AbortSignal.any refers to can
    // be garbage-collected before it fires, and the attempt then waits for as long as the server
    // holds it. The timer here holds its controller until it fires (after the body, which the
    // timeout also covers, has been read or not); unref'd, it keeps no process alive.
    const timeout = new AbortController();
    setTimeout(() => timeout.abort(new DOMException(`the request took longer than ${options.timeoutMs} ms`, 'TimeoutError')), options.timeoutMs).unref();
    const signals = [timeout.signal, ...(options.signal ? [options.signal] : []), ...(init?.signal ? [init.signal] : [])];
    return baseFetch(input, { ...init, signal: AbortSignal.any(signals) });
  };

  const auth = options.auth ?? (options.token ? { kind: 'token' as const, token: options.token } : undefined);
  const octokit = new ThrottledOctokit({
    ...(auth?.kind === 'token' ? { auth: auth.token } : {}),
    ...(auth?.kind === 'app'
      ? { authStrategy: createAppAuth, auth: { appId: auth.appId, privateKey: auth.privateKey, installationId: auth.installationId } }
      : {}),
    ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
    userAgent: options.userAgent ?? 'posture',
    log: {
      debug: (message: string) => logger.debug(message),
      info: (message: string) => logger.debug(message),
      warn: (message: string) => logger.warn(message),
      error: (message: string) => logger.error(message),
    },
    request: { fetch: timedFetch },
    retry: { retries: options.retries ?? 3, retryAfterBaseValue: baseMs },
    throttle: {
      id: `posture-${randomUUID()}`,
      retryAfterBaseValue: baseMs,
      ...options.throttle,
      onRateLimit: (retryAfter, requestOptions, _octokit, retryCount) => {
        const state = metaOf(requestOptions);
        if (state) state.throttles++;
        const wait = retryAfter <= maxWait && retryCount < 1;
        logger.warn(`primary rate limit exhausted for ${requestOptions.method} ${requestOptions.url}; ${wait ? `waiting ${retryAfter}s for the reset` : `the reset is ${retryAfter}s away, not waiting`}`);
        return wait;
      },
      onSecondaryRateLimit: (retryAfter, requestOptions, _octokit, retryCount) => {
        const state = metaOf(requestOptions);
        if (state) state.throttles++;
        const wait = retryCount < maxThrottleRetries && retryAfter <= maxWait;
        logger.warn(`secondary rate limit for ${requestOptions.method} ${requestOptions.url}; ${wait ? `retrying after ${retryAfter}s` : 'giving up'}`);
        return wait;
      },
    },
  });

  // Registered after the plugins, so it wraps them: it sees one request with all its retries.
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const started = performance.now();
    requestOptions.request = { ...requestOptions.request };
    const state: RequestMeta = { throttles: 0 };
    meta.set(requestOptions.request, state);
    // Route templates name the API; an expanded URL (a paginate() follow-up) is reduced to its path.
    const path = pathOf(requestOptions.url);
    const route = path.endsWith('/graphql') ? '/graphql' : /^https?:\/\//.test(requestOptions.url) ? path : requestOptions.url;
    const method = requestOptions.method;
    const api = route === '/graphql' ? `graphql ${operationName((requestOptions as { query?: unknown }).query)}` : `${method} ${route}`;
    const report = (status: number, headers: Record<string, unknown> | undefined, error: boolean): void => {
      const retryCount = (requestOptions.request as { retryCount?: number }).retryCount ?? 0;
      const rateLimit = rateLimitFromHeaders(headers);
      options.onRequest?.({
        api,
        method,
        route,
        status,
        ms: performance.now() - started,
        // plugin-retry counts the failed attempt that ends a request as one more try; a retry is
        // an attempt after the first, and a wait for a rate limit is a throttle, not a retry.
        retries: Math.max(0, retryCount - (error ? 1 : 0) - state.throttles),
        throttles: state.throttles,
        error,
        ...(rateLimit ? { rateLimit } : {}),
      });
    };
    try {
      const response = await request(requestOptions);
      report(response.status, response.headers as Record<string, unknown>, false);
      return response;
    } catch (error) {
      const failure = error as { status?: number; response?: { headers?: Record<string, unknown> } };
      report(typeof failure.status === 'number' ? failure.status : 0, failure.response?.headers, true);
      throw error;
    }
  });
  return octokit;
};

/**
 * The web origin of a GitHub API root: https://github.com for api.github.com, the host itself for
 * GitHub Enterprise Server (https://HOST/api/v3). Undefined for any other shape, where the caller
 * should take the origin of an `html_url` the API returns.
 */
export const webOriginOf = (apiUrl: string): string | undefined => {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return undefined;
  }
  if (url.hostname === 'api.github.com') return 'https://github.com';
  if (/^\/api\/v3\/?$/.test(url.pathname)) return url.origin;
  return undefined;
};
