import type { AwsCredentialIdentity } from '@smithy/types';
import { parentPort, workerData } from 'node:worker_threads';
import { createAwsSession } from '../../aws/session.js';
import { createCallBatch } from '../isolate.js';
import { createCallRecorder } from '../types.js';
import { planCalls } from './apis.js';
import type { BucketThreadCommand, BucketThreadMessage, BucketThreadRequest } from './bucket-threads.js';
import { examineBuckets } from './buckets.js';
import { s3ClientClass } from './clients.js';

/** The thread side of `examineInThread`: a session of its own, the buckets it was given, the findings back. */
const start = async (): Promise<void> => {
  const port = parentPort;
  if (!port) return;
  const request = workerData as BucketThreadRequest;
  const batch = createCallBatch((calls) => port.postMessage({ type: 'calls', calls } satisfies BucketThreadMessage));
  const send = (message: BucketThreadMessage): void => {
    batch.flush();
    port.postMessage(message);
  };
  const controller = new AbortController();
  const waiting = new Map<number, { resolve: (identity: AwsCredentialIdentity) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  port.on('message', (command: BucketThreadCommand) => {
    if (command.type === 'abort') controller.abort();
    if (command.type !== 'credentials') return;
    const pending = waiting.get(command.id);
    waiting.delete(command.id);
    if (command.identity) pending?.resolve(command.identity);
    else pending?.reject(new Error(command.error ?? 'no credentials'));
  });
  const credentials = (): Promise<AwsCredentialIdentity> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      send({ type: 'credentials', id });
    });
  const calls = createCallRecorder();
  const session = createAwsSession(
    {
      calls: {
        record: (api, outcome) => {
          calls.record(api, outcome);
          batch.record(api, outcome);
        },
        snapshot: calls.snapshot,
      },
      limits: { timeoutMs: request.timeoutMs, concurrency: (service, fallback) => (service === 's3' ? request.s3Concurrency : fallback), maxFileBytes: 0 },
      signal: controller.signal,
    },
    request.settings,
    request.homeRegion,
    request.tuning,
    { credentials },
  );
  try {
    const S3 = s3ClientClass(session.endpoint('s3'));
    const findings = await examineBuckets(
      session,
      (region) => session.client(S3, 's3', region),
      planCalls(new Set(request.needs)),
      request.buckets,
      { ...request.scope, bucketRegions: new Map(request.scope.bucketRegions) },
      request.bucketConcurrency,
    );
    send({ type: 'done', findings });
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  } finally {
    session.destroy();
  }
};

void start();
