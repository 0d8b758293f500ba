import { Worker } from 'node:worker_threads';
import type { AwsIdentities, AwsPrincipal } from '../aws/identities.js';
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
  /** The parent answers `aws-identity` messages: the scan's roles and caller identities (src/aws/identities.ts). */
  awsIdentities?: true;
};

/** An STS answer the worker asks the parent for: the scan's, made once for every collector. */
export type AwsIdentityAsk = keyof AwsIdentities;

/** Messages from the worker: its log lines, calls and resource counts as they happen, then the outcome. */
export type IsolatedMessage =
  | { type: 'log'; level: Exclude<LogLevel, 'silent'>; message: string }
  | { type: 'calls'; calls: [api: string, outcome: CallOutcome][] }
  | { type: 'resources'; n: number }
  | { type: 'aws-identity'; id: number; ask: AwsIdentityAsk; principal: AwsPrincipal }
  | { type: 'done'; output: CollectorOutput; covered: string[] }
  | { type: 'error'; message: string };

/**
 * Messages to the worker. An `aws-identity` answer may hold an assumed role's credentials: they
 * cross in memory (postMessage) only, and are never logged.
 */
export type IsolatedCommand = { type: 'abort' } | { type: 'aws-identity'; id: number; outcome: Awaited<ReturnType<AwsIdentities[AwsIdentityAsk]>> };

/** A worker started ahead of its collection gets this as its data, and its request as its first message. */
export type IsolatedWarmup = { warm: CollectorId };
export type IsolatedStart = { type: 'start'; request: IsolatedRequest };

/** Worker threads started ahead of the collection, one per isolated collector, for `collectIsolated` to take. */
export type WarmWorkers = {
  /** The worker started for a collector, once; undefined when none was (or it was taken). */
  take: (id: CollectorId) => Worker | undefined;
  /** Ends the workers nobody took: a scan that stops before collecting, a shard that skips a source. */
  close: () => void;
};

/**
 * Starts a worker thread for each of the collectors, to be handed their requests when the
 * collection starts. A worker spends a good part of a second loading its SDK; started when the
 * sources are known, it does so while the scan loads its rules and threat model. Until taken, a
 * worker does not keep the process alive.
 */
export const warmIsolated = (ids: CollectorId[]): WarmWorkers => {
  const workers = new Map(
    ids.map((id) => {
      const worker = startWorker(import.meta.url, 'isolate-worker', { warm: id } satisfies IsolatedWarmup);
      worker.unref();
      // A worker that fails or ends before it is taken is not used: collectIsolated starts a fresh one.
      worker.on('error', () => workers.delete(id));
      worker.on('exit', () => workers.delete(id));
      return [id, worker] as const;
    }),
  );
  return {
    take: (id) => {
      const worker = workers.get(id);
      workers.delete(id);
      worker?.removeAllListeners('error').removeAllListeners('exit');
      worker?.ref();
      return worker;
    },
    close: () => {
      for (const worker of workers.values()) void worker.terminate();
      workers.clear();
    },
  };
};

/**
 * Starts a worker thread on the module `name` beside the module `from` (an `import.meta.url`):
 * `name`.js once built. Running from source (the tests), the .ts file is loaded through tsx, whose
 * loader hooks a worker thread does not inherit: they are registered inside the worker before the
 * module is imported.
 */
export const startWorker = (from: string, name: string, workerData: unknown): Worker => {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), { workerData });
  const source = JSON.stringify(new URL(`./${name}.ts`, from).href);
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); })`, { eval: true, workerData });
};

type CallOutcome = Parameters<CollectContext['calls']['record']>[1];

const FLUSH_MS = 50;
const MAX_BATCH = 500;

/**
 * Sends a worker thread's calls to its parent in batches. A message per call cost about 0.08 ms
 * of the worker's CPU, which over thousands of S3 calls was the largest cost of posture's own in
 * the thread. A batch goes out within FLUSH_MS, or when `flush` is called: before any other
 * message, so that the parent sees everything in the order it happened.
 */
export const createCallBatch = (post: (calls: [api: string, outcome: CallOutcome][]) => void): { record: (api: string, outcome: CallOutcome) => void; flush: () => void } => {
  let pending: [string, CallOutcome][] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const calls = pending;
    pending = [];
    post(calls);
  };
  return {
    record: (api, outcome) => {
      pending.push([api, outcome]);
      if (pending.length >= MAX_BATCH) flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    },
    flush,
  };
};

/** How long a source gets to answer its cancelled calls and stop after an abort (the deadline). */
export const STOP_GRACE_MS = 10_000;

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
export const collectIsolated = (
  id: CollectorId,
  kinds: ResourceKind[],
  ctx: CollectContext,
  concurrency: Record<string, number>,
  warm?: WarmWorkers,
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
    ...(ctx.awsIdentities ? { awsIdentities: true as const } : {}),
  };
  return new Promise<CollectorOutput>((resolve, reject) => {
    const started = warm?.take(id);
    const worker = started ?? startWorker(import.meta.url, 'isolate-worker', request);
    if (started) started.postMessage({ type: 'start', request } satisfies IsolatedStart);
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
        case 'calls':
          for (const [api, outcome] of message.calls) ctx.calls.record(api, outcome);
          break;
        case 'resources':
          ctx.progress?.resources(message.n);
          break;
        case 'aws-identity': {
          // Made (or reused) here, so that both AWS collectors' threads share one answer; the
          // calls are recorded on this collector's recorder when it is the one that made them.
          const identities = ctx.awsIdentities;
          const { id: asked, ask, principal } = message;
          const answer = identities
            ? identities[ask](principal)
            : Promise.resolve({ ok: false as const, failure: { reason: 'Unavailable', code: 'Unavailable', message: 'the scan shares no AWS identities' } });
          void answer.then((outcome) => {
            if (!settled) worker.postMessage({ type: 'aws-identity', id: asked, outcome } satisfies IsolatedCommand);
          });
          break;
        }
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
