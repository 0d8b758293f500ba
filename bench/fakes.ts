// The benchmark's fake endpoints, run in their own process (forked by bench/run.ts) so that their
// work does not share an event loop or a CPU budget with the scan being measured. Every answer is
// delayed by the injected latency before it is served.
import { startFixtureAws } from '../test/support/fake-aws/index.js';
import { createFakeS3 } from '../test/support/fake-aws/s3.js';
import { fixturesFromScenario } from '../test/support/fake-github/fixtures.js';
import { startFakeGithub } from '../test/support/fake-github/server.js';
import { githubScenario, s3State, type EstateSize } from './estate.js';

export type FakesRequest = { iamDir: string; size: EstateSize; latencyMs: number };
export type FakesReady = { awsUrl: string; githubUrl: string };
export type FakesCounts = { aws: Record<string, number>; github: Record<string, number> };

const start = async (request: FakesRequest): Promise<void> => {
  const delay = request.latencyMs;
  const aws = await startFixtureAws({
    fixtures: request.iamDir,
    // The credential report is ready on the first request, as for an account scanned recently.
    reportReadyAfter: 0,
    faults: delay > 0 ? [{ kind: 'slow', delayMs: delay }] : [],
    extraServices: { s3: createFakeS3(s3State(request.size)) },
  });
  const github = await startFakeGithub(fixturesFromScenario(githubScenario(request.size)), {
    faults: delay > 0 ? [{ kind: 'slow', delayMs: delay }] : [],
    restLimit: 1_000_000,
  });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'counts') {
      const aws_: Record<string, number> = {};
      for (const call of aws.calls) aws_[`${call.service}.${call.operation}`] = (aws_[`${call.service}.${call.operation}`] ?? 0) + 1;
      const github_: Record<string, number> = {};
      for (const entry of github.log) {
        const key = entry.operation ? `graphql ${entry.operation}` : `${entry.method} ${entry.route}`;
        github_[key] = (github_[key] ?? 0) + 1;
      }
      process.send?.({ type: 'counts', counts: { aws: aws_, github: github_ } satisfies FakesCounts });
    }
    if (message.type === 'close') void Promise.all([aws.close(), github.close()]).then(() => process.exit(0));
  });
  process.send?.({ type: 'ready', ready: { awsUrl: aws.url, githubUrl: github.url } satisfies FakesReady });
};

process.once('message', (message: { type: string; request: FakesRequest }) => {
  if (message.type === 'start') void start(message.request);
});
