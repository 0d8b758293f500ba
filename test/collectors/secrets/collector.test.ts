import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { publicPrefixOf } from '../../../src/collectors/secrets/classify.js';
import { secretsCollector } from '../../../src/collectors/secrets/index.js';
import { runCollectors } from '../../../src/collectors/run.js';
import type { CollectorOutput } from '../../../src/collectors/types.js';
import { createSchemaSet, describeAjvError } from '../../../src/facts/documents.js';
import type { Resource } from '../../../src/facts/types.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { createRedactor } from '../../../src/util/redact.js';
import { testContext } from '../../support/collect-context.js';

type Sample = { id: string; file: string; note: string; expect: { type: string; line: number }[]; values?: string[]; content: string };

const corpus = (parse(readFileSync(path.join(packageRoot, 'fixtures/secrets/corpus.yaml'), 'utf8')) as { samples: Sample[] }).samples;
const FINGERPRINT_KEY = 'test-fingerprint-key-0123456789';

const scratch = (prefix = 'posture-secrets-'): string => mkdtempSync(path.join(os.tmpdir(), prefix));

const write = (root: string, file: string, content: string | Buffer): void => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
};

/** Random bytes that look like a DER file (and hold a NUL, as binary files do). */
const fakeBinaryKey = (): Buffer => Buffer.concat([Buffer.from([0x30, 0x82, 0x0a, 0x1e, 0x02, 0x01, 0x03, 0x00]), randomBytes(2590)]);

/** Every 8-character piece of a value that is not part of its public, documented prefix or armour. */
const privatePieces = (value: string): string[] => {
  const skip = publicPrefixOf(value).length;
  const pieces: string[] = [];
  for (let i = Math.max(0, skip - 7); i + 8 <= value.length; i++) {
    const piece = value.slice(i, i + 8);
    if (i + 8 <= skip || /\s/.test(piece)) continue;
    pieces.push(piece);
  }
  return pieces;
};

/** Asserts that no planted value, nor any 8-character piece of one, is in the text. */
const assertNoLeak = (text: string, values: string[]): void => {
  for (const value of values) {
    assert.ok(!text.includes(value), `a planted value appears verbatim (${value.length} chars)`);
    const leaked = privatePieces(value).find((piece) => text.includes(piece));
    assert.equal(leaked, undefined, `an 8-character piece of a planted value appears: ${leaked ? `${leaked.slice(0, 2)}...` : ''}`);
  }
};

const occurrencesOf = (resources: Resource[], file: string): { type: string; line: number }[] =>
  resources
    .filter((r) => r.location?.path === file)
    .flatMap((r) => (r.attributes.occurrences as { line: number }[]).map((o) => ({ type: r.attributes.type as string, line: o.line })))
    .sort((a, b) => a.line - b.line || a.type.localeCompare(b.type));

describe('secrets collector', function () {
  this.timeout(120_000);

  describe('over the corpus of true and false positives', () => {
    const root = scratch();
    let output: CollectorOutput;
    let logged: string[];
    let factsText: string;
    const binaryKeys = ['keystore/app.p12', 'keystore/release.jks'];

    before(async () => {
      for (const sample of corpus) write(root, sample.file, sample.content);
      for (const file of binaryKeys) write(root, file, fakeBinaryKey());
      write(root, 'assets/logo.png', Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n\0', 'binary'), Buffer.from(`AKIA${'Q'.repeat(4)}TESTINBINARY1`)]));
      const ctx = testContext(root);
      logged = ctx.logged;
      const facts = await runCollectors({ collectors: [secretsCollector], context: ctx, tool: { name: 'posture', version: 'test' }, targets: { path: '.', treeId: 'acme/tree' } });
      factsText = JSON.stringify(facts);
      output = { resources: facts.resources, gaps: facts.sources[0]?.gaps ?? [], notes: facts.sources[0]?.notes ?? [], excluded: facts.excluded };
      assert.equal(facts.sources[0]?.status, 'complete', facts.sources[0]?.reason);
    });

    for (const sample of corpus) {
      it(`${sample.expect.length > 0 ? 'finds' : 'does not report'} ${sample.id}: ${sample.note}`, () => {
        const expected = [...sample.expect].sort((a, b) => a.line - b.line || a.type.localeCompare(b.type));
        assert.deepEqual(occurrencesOf(output.resources, sample.file), expected);
      });
    }

    it('reports binary keystores by name, at line 1, and skips other binary files', () => {
      for (const file of binaryKeys) {
        const found = output.resources.filter((r) => r.location?.path === file);
        assert.equal(found.length, 1, file);
        assert.equal(found[0]?.attributes.type, 'key-file');
        assert.deepEqual(found[0]?.location, { path: file, line: 1 });
      }
      assert.deepEqual(occurrencesOf(output.resources, 'assets/logo.png'), []);
      assert.ok(output.notes?.some((n) => /binary files were not scanned/.test(n)));
    });

    it('gives each resource the contract id, a keyed fingerprint and a preview with the public prefix only', () => {
      const schemas = createSchemaSet();
      const validate = schemas.kindValidator('source.secret');
      for (const resource of output.resources) assert.ok(validate?.(resource.attributes), `${resource.id}: ${validate?.errors?.map(describeAjvError).join('; ')}`);
      const bySample = new Map(corpus.map((s) => [s.file, s]));
      for (const resource of output.resources) {
        const { type, fingerprint, preview } = resource.attributes as { type: string; fingerprint: string; preview: string };
        assert.match(fingerprint, /^[0-9a-f]{64}$/);
        assert.equal(resource.id, `acme/tree/${resource.location?.path}#${type}:${fingerprint.slice(0, 8)}`);
        assert.equal(resource.discriminator, fingerprint);
        assert.match(preview, /(^|\()\d+ (chars|bytes)\)?$/);
        const sample = bySample.get(resource.location?.path ?? '');
        if (sample?.id === 'github-tokens') assert.match(preview, /^(gh[pousr]_|github_pat_)\.\.\. \(\d+ chars\)$/);
      }
      const token = corpus.find((s) => s.id === 'npm-token-in-ci')?.values?.[0] as string;
      const npm = output.resources.find((r) => r.location?.path === 'ci/publish.sh');
      assert.equal(npm?.attributes.fingerprint, createHmac('sha256', FINGERPRINT_KEY).update(token).digest('hex'));
      assert.equal(npm?.attributes.preview, `npm_... (${token.length} chars)`);
    });

    it('rates cloud keys and private keys critical, tokens high', () => {
      const severity = (type: string): unknown[] => [...new Set(output.resources.filter((r) => r.attributes.type === type).map((r) => r.attributes.severity))];
      assert.deepEqual(severity('aws-access-key-id'), ['critical']);
      assert.deepEqual(severity('aws-secret-access-key'), ['critical']);
      assert.deepEqual(severity('private-key'), ['critical']);
      assert.deepEqual(severity('github-token'), ['high']);
      assert.deepEqual(severity('generic-credential'), ['high']);
    });

    it('never puts a planted value, or any 8-character piece of one, in the facts, notes or logs', () => {
      const values = corpus.flatMap((s) => s.values ?? []);
      assert.ok(values.length >= 20);
      assertNoLeak(factsText, values);
      assertNoLeak(logged.join('\n'), values);
    });

    it('says that history is not scanned and how the files were chosen', () => {
      assert.ok(output.notes?.some((n) => n.includes('git history is not scanned')));
      assert.ok(output.notes?.some((n) => n.includes('.gitignore does not ignore')));
    });
  });

  it('registers every value with the scan redactor, whose marker matches the finding', async () => {
    const root = scratch();
    const sample = corpus.find((s) => s.id === 'generic-yaml') as Sample;
    write(root, sample.file, sample.content);
    const redactor = createRedactor({ key: FINGERPRINT_KEY });
    const ctx = { ...testContext(root), redactor };
    const output = await secretsCollector.collect(ctx);
    const [resource] = output.resources;
    const value = sample.values?.[0] as string;
    const redacted = redactor.redact(`connecting with ${value} as app`);
    assert.equal(redacted, `connecting with [secret:generic-credential:${(resource?.attributes.fingerprint as string).slice(0, 8)}] as app`);
  });

  it('scans the files git tracks, including a committed file that is now ignored', async () => {
    const root = scratch('posture-secrets-git-');
    const token = `ghp_${'Tr4ck3dC0mm1tt3dT0k3n'.padEnd(36, 'q')}`;
    const untracked = `ghp_${'Untr4ck3dT0k3n'.padEnd(36, 'z')}`;
    write(root, 'config/deploy.env', `GITHUB_TOKEN=${token}\n`);
    write(root, 'README.md', '# app\n');
    const git = (...args: string[]) => execa('git', ['-c', 'user.name=posture', '-c', 'user.email=posture@example.invalid', ...args], { cwd: root });
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'initial');
    write(root, '.gitignore', 'config/deploy.env\nscratch/\n');
    write(root, 'notes/todo.txt', `GITHUB_TOKEN=${untracked}\n`);
    write(root, 'scratch/ignored.txt', `GITHUB_TOKEN=${untracked}\n`);
    const ctx = testContext(root);
    const output = await secretsCollector.collect(ctx);
    assert.deepEqual(output.resources.map((r) => r.location), [{ path: 'config/deploy.env', line: 1 }]);
    assert.ok(output.notes?.some((n) => n.includes('files git tracks')));
    assert.equal(ctx.calls.snapshot().byApi['git ls-files']?.calls, 1);
  });

  it('outside git, honours every .gitignore in the tree', async () => {
    const root = scratch();
    const token = `ghp_${'N0tG1tT0k3n'.padEnd(36, 'w')}`;
    write(root, '.gitignore', 'build/\n');
    write(root, 'build/out.js', `t = "${token}"\n`);
    write(root, 'pkg/.gitignore', '*.local\n');
    write(root, 'pkg/settings.local', `t = "${token}"\n`);
    write(root, 'pkg/settings.js', `t = "${token}"\n`);
    write(root, 'node_modules/dep/index.js', `t = "${token}"\n`);
    const output = await secretsCollector.collect(testContext(root));
    assert.deepEqual(output.resources.map((r) => r.location), [{ path: 'pkg/settings.js', line: 1 }]);
    assert.deepEqual(output.excluded, ['node_modules/']);
  });

  it('reports one resource per value per file, with every line it is on', async () => {
    const root = scratch();
    const token = `xoxb-${'1234567890'}-${'9876543210'}-${'Tw1c3Us3dB0tT0k3nAbCdEf'}`;
    write(root, 'bot.py', `TOKEN = "${token}"\n\n# again\nFALLBACK = "${token}"\n`);
    const output = await secretsCollector.collect(testContext(root));
    assert.equal(output.resources.length, 1);
    assert.deepEqual((output.resources[0]?.attributes.occurrences as { line: number }[]).map((o) => o.line), [1, 4]);
  });

  it('stops a runaway pattern with its worker, records the file as a gap, and scans the rest', async () => {
    const root = scratch();
    const token = `ghp_${'AfterTheRunaway'.padEnd(36, 'k')}`;
    write(root, 'a-slow.txt', `${'a'.repeat(40)}!\n`);
    write(root, 'b-token.sh', `export T=${token}\n`);
    const started = Date.now();
    const output = await secretsCollector.collect(
      testContext(root, { config: { secrets: { timeoutPerFileMs: 1500, patterns: [{ name: 'runaway', pattern: '/^(a+)+$/m' }] } } }),
    );
    assert.ok(Date.now() - started < 60_000);
    assert.deepEqual(output.gaps?.map((g) => g.resource), ['acme/tree/a-slow.txt']);
    assert.match(output.gaps?.[0]?.reason ?? '', /did not finish this file within 1500 ms and was stopped/);
    assert.deepEqual(output.resources.map((r) => r.location?.path), ['b-token.sh']);
  });

  it("reports the organisation's own patterns with type secret", async () => {
    const root = scratch();
    write(root, 'app.cfg', 'internal_ticket_key = ACME-7f3a9c2e1b4d8f60\n');
    const output = await secretsCollector.collect(testContext(root, { config: { secrets: { patterns: [{ name: 'acme-key', pattern: '/ACME-[0-9a-f]{16}/' }] } } }));
    assert.deepEqual(output.resources.map((r) => [r.attributes.type, r.attributes.detector, r.location?.line]), [['secret', 'secretlint:pattern#secrets.patterns', 1]]);
  });

  it('leaves files above maxFileBytes unscanned and lists them as excluded', async () => {
    const root = scratch();
    write(root, 'big.sql', `-- dump\n${'x'.repeat(4096)}\npassword = "N0tR3adB3caus3B1g"\n`);
    write(root, 'small.env', 'DB_PASSWORD=Sm4llF1l3P4ssw0rd\n');
    const output = await secretsCollector.collect(testContext(root, { config: { secrets: { maxFileBytes: 2048 } } }));
    assert.deepEqual(output.excluded, ['big.sql']);
    assert.deepEqual(output.resources.map((r) => r.location?.path), ['small.env']);
    assert.ok(output.notes?.some((n) => n.includes('larger than 2048 bytes')));
  });

  it('does not report values the configuration allows', async () => {
    const root = scratch();
    write(root, 'test/fixtures.env', 'DB_PASSWORD=fixture-only-Pw0rd1\nAPI_KEY=R3alL00k1ngK3y77\n');
    const output = await secretsCollector.collect(testContext(root, { config: { secrets: { allow: ['/^fixture-only-/'] } } }));
    assert.deepEqual(output.resources.map((r) => r.location?.line), [2]);
    assert.ok(output.notes?.some((n) => n.includes('allowed by secrets.allow')));
  });
});
