import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ConfiguredRetryStrategy, isThrottlingError } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  DeserializeMiddleware,
  HandlerExecutionContext,
  HttpHandlerOptions,
  InitializeMiddleware,
  MetadataBearer,
  Pluggable,
  RetryErrorInfo,
  RetryStrategyV2,
  StandardRetryToken,
} from '@smithy/types';
import { getMaxListeners, setMaxListeners } from 'node:events';
import pLimit, { type LimitFunction } from 'p-limit';
import type { CollectContext } from '../collectors/types.js';
import { classifyAwsError, type AwsFailure } from './errors.js';
import { callerIdentityOf, errorOfFailure, REFRESH_BEFORE_MS, type AwsIdentities, type AwsPrincipal, type CallerIdentity } from './identities.js';
import { apiName, type AwsService } from './iam-actions.js';
import { listEnabledRegions } from './regions.js';
import type { AwsSettings } from './settings.js';
import { proxyAgents } from '../util/proxy.js';

/** Knobs for tests and benchmarks; production uses the defaults. */
export type AwsTuning = {
  /** Base of the exponential backoff between attempts (default 250 ms). */
  retryBaseDelayMs?: number;
  /** Ceiling of one backoff delay (default 10 s). */
  maxRetryDelayMs?: number;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see SdkClient
type AnyPluggable = Pluggable<any, any>;

/** A call's result: its value, or why AWS gave none. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: AwsFailure };

/** The part of an SDK v3 client posture relies on. */
export type SdkClient = {
  // Each client's stack is invariant in its own input and output types; only `any` spans them all.
  middlewareStack: { use: (pluggable: AnyPluggable) => void };
  destroy: () => void;
};

/** The part of the SDK's HTTP handler that clients use: posture's per-service bulkhead in front of the shared one. */
export type RequestHandler = Pick<NodeHttpHandler, 'metadata' | 'handle' | 'updateHttpClientConfig' | 'httpHandlerConfigs' | 'destroy'>;

/** Options common to every SDK v3 client constructor. */
export type CommonClientConfig = {
  region: string;
  profile?: string;
  credentials?: AwsCredentialIdentityProvider;
  requestHandler: RequestHandler;
  retryStrategy: RetryStrategyV2;
  cacheMiddleware?: boolean;
};

export type AwsSession = {
  settings: AwsSettings;
  /** The client of a service in a region; built once per scan, destroyed by `destroy`. */
  client: <C extends SdkClient>(Client: new (config: CommonClientConfig) => C, service: AwsService, region: string) => C;
  /**
   * Runs one call and maps a failure to an `AwsFailure`; its requests go through the service's
   * bulkhead. The SDK's retry strategy has already retried throttling, 5xx and timeouts by then.
   * `fn` sends without options (see `client`): every request listens on the scan's signal.
   */
  call: <T>(service: AwsService, operation: string, fn: () => Promise<T>) => Promise<Outcome<T>>;
  /**
   * Who the credentials are (sts:GetCallerIdentity): asked once for the scan when the context
   * carries the scan's identities (src/aws/identities.ts), else by this session.
   */
  callerIdentity: () => Promise<Outcome<CallerIdentity>>;
  /**
   * The regions enabled in the account (account:ListRegions, for `--aws-regions all`): listed once
   * for the scan when the context carries the scan's identities, else once by this session.
   */
  enabledRegions: () => Promise<Outcome<string[]>>;
  /** Where calls to a service go: the SDK's endpoint variables, else AWS. */
  endpoint: (service: AwsService) => string;
  destroy: () => void;
};

/**
 * Requests in flight per service when posture.yaml's limits.concurrency says nothing (the bulkhead
 * sizes): HTTP requests sent and not yet answered, retries included, each attempt on its own.
 */
export const DEFAULT_CONCURRENCY: Record<AwsService, number> = { iam: 4, sts: 2, cloudtrail: 8, guardduty: 8, s3: 16, 's3-control': 4, account: 2, organizations: 1 };
const ENV_SUFFIX: Record<AwsService, string> = { iam: 'IAM', sts: 'STS', cloudtrail: 'CLOUDTRAIL', guardduty: 'GUARDDUTY', s3: 'S3', 's3-control': 'S3_CONTROL', account: 'ACCOUNT', organizations: 'ORGANIZATIONS' };
/** Calls under way per service, per request the bulkhead lets in flight (see `call`). */
const CALLS_PER_SLOT = 2;

/**
 * The SDK's standard retry strategy without its client-wide retry quota, and with more patience
 * for throttling than for failures. The quota (500 tokens, 5 per throttled retry, 14 per other
 * retry, refunded only on success) is meant to stop retry storms in a long-lived service; in a
 * scan it runs dry after a few hundred throttled retries and then gives up on calls at their
 * first failure, which turns throttling into unknowns. Each retry decision is made by a fresh
 * ConfiguredRetryStrategy, so the SDK still decides what is retryable, counts attempts and waits
 * the backoff; the bulkheads and the backoff itself keep the load bounded. A throttled call is
 * answered later, not refused, so it may take `throttledAttempts` attempts (default twice
 * `maxAttempts`): at 30% throttling five attempts lose one call in 400, ten one in 170,000.
 */
export class UnmeteredRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';
  private readonly throttledAttempts: number;

  constructor(
    private readonly maxAttempts: number,
    private readonly backoff: (attempt: number) => number,
    throttledAttempts?: number,
  ) {
    this.throttledAttempts = Math.max(maxAttempts, throttledAttempts ?? maxAttempts * 2);
  }

  acquireInitialRetryToken(retryTokenScope: string): Promise<StandardRetryToken> {
    return new ConfiguredRetryStrategy(this.maxAttempts, this.backoff).acquireInitialRetryToken(retryTokenScope);
  }

  refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    const attempts = errorInfo.errorType === 'THROTTLING' ? this.throttledAttempts : this.maxAttempts;
    return new ConfiguredRetryStrategy(attempts, this.backoff).refreshRetryTokenForRetry(token, errorInfo);
  }

  recordSuccess(): void {
    // No quota to refill.
  }
}

type CallState = { throttles: number; queuedMs: number };
const STATE = Symbol('posture-call-state');
/** Set on a request by the bulkhead: how long its attempt waited for a slot. */
const QUEUED = Symbol('posture-queued-ms');
type Queued = { [QUEUED]?: number };

/**
 * Records every call into the source's call recorder: one entry per operation call with the
 * attempts the SDK's retry strategy made (`$metadata.attempts`), the throttling answers seen, and
 * the time the call took, less the time its requests waited for the bulkhead.
 */
const recordingPlugin = (service: AwsService, calls: CollectContext['calls']): AnyPluggable => {
  const stateOf = (context: HandlerExecutionContext): CallState | undefined => (context as Record<symbol, CallState | undefined>)[STATE];
  const record: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const state: CallState = { throttles: 0, queuedMs: 0 };
    (context as Record<symbol, CallState>)[STATE] = state;
    const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
    const started = performance.now();
    const ms = (): number => Math.max(0, performance.now() - started - state.queuedMs);
    try {
      const result = await next(args);
      const attempts = result.output.$metadata?.attempts ?? 1;
      calls.record(apiName(service, operation), { ms: ms(), retries: attempts - 1, throttles: state.throttles });
      return result;
    } catch (error) {
      const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
      calls.record(apiName(service, operation), { ms: ms(), retries: attempts - 1, throttles: state.throttles, error: true });
      throw error;
    }
  };
  // The deserialize step runs once per attempt, inside the retry loop, so it sees each throttle,
  // and it hands the request to the HTTP handler, so it sees how long the attempt was queued.
  const countThrottles: DeserializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const request = args.request as Queued;
    try {
      return await next(args);
    } catch (error) {
      const state = stateOf(context);
      if (state && isThrottlingError(error as Parameters<typeof isThrottlingError>[0])) state.throttles++;
      throw error;
    } finally {
      const state = stateOf(context);
      if (state) state.queuedMs += request[QUEUED] ?? 0;
      delete request[QUEUED];
    }
  };
  return {
    applyToStack: (stack) => {
      stack.add(record, { step: 'initialize', priority: 'high', name: 'postureRecordCall', override: true });
      stack.add(countThrottles, { step: 'deserialize', priority: 'high', name: 'postureCountThrottles', override: true });
    },
  };
};

/** The region the SDK would use (AWS_REGION, the profile's region), if one is configured. */
export const configuredRegion = async (profile: string | undefined): Promise<string | undefined> => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const probe = new STSClient(profile ? { profile } : {});
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
};

/** Shares one set of credentials between clients, refreshing them shortly before they expire. */
const shared = (provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider => {
  let current: Promise<AwsCredentialIdentity> | undefined;
  let resolved: AwsCredentialIdentity | undefined;
  return async () => {
    if (current && (!resolved?.expiration || resolved.expiration.getTime() - Date.now() > REFRESH_BEFORE_MS)) return current;
    resolved = undefined;
    current = provider().then((identity) => {
      resolved = identity;
      return identity;
    });
    return current;
  };
};

/** A role's credentials from the scan's identities, which assume it once for every collector. */
const brokeredCredentials = (identities: AwsIdentities, principal: AwsPrincipal): AwsCredentialIdentityProvider => async () => {
  const outcome = await identities.credentials(principal);
  if (!outcome.ok) throw errorOfFailure(outcome.failure);
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = outcome.value;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}), ...(expiration ? { expiration: new Date(expiration) } : {}) };
};

/**
 * Builds the AWS plumbing for one scan: credentials (the SDK's default chain, a profile, or an
 * assumed role), one HTTP handler with timeouts, the SDK's retry strategy, a bulkhead per service
 * and call recording. Nothing is shared between scans. With the scan's identities in the context,
 * the role is assumed and the caller identity asked through them, once for every collector.
 */
export const createAwsSession = (
  ctx: Pick<CollectContext, 'calls' | 'limits' | 'signal' | 'awsIdentities'>,
  settings: AwsSettings,
  homeRegion: string,
  tuning: AwsTuning = {},
): AwsSession => {
  // The SDK warns on stderr about Node versions it plans to drop; posture supports what it supports.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Every call under way listens on the scan's abort signal; the bulkheads bound how many are.
  const inFlight = (Object.keys(DEFAULT_CONCURRENCY) as AwsService[]).reduce((sum, service) => sum + ctx.limits.concurrency(service, DEFAULT_CONCURRENCY[service]), 0);
  setMaxListeners(Math.max(getMaxListeners(ctx.signal), 16 + inFlight * CALLS_PER_SLOT), ctx.signal);
  const timeoutMs = ctx.limits.timeoutMs;
  // HTTPS_PROXY / HTTP_PROXY / NO_PROXY, read from the environment like the SDK's own settings:
  // its Node handler ignores them unless given agents that use the proxy.
  const agents = proxyAgents(process.env);
  const requestHandler = new NodeHttpHandler({ connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true, socketTimeout: timeoutMs, ...agents });
  const base = tuning.retryBaseDelayMs ?? 250;
  const ceiling = tuning.maxRetryDelayMs ?? 10_000;
  // Full jitter around an exponential backoff, as AWS recommends; no retry quota (see
  // UnmeteredRetryStrategy), so every call gets its attempts however throttled the others are.
  const retryStrategy = (): RetryStrategyV2 =>
    new UnmeteredRetryStrategy(settings.maxAttempts, (attempt) => Math.round(Math.min(ceiling, base * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)));
  const profile = settings.profile ? { profile: settings.profile } : {};

  const clients = new Map<string, SdkClient>();
  const sizeOf = (service: AwsService): number => ctx.limits.concurrency(service, DEFAULT_CONCURRENCY[service]);
  const limiter = (table: Map<AwsService, LimitFunction>, size: (service: AwsService) => number) => (service: AwsService): LimitFunction => {
    let limit = table.get(service);
    if (!limit) {
      limit = pLimit(size(service));
      table.set(service, limit);
    }
    return limit;
  };
  // The bulkhead proper: requests in flight, counted where they leave for the service and come back.
  const inFlightOf = limiter(new Map(), sizeOf);
  // Calls under way (built, signed, waiting for the bulkhead, parsing the answer): bounded too, so
  // that a request is not signed long before it may be sent.
  const underWayOf = limiter(new Map(), (service) => sizeOf(service) * CALLS_PER_SLOT);
  /**
   * The session's HTTP handler behind a service's bulkhead. The SDK's own work on a call (building
   * and signing the request, parsing the answer; about a millisecond of CPU for S3) happens outside
   * it: holding a slot through that work kept each slot busy longer than the service took to
   * answer, and the slots were what bounded the scan. A slot is held from sending a request until
   * its response headers arrive (the body is read after), once per attempt, so a retry waiting out
   * its backoff holds none.
   */
  const handlers = new Map<AwsService, RequestHandler>();
  const handlerOf = (service: AwsService): RequestHandler => {
    let handler = handlers.get(service);
    if (!handler) {
      const limit = inFlightOf(service);
      handler = {
        metadata: requestHandler.metadata,
        handle: (request, options?: HttpHandlerOptions) => {
          const queued = performance.now();
          return limit(() => {
            (request as Queued)[QUEUED] = performance.now() - queued;
            // Every attempt listens on the scan's signal here, rather than through each call's
            // options: a call sent without options reuses its command's resolved middleware.
            return requestHandler.handle(request, { ...options, abortSignal: options?.abortSignal ?? ctx.signal });
          });
        },
        updateHttpClientConfig: (key, value) => requestHandler.updateHttpClientConfig(key, value),
        httpHandlerConfigs: () => requestHandler.httpHandlerConfigs(),
        // Clients share the session's handler; the session destroys it.
        destroy: () => undefined,
      };
      handlers.set(service, handler);
    }
    return handler;
  };

  const principal: AwsPrincipal = {
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.roleArn ? { roleArn: settings.roleArn } : {}),
    ...(settings.externalId ? { externalId: settings.externalId } : {}),
    roleSessionName: settings.roleSessionName,
    maxAttempts: settings.maxAttempts,
    region: homeRegion,
  };
  const identities = ctx.awsIdentities;
  const baseCredentials = settings.profile ? fromIni({ profile: settings.profile }) : fromNodeProviderChain();
  const credentials = shared(
    settings.roleArn && identities
      ? brokeredCredentials(identities, principal)
      : settings.roleArn
      ? fromTemporaryCredentials({
          params: { RoleArn: settings.roleArn, RoleSessionName: settings.roleSessionName, ...(settings.externalId ? { ExternalId: settings.externalId } : {}) },
          masterCredentials: baseCredentials,
          clientConfig: { region: homeRegion, requestHandler: handlerOf('sts'), retryStrategy: retryStrategy(), ...profile },
          clientPlugins: [recordingPlugin('sts', ctx.calls)],
        })
      : baseCredentials,
  );

  const client = <C extends SdkClient>(Client: new (config: CommonClientConfig) => C, service: AwsService, region: string): C => {
    const key = `${service}@${region}`;
    let built = clients.get(key);
    if (!built) {
      // cacheMiddleware: the SDK resolves a command's middleware stack (cloning and sorting it) on
      // every send, about a tenth of an S3 call's CPU; with the cache it does so once per command
      // type. It needs every send without options (the scan's signal reaches each request through
      // the handler instead) and no middleware added to single commands, which posture never adds.
      built = new Client({ region, credentials, requestHandler: handlerOf(service), retryStrategy: retryStrategy(), cacheMiddleware: true, ...profile });
      built.middlewareStack.use(recordingPlugin(service, ctx.calls));
      clients.set(key, built);
    }
    return built as C;
  };
  const call = async <T>(service: AwsService, operation: string, fn: () => Promise<T>): Promise<Outcome<T>> =>
    underWayOf(service)(async () => {
      try {
        return { ok: true as const, value: await fn() };
      } catch (error) {
        return { ok: false as const, failure: classifyAwsError(error, service, operation) };
      }
    });

  let regions: Promise<Outcome<string[]>> | undefined;
  return {
    settings,
    client,
    call,
    enabledRegions: () => {
      if (identities) return identities.enabledRegions(principal);
      regions ??= listEnabledRegions({ client, call }, homeRegion).catch((error: unknown) => ({ ok: false as const, failure: classifyAwsError(error, 'account', 'ListRegions') }));
      return regions;
    },
    callerIdentity: async () => {
      if (identities) return identities.callerIdentity(principal);
      const sts = client(STSClient, 'sts', homeRegion);
      const answer = await call('sts', 'GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})));
      return answer.ok ? { ok: true, value: callerIdentityOf(answer.value) } : answer;
    },
    endpoint: (service) => {
      if (process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return 'AWS (default endpoints)';
      return process.env[`AWS_ENDPOINT_URL_${ENV_SUFFIX[service]}`] ?? process.env.AWS_ENDPOINT_URL ?? 'AWS (default endpoints)';
    },
    destroy: () => {
      for (const client of clients.values()) client.destroy();
      clients.clear();
      requestHandler.destroy();
    },
  };
};
