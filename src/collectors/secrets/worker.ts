import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from '@secretlint/node';
import type { SecretLintConfigDescriptor } from '@secretlint/types';
import type { WorkerReply, WorkerRequest } from './protocol.js';

/**
 * The worker that runs secretlint on one file at a time. It lives in its own thread so that the
 * collector can terminate it when a file takes too long (a runaway regular expression cannot be
 * interrupted from the same thread). Only the rule, the message id and the range leave it: the
 * matched text stays here, and secretlint is asked to mask it in its own messages anyway.
 */
const start = async (): Promise<void> => {
  const port = parentPort;
  if (!port) return;
  const { config } = workerData as { config: SecretLintConfigDescriptor };
  const engine = await createEngine({ configFileJSON: config, formatter: 'json', color: false, maskSecrets: true });
  port.on('message', (request: WorkerRequest) => {
    engine
      .executeOnContent({ content: request.content, filePath: request.filePath })
      .then(({ output }) => {
        const results = JSON.parse(output) as { messages?: { type?: string; ruleId?: string; messageId?: string; range?: [number, number] }[] }[];
        const messages = results
          .flatMap((result) => result.messages ?? [])
          .filter((m) => m.type === 'message' && typeof m.ruleId === 'string' && Array.isArray(m.range))
          .map((m) => ({ ruleId: m.ruleId as string, messageId: m.messageId ?? '', range: [Number(m.range?.[0]), Number(m.range?.[1])] as [number, number] }));
        port.postMessage({ id: request.id, messages } satisfies WorkerReply);
      })
      .catch((error: unknown) => {
        // The error's text could quote the file; only its class goes back.
        port.postMessage({ id: request.id, error: error instanceof Error ? error.name : 'Error' } satisfies WorkerReply);
      });
  });
  port.postMessage({ id: -1, messages: [] } satisfies WorkerReply);
};

void start().catch((error: unknown) => {
  parentPort?.postMessage({ id: -1, error: `secretlint could not start: ${error instanceof Error ? error.message : String(error)}` } satisfies WorkerReply);
});
