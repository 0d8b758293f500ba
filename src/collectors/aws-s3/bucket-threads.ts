import type { AwsCredentialIdentity } from '@smithy/types';
import { availableParallelism } from 'node:os';
import type { AwsSession, AwsTuning } from '../../aws/session.js';
import type { AwsSettings } from '../../aws/settings.js';
import type { Unknown } from '../../facts/types.js';
import { startWorker } from '../isolate.js';
import type { CollectContext } from '../types.js';
import type { BucketFindings, BucketScope, ListedBucket } from './buckets.js';

/** Everything a bucket thread needs, as data. */
export type BucketThreadRequest = {
  settings: AwsSettings;
  homeRegion: string;
  tuning?: AwsTuning;
  timeoutMs: number;
  /** This thread's share of the S3 bulkhead. */
  s3Concurrency: number;
  bucketConcurrency: number;
  /** The attributes the enabled rules need of a bucket: the thread plans its calls from them. */
  needs: string[];
  buckets: ListedBucket[];
  scope: Omit<BucketScope, 'bucketRegions'> & { bucketRegions: [string, string | Unknown][] };
};

export type BucketThreadMessage =
  | { type: 'calls'; calls: [api: string, outcome: Parameters<CollectContext['calls']['record']>[1]][] }
  | { type: 'credentials'; id: number }
  | { type: 'done'; findings: BucketFindings }
  | { type: 'error'; message: string };

export type BucketThreadCommand =
  | { type: 'abort' }
  | { type: 'credentials'; id: number; identity?: AwsCredentialIdentity; error?: string };

/** Fewer buckets than this are examined in the collector's own thread: starting a thread costs more. */
export const MIN_BUCKETS_TO_SPLIT = 100;

/**
 * How many threads examine the buckets. The AWS SDK spends about a millisecond of CPU on each call
 * (middleware, endpoint rules, signing, XML), and every bucket takes up to nine calls: over
 * hundreds of buckets one thread is busy enough that answers queue behind each other and the S3
 * bulkhead's slots are held longer than the calls take. Two threads, each with half of the
 * bulkhead, halve the queue; more would only divide the bulkhead further.
 */
export const bucketThreadsFor = (buckets: number, s3Concurrency: number, asked?: number): number => {
  if (asked !== undefined) return Math.max(1, Math.min(asked, s3Concurrency, buckets));
  return buckets >= MIN_BUCKETS_TO_SPLIT && s3Concurrency >= 2 && availableParallelism() >= 2 ? 2 : 1;
};

/** Splits `size` into `parts` shares that add up to it, the larger ones first. */
export const shares = (size: number, parts: number): number[] => Array.from({ length: parts }, (_, i) => Math.floor(size / parts) + (i < size % parts ? 1 : 0));

/**
 * Examines buckets in a worker thread of their own, with its own SDK clients and its share of the
 * S3 bulkhead. Credentials come from the collector's session (asked for over the thread's port),
 * so no second AssumeRole is made and a refresh happens in one place; the calls the thread makes
 * are recorded into the collector's call recorder as they come.
 */
export const examineInThread = (ctx: Pick<CollectContext, 'calls' | 'signal'>, session: AwsSession, request: BucketThreadRequest): Promise<BucketFindings> =>
  new Promise<BucketFindings>((resolve, reject) => {
    const worker = startWorker(import.meta.url, 'bucket-worker', request);
    let settled = false;
    const post = (command: BucketThreadCommand): void => worker.postMessage(command);
    const abort = (): void => post({ type: 'abort' });
    if (ctx.signal.aborted) abort();
    else ctx.signal.addEventListener('abort', abort, { once: true });
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', abort);
      outcome();
      void worker.terminate();
    };
    worker.on('message', (message: BucketThreadMessage) => {
      switch (message.type) {
        case 'calls':
          for (const [api, outcome] of message.calls) ctx.calls.record(api, outcome);
          break;
        case 'credentials':
          session.credentials().then(
            (identity) => post({ type: 'credentials', id: message.id, identity }),
            (error: unknown) => post({ type: 'credentials', id: message.id, error: error instanceof Error ? error.message : String(error) }),
          );
          break;
        case 'done':
          settle(() => resolve(message.findings));
          break;
        case 'error':
          settle(() => reject(new Error(message.message)));
          break;
      }
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`an S3 bucket thread exited (code ${code}) before it finished`))));
  });
