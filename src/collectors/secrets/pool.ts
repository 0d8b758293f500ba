import { Worker } from 'node:worker_threads';
import type { SecretLintConfigDescriptor } from '@secretlint/types';
import type { WorkerMessage, WorkerReply } from './protocol.js';

export type ScanOutcome =
  | { status: 'ok'; messages: WorkerMessage[] }
  | { status: 'timeout' }
  | { status: 'error'; reason: string };

export type SecretScanner = {
  /** Starts the workers; rejects when secretlint cannot load (then no file can be scanned). */
  warmUp: () => Promise<void>;
  scan: (filePath: string, content: string) => Promise<ScanOutcome>;
  close: () => Promise<void>;
};

/** How long a worker may take to load secretlint and its rules before the scan gives up on it. */
const STARTUP_TIMEOUT_MS = 60_000;

type Slot = { worker?: Worker; ready?: Promise<Worker>; busy: boolean };

/**
 * Starts the worker file beside this module: worker.js once built. Running from source (the
 * tests), worker.ts is loaded through tsx, whose loader hooks a worker thread does not inherit:
 * they are registered inside the worker before the module is imported.
 */
const spawnWorker = (workerData: unknown): Worker => {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const source = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); })`, { eval: true, workerData });
};

/**
 * A small pool of secretlint workers. Each file gets a time budget that starts when a ready worker
 * receives it; a worker that overruns it is terminated, which stops even a regular expression
 * stuck in catastrophic backtracking, and a fresh worker takes the next file.
 */
export const createSecretScanner = (options: { config: SecretLintConfigDescriptor; concurrency: number; timeoutPerFileMs: number }): SecretScanner => {
  const slots: Slot[] = Array.from({ length: Math.max(1, options.concurrency) }, () => ({ busy: false }));
  const waiting: ((slot: Slot) => void)[] = [];
  let nextId = 0;
  let closed = false;

  const discard = (slot: Slot): void => {
    const { worker } = slot;
    slot.worker = undefined;
    slot.ready = undefined;
    if (worker) void worker.terminate();
  };

  const startWorker = (slot: Slot): Promise<Worker> => {
    slot.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = spawnWorker({ config: options.config });
      slot.worker = worker;
      const timer = setTimeout(() => {
        discard(slot);
        reject(new Error(`the secretlint worker did not start within ${STARTUP_TIMEOUT_MS} ms`));
      }, STARTUP_TIMEOUT_MS);
      const onReady = (reply: WorkerReply): void => {
        if (reply.id !== -1) return;
        clearTimeout(timer);
        worker.off('message', onReady);
        if ('error' in reply) {
          discard(slot);
          reject(new Error(reply.error));
        } else resolve(worker);
      };
      worker.on('message', onReady);
      worker.once('error', (error) => {
        clearTimeout(timer);
        discard(slot);
        reject(error);
      });
    });
    return slot.ready;
  };

  const acquire = (): Promise<Slot> => {
    const idle = slots.find((slot) => !slot.busy);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };

  const release = (slot: Slot): void => {
    const next = waiting.shift();
    if (next) next(slot);
    else slot.busy = false;
  };

  const run = async (slot: Slot, filePath: string, content: string): Promise<ScanOutcome> => {
    let worker: Worker;
    try {
      worker = await startWorker(slot);
    } catch (error) {
      return { status: 'error', reason: error instanceof Error ? error.message : String(error) };
    }
    const id = nextId++;
    return new Promise<ScanOutcome>((resolve) => {
      const finish = (outcome: ScanOutcome): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(outcome);
      };
      const onMessage = (reply: WorkerReply): void => {
        if (reply.id !== id) return;
        finish('error' in reply ? { status: 'error', reason: `secretlint failed on the file (${reply.error})` } : { status: 'ok', messages: reply.messages });
      };
      const onError = (error: Error): void => {
        discard(slot);
        finish({ status: 'error', reason: `the secretlint worker crashed (${error.name})` });
      };
      const onExit = (): void => {
        discard(slot);
        finish({ status: 'error', reason: 'the secretlint worker exited' });
      };
      const timer = setTimeout(() => {
        discard(slot);
        finish({ status: 'timeout' });
      }, options.timeoutPerFileMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, filePath, content });
    });
  };

  return {
    warmUp: async () => {
      await Promise.all(slots.map((slot) => startWorker(slot)));
    },
    scan: async (filePath, content) => {
      if (closed) return { status: 'error', reason: 'the scanner is closed' };
      const slot = await acquire();
      try {
        return await run(slot, filePath, content);
      } finally {
        release(slot);
      }
    },
    close: async () => {
      closed = true;
      await Promise.all(slots.map(async (slot) => {
        const { worker } = slot;
        slot.worker = undefined;
        slot.ready = undefined;
        if (worker) await worker.terminate();
      }));
    },
  };
};
