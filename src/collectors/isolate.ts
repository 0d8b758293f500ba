import { Worker } from 'node:worker_threads';
import type { PostureConfig } from '../config/types.js';
import type { CollectorId, ResourceKind } from '../facts/types.js';
import type { LogLevel } from '../util/logger.js';
import type { CollectContext, CollectorOutput } from './types.js';

/** The data of a collect context: everything a worker thread needs to rebuild it. */
export type IsolatedRequest = {
  id: CollectorId;
  root: string;
  treeId: string;
  scanTime: string;
  needs: Partial<Record<ResourceKind, string[]>>;
  config: PostureConfig;
  options: Record<string, unknown>;
  excludes: string[];
  env: NodeJS.ProcessEnv;
  limits: { timeoutMs: number; concurrency: Record<string, number>; maxFileBytes: number };
  shard?: { k: number; n: number };
  progress: boolean;
  /** The shared steps' results (the AWS Organization's accounts): data, done once in the parent. */
  shared?: CollectContext['shared'];
};

/** Messages from the worker: its log lines, calls and resource counts as they happen, then the outcome. */
export type IsolatedMessage =
  | { type: 'log'; level: Exclude<LogLevel, 'silent'>; message: string }
  | { type: 'call'; api: string; outcome: Parameters<CollectContext['calls']['record']>[1] }
  | { type: 'resources'; n: number }
  | { type: 'done'; output: CollectorOutput; covered: string[] }
  | { type: 'error'; message: string };

/** Messages to the worker. */
export type IsolatedCommand = { type: 'abort' };

/**
 * Starts the worker file beside this module: isolate-worker.js once built. Running from source
 * (the tests), the .ts file is loaded through tsx, whose loader hooks a worker thread does not
 * inherit: they are registered inside the worker before the module is imported.
 */
const spawn = (workerData: IsolatedRequest): Worker => {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./isolate-worker.js', import.meta.url), { workerData });
  const source = JSON.stringify(new URL('./isolate-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); })`, { eval: true, workerData });
};

/**
 * Runs a registered collector in a worker thread of its own. The AWS SDK and Octokit spend a few
 * milliseconds of CPU on each call (signing, middleware, parsing); in one thread, thousands of
 * calls from several sources queue behind each other and the scan becomes CPU-bound long before
 * the APIs' limits. A thread per network source lets them use the machine's other cores. The
 * collector is loaded by id from the registry inside the worker; its log lines, calls and progress
 * come back to this thread as they happen, so logging, redaction, call recording and the progress
 * display are the same as in process. Everything in the context must therefore be data, which is
 * why the caller passes the concurrency limits as a table.
 */
/** How long a source gets to answer its cancelled calls and stop after an abort (the deadline). */
export const STOP_GRACE_MS = 10_000;

export const collectIsolated = (
  id: CollectorId,
  kinds: ResourceKind[],
  ctx: CollectContext,
  concurrency: Record<string, number>,
): Promise<CollectorOutput> => {
  const request: IsolatedRequest = {
    id,
    root: ctx.root,
    treeId: ctx.treeId,
    scanTime: ctx.scanTime.toISOString(),
    needs: Object.fromEntries(kinds.map((kind) => [kind, [...ctx.needs(kind)]])),
    config: ctx.config,
    options: ctx.options,
    excludes: ctx.excludes,
    env: ctx.env,
    limits: { timeoutMs: ctx.limits.timeoutMs, concurrency, maxFileBytes: ctx.limits.maxFileBytes },
    ...(ctx.shard ? { shard: { k: ctx.shard.k, n: ctx.shard.n } } : {}),
    progress: ctx.progress !== undefined,
    ...(ctx.shared ? { shared: ctx.shared } : {}),
  };
  return new Promise<CollectorOutput>((resolve, reject) => {
    const worker = spawn(request);
    let settled = false;
    const abort = (): void => {
      worker.postMessage({ type: 'abort' } satisfies IsolatedCommand);
      // A worker that does not wind down would keep the process alive after the scan has ended.
      setTimeout(() => settle(() => reject(new Error(`the ${id} collector's worker thread did not stop within ${STOP_GRACE_MS / 1000} s of the abort`))), STOP_GRACE_MS).unref();
    };
    if (ctx.signal.aborted) abort();
    else ctx.signal.addEventListener('abort', abort, { once: true });
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', abort);
      outcome();
      void worker.terminate();
    };
    worker.on('message', (message: IsolatedMessage) => {
      switch (message.type) {
        case 'log':
          ctx.logger[message.level](message.message);
          break;
        case 'call':
          ctx.calls.record(message.api, message.outcome);
          break;
        case 'resources':
          ctx.progress?.resources(message.n);
          break;
        case 'done':
          // Units the worker's shard granted are granted here too, so the facts record them.
          for (const unit of message.covered) ctx.shard?.owns(unit);
          settle(() => resolve(message.output));
          break;
        case 'error':
          settle(() => reject(new Error(message.message)));
          break;
      }
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the ${id} collector's worker thread exited (code ${code}) before it finished`))));
  });
};
