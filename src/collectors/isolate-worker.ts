import { parentPort, workerData } from 'node:worker_threads';
import type { AwsIdentities, AwsPrincipal } from '../aws/identities.js';
import type { ResourceKind } from '../facts/types.js';
import type { Logger, LogLevel } from '../util/logger.js';
import { createRedactor } from '../util/redact.js';
import { collectorRegistry } from './index.js';
import { createCallBatch, type AwsIdentityAsk, type IsolatedCommand, type IsolatedMessage, type IsolatedRequest, type IsolatedStart, type IsolatedWarmup } from './isolate.js';
import { createShard } from './shard.js';
import { createCallRecorder, type CollectContext } from './types.js';

/**
 * The request: the worker's data, or, for a worker started ahead (`warmIsolated`), the first
 * message. Meanwhile such a worker loads its collector, SDKs included, from the collector's folder.
 * One listener takes every message from the start, so that an abort sent while the worker is still
 * loading is not lost.
 */
const requestOf = async (port: NonNullable<typeof parentPort>, controller: AbortController, answered: (message: Extract<IsolatedCommand, { type: 'aws-identity' }>) => void): Promise<IsolatedRequest> => {
  const data = workerData as IsolatedRequest | IsolatedWarmup;
  let started: (request: IsolatedRequest) => void = () => {};
  const request = new Promise<IsolatedRequest>((resolve) => {
    started = resolve;
  });
  port.on('message', (message: IsolatedCommand | IsolatedStart) => {
    if (message.type === 'abort') controller.abort();
    else if (message.type === 'start') started(message.request);
    else if (message.type === 'aws-identity') answered(message);
  });
  if (!('warm' in data)) return data;
  await import(`./${data.warm}/index.js`).catch(() => undefined);
  return request;
};

/** The worker side of `collectIsolated`: rebuilds the context from data and runs the collector. */
const start = async (): Promise<void> => {
  const port = parentPort;
  if (!port) return;
  const controller = new AbortController();
  // STS answers asked of the parent, by the number of the question.
  const waiting = new Map<number, (outcome: Extract<IsolatedCommand, { type: 'aws-identity' }>['outcome']) => void>();
  const request = await requestOf(port, controller, (message) => {
    waiting.get(message.id)?.(message.outcome);
    waiting.delete(message.id);
  });
  const batch = createCallBatch((calls) => port.postMessage({ type: 'calls', calls } satisfies IsolatedMessage));
  const send = (message: IsolatedMessage): void => {
    batch.flush();
    port.postMessage(message);
  };
  // The calls made so far reach the parent even if the worker is ended after the abort.
  controller.signal.addEventListener('abort', () => batch.flush(), { once: true });
  // Every line goes to the parent's logger, which applies the level, the prefix and the redactor.
  const logger = (prefix: string): Logger => {
    const line = (level: Exclude<LogLevel, 'silent'>) => (message: string) => send({ type: 'log', level, message: `${prefix}${message}` });
    return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), child: (next) => logger(`${prefix}[${next}] `) };
  };
  // Calls are counted here too, for a collector that reads its own figures.
  const calls = createCallRecorder();
  const shard = request.shard ? createShard(request.shard.k, request.shard.n) : undefined;
  let asked = 0;
  const ask = <K extends AwsIdentityAsk>(kind: K, principal: AwsPrincipal): ReturnType<AwsIdentities[K]> =>
    new Promise((resolve) => {
      const id = ++asked;
      waiting.set(id, resolve);
      send({ type: 'aws-identity', id, ask: kind, principal });
    }) as ReturnType<AwsIdentities[K]>;
  // The scan's roles and caller identities live in the parent, shared with the other AWS collector.
  const awsIdentities: AwsIdentities | undefined = request.awsIdentities
    ? { credentials: (principal) => ask('credentials', principal), callerIdentity: (principal) => ask('callerIdentity', principal), enabledRegions: (principal) => ask('enabledRegions', principal) }
    : undefined;
  const collector = collectorRegistry().find((c) => c.id === request.id);
  try {
    if (!collector) throw new Error(`no collector "${request.id}"`);
    const ctx: CollectContext = {
      root: request.root,
      treeId: request.treeId,
      scanTime: new Date(request.scanTime),
      logger: logger(''),
      calls: {
        record: (api, outcome) => {
          calls.record(api, outcome);
          batch.record(api, outcome);
        },
        snapshot: calls.snapshot,
      },
      needs: (kind: ResourceKind) => new Set(request.needs[kind] ?? []),
      config: request.config,
      options: request.options,
      excludes: request.excludes,
      env: request.env,
      signal: controller.signal,
      limits: {
        timeoutMs: request.limits.timeoutMs,
        concurrency: (service, fallback) => request.limits.concurrency[service] ?? fallback,
        maxFileBytes: request.limits.maxFileBytes,
      },
      redactor: createRedactor({ env: request.env }),
      ...(request.progress ? { progress: { resources: (n: number) => send({ type: 'resources', n }), call: () => undefined } } : {}),
      ...(shard ? { shard } : {}),
      ...(request.shared ? { shared: request.shared } : {}),
      ...(awsIdentities ? { awsIdentities } : {}),
    };
    const output = await collector.collect(ctx);
    send({ type: 'done', output, covered: shard?.covered() ?? [] });
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};

void start();
