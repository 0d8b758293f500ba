import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeReports, type Runtime } from '../../src/cli/pipeline.js';
import { writeReportsFromFile } from '../../src/cli/report-file.js';
import type { ResultDocument } from '../../src/engine/types.js';
import { createSchemaSet, loadJsonDocument } from '../../src/facts/documents.js';
import type { OutputFormat } from '../../src/reporters/index.js';
import type { SarifBuild } from '../../src/reporters/sarif.js';
import { createRedactor } from '../../src/util/redact.js';
import { runCli } from '../support/cli.js';
import { tempTree } from '../support/temp.js';
import { hostileResult } from '../threat-model/support/hostile.js';
import { buildSampleResult, sampleFacts } from '../threat-model/support/sample.js';

const FORMATS: OutputFormat[] = ['json', 'md', 'html', 'sarif'];
const FILES = ['result.json', 'report.md', 'report.html', 'report.sarif'];
const schemas = createSchemaSet();

// One fingerprint key for every runtime: markers then read the same in both ways of writing.
const runtime = (): Runtime => {
  const redactor = createRedactor({ key: 'report-file-test' });
  return { schemas, redactor, redact: (text: string) => redactor.redact(text) } as unknown as Runtime;
};

/** Runs `body` in a fresh directory, removed afterwards. */
const inTempDir = async (body: (dir: string) => Promise<void>): Promise<void> => {
  const tree = tempTree({});
  try {
    await body(tree.dir);
  } finally {
    tree.cleanup();
  }
};

/** Writes a result's text into `dir` and gives its path. */
const inputFile = (dir: string, text: string, name = 'input.json'): string => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

const noGuard = async (_sarif: ResultDocument | SarifBuild): Promise<void> => {};

/** Made-up values of the real shapes: a key id in one resource's name, its secret key in another's. */
const KEY_ID = 'AKIAZQ4STREAMTEST777';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzqSTREAMst';

const results: Record<string, () => ResultDocument> = {
  sample: () => buildSampleResult(),
  hostile: hostileResult,
  'key pair across findings': () =>
    buildSampleResult(
      sampleFacts({
        names: {
          'aws:111122223333:us-east-1': `region of ${KEY_ID}`,
          'arn:aws:iam::111122223333:user/bob': SECRET_KEY,
          'aws:111122223333:eu-west-1': '-----BEGIN RSA PRIVATE KEY-----',
        },
      }),
    ),
  'without a threat model': () => {
    const { threatModel: _m, assets: _a, threatRegister: _r, risks: _k, ...rest } = buildSampleResult();
    return rest as ResultDocument;
  },
};

describe('posture report of a result too large to hold, read in passes over the file', () => {
  for (const [name, make] of Object.entries(results)) {
    it(`writes the files the in-memory reports write, byte for byte: ${name}`, () =>
      inTempDir(async (dir) => {
        const file = inputFile(dir, `${JSON.stringify(make(), null, 2)}\n`);
        const whole = path.join(dir, 'whole');
        const streamed = path.join(dir, 'streamed');
        writeReports(runtime(), whole, loadJsonDocument<ResultDocument>(schemas, 'result', file), FORMATS);
        const written = await writeReportsFromFile(runtime(), file, streamed, FORMATS, noGuard);
        assert.deepEqual(written.map((f) => path.basename(f)), FILES);
        for (const out of FILES) {
          const text = readFileSync(path.join(streamed, out), 'utf8');
          assert.equal(text, readFileSync(path.join(whole, out), 'utf8'), out);
          assert.ok(!text.includes(SECRET_KEY) && !text.includes(KEY_ID) && !text.includes('BEGIN RSA PRIVATE KEY'), `no secret in ${out}`);
        }
      }));
  }

  it('reads whole a result whose long arrays come in another order, or one of them twice, and writes the same files', () =>
    inTempDir(async (dir) => {
      const { findings, assets, threatRegister, risks, ...rest } = buildSampleResult();
      const texts = {
        // The register before the assets, and the risks before the findings.
        reordered: JSON.stringify({ ...rest, threatRegister, assets, risks, findings }, null, 2),
        // A first findings member that JSON.parse replaces with the second.
        twice: JSON.stringify({ ...rest, findings: findings.slice(0, 3), assets, threatRegister, risks }, null, 2).replace(/\n}$/, `,\n"findings": ${JSON.stringify(findings)}\n}`),
      };
      for (const [name, text] of Object.entries(texts)) {
        const file = inputFile(dir, text, `${name}.json`);
        const whole = path.join(dir, name, 'whole');
        const streamed = path.join(dir, name, 'streamed');
        const parsed = JSON.parse(text) as ResultDocument;
        assert.equal(parsed.findings.length, findings.length, name);
        writeReports(runtime(), whole, parsed, FORMATS);
        await writeReportsFromFile(runtime(), file, streamed, FORMATS, noGuard);
        for (const out of FILES) assert.equal(readFileSync(path.join(streamed, out), 'utf8'), readFileSync(path.join(whole, out), 'utf8'), `${name}: ${out}`);
      }
    }));

  it('names the element and field of an invalid finding, and leaves the previous reports in place', () =>
    inTempDir(async (dir) => {
      const result = buildSampleResult();
      (result.findings[3] as { status: string }).status = 'maybe';
      const file = inputFile(dir, JSON.stringify(result, null, 2));
      const out = path.join(dir, 'out');
      mkdirSync(out);
      writeFileSync(path.join(out, 'report.md'), 'previous');
      await assert.rejects(writeReportsFromFile(runtime(), file, out, FORMATS, noGuard), (error: Error) => {
        assert.match(error.message, /at \/findings\/3\/status: must be one of/);
        return true;
      });
      assert.deepEqual(readdirSync(out), ['report.md']);
      assert.equal(readFileSync(path.join(out, 'report.md'), 'utf8'), 'previous');
    }));

  it('writes nothing when publishing refuses the SARIF log', () =>
    inTempDir(async (dir) => {
      const file = inputFile(dir, JSON.stringify(buildSampleResult(), null, 2));
      const out = path.join(dir, 'out');
      let scopes: string[] = [];
      const refuse = async (sarif: ResultDocument | SarifBuild): Promise<void> => {
        scopes = 'cloudScopes' in sarif ? sarif.cloudScopes : [];
        throw new Error('refused');
      };
      await assert.rejects(writeReportsFromFile(runtime(), file, out, FORMATS, refuse), /refused/);
      assert.ok(scopes.length > 0, 'the guard saw the cloud scopes');
      assert.ok(!existsSync(out), 'no file, staged or final, is left, nor the directory made for them');
    }));

  it('refuses a file that changed while it was read, and writes nothing', () =>
    inTempDir(async (dir) => {
      const text = JSON.stringify(buildSampleResult(), null, 2);
      const file = inputFile(dir, text);
      const out = path.join(dir, 'out');
      // Publishing's check runs between the passes and the commit: the file is rewritten there.
      const rewrite = async (): Promise<void> => writeFileSync(file, `${text}\n`);
      await assert.rejects(writeReportsFromFile(runtime(), file, out, FORMATS, rewrite), /changed while it was being read/);
      assert.ok(!existsSync(out), 'nothing is written');
    }));

  it('is what the CLI does for a file of 8 MiB or more, with the outputs of the same result read whole', () =>
    inTempDir(async (dir) => {
      const text = `${JSON.stringify(buildSampleResult(), null, 2)}\n`;
      const small = inputFile(dir, text, 'small.json');
      // The same document, padded with trailing white space past the size read in passes.
      const large = inputFile(dir, text + ' '.repeat(8 * 1024 * 1024 - Buffer.byteLength(text)), 'large.json');
      const args = (input: string, out: string) => ['report', input, '--out', path.join(dir, out), '--format', 'json,md,html,sarif'];
      const env = { POSTURE_FINGERPRINT_KEY: 'report-file-test' };
      const [whole, streamed] = [await runCli(args(small, 'whole'), { cwd: dir, env }), await runCli(args(large, 'streamed'), { cwd: dir, env })];
      assert.equal(whole.code, 0, whole.stderr);
      assert.equal(streamed.code, 0, streamed.stderr);
      for (const out of FILES) assert.ok(readFileSync(path.join(dir, 'streamed', out)).equals(readFileSync(path.join(dir, 'whole', out))), out);
    }));
});
