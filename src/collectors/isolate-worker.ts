import { parentPort, workerData } from 'node:worker_threads';
import type { ResourceKind } from '../facts/types.js';
import type { Logger, LogLevel } from '../util/logger.js';
import { createRedactor } from '../util/redact.js';
import { collectorRegistry } from './index.js';
import type { IsolatedCommand, IsolatedMessage, IsolatedRequest } from './isolate.js';
import { createShard } from './shard.js';
import { createCallRecorder, type CollectContext } from './types.js';

/** The worker side of `collectIsolated`: rebuilds the context from data and runs the collector. */
const start = async (): Promise<void> => {
  const port = parentPort;
  if (!port) return;
  const request = workerData as IsolatedRequest;
  const send = (message: IsolatedMessage): void => port.postMessage(message);
  const controller = new AbortController();
  port.on('message', (command: IsolatedCommand) => {
    if (command.type === 'abort') controller.abort();
  });
    // Every line goes to the parent's logger, which applies the level, the prefix and the redactor.
  const logger = (prefix: string): Logger => {
    const line = (level: Exclude<LogLevel, 'silent'>) => (message: string) => send({ type: 'log', level, message: `${prefix}${message}` });
    return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), child: (next) => logger(`${prefix}[${next}] `) };
  };
  // Calls are counted here too, for a collector that reads its own figures.
  const calls = createCallRecorder();
  const shard = request.shard ? createShard(request.shard.k, request.shard.n) : undefined;
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
          send({ type: 'call', api, outcome });
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
    };
    const output = await collector.collect(ctx);
    send({ type: 'done', output, covered: shard?.covered() ?? [] });
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};

void start();
