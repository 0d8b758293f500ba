import assert from 'node:assert/strict';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createAwsSession } from '../../src/aws/session.js';
import { createCallRecorder } from '../../src/collectors/types.js';
import { createRedactor } from '../../src/util/redact.js';
import { startDemoAws, withFakeAwsEnv } from '../support/fake-aws/index.js';

describe('AWS session: calls sent without options', () => {
  let fake: Awaited<ReturnType<typeof startDemoAws>>;
  let restore: (() => void) | undefined;
  before(async () => {
    fake = await startDemoAws();
    restore = withFakeAwsEnv(fake.url);
  });
  after(async () => {
    restore?.();
    await fake.close();
  });

  it("cancel their request when the scan's signal aborts, the SDK's middleware cached or not", async () => {
    const controller = new AbortController();
    const ctx = { calls: createCallRecorder(), limits: { timeoutMs: 60_000, concurrency: (_service: string, fallback: number) => fallback, maxFileBytes: 1024 }, signal: controller.signal, redactor: createRedactor({}) };
    const session = createAwsSession(ctx, { roleSessionName: 'posture', maxAttempts: 1 }, 'us-east-1');
    try {
      const sts = session.client(STSClient, 'sts', 'us-east-1');
      assert.equal(sts.config.cacheMiddleware, true);
      const ask = () => session.call('sts', 'GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})));
      // Answered first: the command's middleware is resolved and cached.
      assert.ok((await ask()).ok);
      // Then every answer is held far longer than the test waits, and the scan is cancelled.
      fake.faults.push({ service: 'sts', kind: 'slow', delayMs: 60_000 });
      const started = performance.now();
      const pending = ask();
      setTimeout(() => controller.abort(new Error('the deadline passed')), 300);
      const outcome = await pending;
      assert.ok(!outcome.ok, 'the held call fails');
      assert.ok(performance.now() - started < 10_000, `the call ended ${Math.round(performance.now() - started)} ms after it began: it waited for the server, not for the scan's signal`);
    } finally {
      session.destroy();
      fake.faults.length = 0;
    }
  });
});
