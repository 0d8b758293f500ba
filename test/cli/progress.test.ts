import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createProgressDisplay, progressWanted } from '../../src/cli/progress.js';
import { runCollectors } from '../../src/collectors/run.js';
import type { Collector } from '../../src/collectors/types.js';
import { testContext } from '../support/collect-context.js';
import { runCli } from '../support/cli.js';

/** A stream that records what is written, posing as a terminal when asked. */
const captured = (isTTY: boolean): Writable & { isTTY: boolean; columns: number; text: () => string } => {
  const chunks: string[] = [];
  const stream = new Writable({
    write: (chunk: Buffer | string, _encoding, done) => {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { isTTY, columns: 120, text: () => chunks.join(''), cursorTo: () => true, clearLine: () => true, moveCursor: () => true, clearScreenDown: () => true });
};

const fakeCollector = (id: 'aws-iam' | 'github', calls: number, resources: number, fail = false): Collector => ({
  id,
  description: id,
  needsCredentials: false,
  kinds: [],
  collect: async (ctx) => {
    for (let i = 0; i < calls; i++) ctx.calls.record(`${id}.Call`, { ms: 1 });
    if (fail) throw new Error('boom');
    return {
      resources: Array.from({ length: resources }, (_, i) => ({ kind: 'aws.iam.user' as const, id: `${id}-${i}`, name: `${id}-${i}`, source: id, attributes: {} })),
    };
  },
});

const context = () => testContext('/tmp');

describe('progress display', () => {
  it('is shown on a terminal outside CI, and the flags override that', () => {
    assert.equal(progressWanted(undefined, {}, { isTTY: true }), true);
    assert.equal(progressWanted(undefined, {}, { isTTY: false }), false);
    assert.equal(progressWanted(undefined, { CI: 'true' }, { isTTY: true }), false);
    assert.equal(progressWanted(undefined, { CI: 'false' }, { isTTY: true }), true);
    assert.equal(progressWanted(true, { CI: 'true' }, { isTTY: false }), true);
    assert.equal(progressWanted(false, {}, { isTTY: true }), false);
  });

  it('counts each source’s calls through the call recorder and its resources, with collectors unchanged', async () => {
    const stream = captured(true);
    const display = createProgressDisplay(stream);
    const seen: Record<string, { calls: number; resources: number }> = {};
    const spy = {
      source: (id: Collector['id']) => {
        const inner = display.source(id);
        const counts = (seen[id] = { calls: 0, resources: 0 });
        return {
          call: () => {
            counts.calls++;
            inner.call();
          },
          resources: (n: number) => {
            counts.resources = n;
            inner.resources(n);
          },
        };
      },
      done: display.done,
    };
    const facts = await runCollectors({
      collectors: [fakeCollector('aws-iam', 7, 3), fakeCollector('github', 2, 0, true)],
      context: context(),
      tool: { name: 'posture', version: 'test' },
      targets: { path: '.', treeId: 'tree' },
      progress: spy,
    });
    display.stop();
    assert.deepEqual(seen, { 'aws-iam': { calls: 7, resources: 3 }, github: { calls: 2, resources: 0 } });
    // The recorder still records: the progress hook wraps it, it does not replace it.
    assert.equal(facts.sources[0]?.calls.total, 7);
    const text = stream.text();
    assert.match(text, /aws-iam\s+complete\s+\| 3 resources \| 7 calls/);
    assert.match(text, /github\s+failed\s+\| 0 resources \| 2 calls/);
  });

  it('stays silent when stderr is not a terminal, and --progress forces it on', async function () {
    this.timeout(60_000);
    const args = ['collect', 'fixtures/demo', '--sources', 'local-repo', '--out', '/dev/null'];
    const quiet = await runCli(args, { env: { CI: '' } });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /resources \|/);
    const forced = await runCli([...args, '--progress'], { env: { CI: 'true' } });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /local-repo\s+complete\s+\| \d+ resources \| \d+ calls/);
  });
});
