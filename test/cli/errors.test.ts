import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { packageRoot } from '../../src/util/package-root.js';
import { runCli } from '../support/cli.js';
import { tempTree } from '../support/temp.js';

const DEMO = path.join(packageRoot, 'fixtures', 'demo');

describe('CLI: usage and input errors exit 2 with a clear message', () => {
  let tree: ReturnType<typeof tempTree>;
  before(() => {
    tree = tempTree({
      'repo/README.md': '# app\n',
      'bad/posture.yaml': 'sources: [local-repo]\nfailOn: extreme\n',
      'broken/posture.yaml': 'sources: [local-repo\n',
    });
  });
  after(() => tree.cleanup());

  it('prints help with the exit codes and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /Exit codes:/);
    assert.match(stdout, /scan \[options\] \[path\]/);
  });

  it('rejects an unknown option, source and format', async () => {
    const option = await runCli(['scan', '--bogus'], { cwd: tree.dir });
    assert.equal(option.code, 2);
    assert.match(option.stderr, /unknown option '--bogus'/);
    const source = await runCli(['scan', 'repo', '--sources', 'local-repo,nope'], { cwd: tree.dir });
    assert.equal(source.code, 2);
    assert.match(source.stderr, /unknown source "nope"; valid sources: local-repo/);
    const format = await runCli(['scan', 'repo', '--format', 'json,pdf'], { cwd: tree.dir });
    assert.equal(format.code, 2);
    assert.match(format.stderr, /unknown format "pdf"; valid formats: json, md/);
    const failOn = await runCli(['scan', 'repo', '--fail-on', 'urgent'], { cwd: tree.dir });
    assert.equal(failOn.code, 2);
  });

  it('refuses a --tree-id with spaces, and uses a valid one as the tree\'s identity', async () => {
    const bad = await runCli(['collect', 'repo', '--tree-id', 'my tree'], { cwd: tree.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--tree-id "my tree" must be one word without spaces/);
    const good = await runCli(['collect', 'repo', '--tree-id', 'https://github.com/acme/app', '--sources', 'local-repo'], { cwd: tree.dir });
    assert.equal(good.code, 0, good.stderr);
    const facts = JSON.parse(good.stdout) as { resources: { kind: string; id: string }[] };
    assert.deepEqual(facts.resources.filter((r) => r.kind === 'source.repository').map((r) => r.id), ['https://github.com/acme/app']);
  });

  it('stops quietly when the reader of --out - goes away early (posture evaluate --out - | head)', async () => {
    const facts = path.join(tree.dir, 'demo-facts.json');
    const collected = await runCli(['collect', DEMO, '--sources', 'local-repo', '--out', facts]);
    assert.equal(collected.code, 0, collected.stderr);
    const bin = fileURLToPath(new URL('../../bin/posture.js', import.meta.url));
    // The result is far larger than a pipe's buffer, so posture is still writing when head leaves.
    const piped = await execa('bash', ['-c', `node "${bin}" evaluate "${facts}" --out - --fail-on none | head -c 100 >/dev/null; echo "exit \${PIPESTATUS[0]}" >&2`], { reject: false });
    assert.match(piped.stderr, /exit 0/);
    assert.doesNotMatch(piped.stderr, /EPIPE|Unhandled/);
  });

  it('names a path that does not exist', async () => {
    const { code, stderr } = await runCli(['scan', 'no/such/dir'], { cwd: tree.dir });
    assert.equal(code, 2);
    assert.match(stderr, /no\/such\/dir: path to scan does not exist/);
    assert.ok(!stderr.includes('    at '), 'no stack trace');
  });

  it('names the configuration file, the JSON path and the line of an invalid value', async () => {
    const { code, stderr } = await runCli(['scan', '../repo'], { cwd: path.join(tree.dir, 'bad') });
    assert.equal(code, 2);
    assert.match(stderr, /posture\.yaml:2: not a valid config document at \/failOn: must be one of "critical", "high"/);
  });

  it('names the line of a YAML syntax error and of a missing --config file', async () => {
    const broken = await runCli(['scan', '../repo'], { cwd: path.join(tree.dir, 'broken') });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /posture\.yaml:\d+: invalid YAML/);
    const missing = await runCli(['scan', 'repo', '--config', 'nope.yaml'], { cwd: tree.dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml: configuration file not found/);
  });

  it('leaves the previous report intact when a run fails', async () => {
    const out = path.join(tree.dir, 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'result.json'), '{"previous":true}\n');
    const { code } = await runCli(['scan', 'repo', '--out', 'out', '--config', 'bad/posture.yaml'], { cwd: tree.dir });
    assert.equal(code, 2);
    assert.equal(readFileSync(path.join(out, 'result.json'), 'utf8'), '{"previous":true}\n');
  });

  it('rejects a facts document that is not valid JSON or does not match the schema', async () => {
    writeFileSync(path.join(tree.dir, 'facts.json'), '{"schemaVersion": "1", "tool": {}}');
    const invalid = await runCli(['evaluate', 'facts.json'], { cwd: tree.dir });
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /facts\.json: not a valid facts document at \/tool: must have required property 'name'/);
    writeFileSync(path.join(tree.dir, 'facts.json'), '{\n  "schemaVersion": "1",\n  oops\n}');
    const malformed = await runCli(['evaluate', 'facts.json'], { cwd: tree.dir });
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /facts\.json:3: not valid JSON/);
  });
});
