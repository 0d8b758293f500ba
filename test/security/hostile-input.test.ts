import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml, parse as fromYaml } from 'yaml';
import { PostureError, describeError } from '../../src/cli/errors.js';
import { loadCsfCatalogue } from '../../src/engine/csf.js';
import { loadRules } from '../../src/engine/rules.js';
import { loadConfig, loadSuppressions } from '../../src/config/load.js';
import { createSchemaSet, loadJsonDocument, parseYaml, type SchemaSet } from '../../src/facts/documents.js';
import { loadThreatModelFile } from '../../src/threat-model/model.js';
import { toResources } from '../../src/collectors/osv/parse.js';
import { createOsvValidators } from '../../src/collectors/osv/schema.js';
import { parseCredentialReport, accessKeysOf, activeCredentialsOf } from '../../src/collectors/aws-iam/credential-report.js';
import { collectWorkflows } from '../../src/collectors/local-repo/workflows.js';
import { createTreeFiles } from '../../src/collectors/local-repo/tree-files.js';
import { isUnknown, type Resource } from '../../src/facts/types.js';
import { listTree } from '../../src/util/tree.js';
import { runCli, runInProcess } from '../support/cli.js';

// A fixed seed keeps CI reproducible; POSTURE_FUZZ_SEED explores other inputs, and a failure prints
// the seed and path that replay it.
fc.configureGlobal({ seed: Number(process.env.POSTURE_FUZZ_SEED ?? 20261125) });
import { tempTree } from '../support/temp.js';

const repo = path.resolve(import.meta.dirname, '..', '..');
const fixture = (...parts: string[]): string => readFileSync(path.join(repo, ...parts), 'utf8');
const RUNS = 100;

// Inputs that have broken YAML parsers: alias bombs, nesting that overflows the stack, long lines,
// tags that some parsers execute, NUL bytes, a byte-order mark, duplicate keys, several documents.
const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n');
const HOSTILE_YAML = [
  laughs,
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}`,
  Array.from({ length: 1_500 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'),
  `name: ${'x'.repeat(1_000_000)}`,
  `- ${'- '.repeat(10_000)}x`,
  '!!js/function "function () { process.exit(9) }"',
  '!<tag:yaml.org,2002:js/undefined> ""',
  'a: 1\na: 2',
  '---\na: 1\n---\nb: 2',
  '\u0000\u0001\u0002',
  '\uFEFFname: x',
  '\tname: x',
  '<<: *missing',
  'x: &x\n  y: *x',
  '"unterminated',
  '? [a, b]\n: c',
  'name: !!binary aGVsbG8=',
  '%YAML 9.9\n---\na: 1',
];

/** Arbitrary corruptions of a valid text: truncation, insertion, a hostile line, line swaps. */
const corruptText = (seed: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.nat().map((i) => seed.slice(0, i % (seed.length + 1))),
    fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 40 })).map(([i, s]) => {
      const at = i % (seed.length + 1);
      return seed.slice(0, at) + s + seed.slice(at);
    }),
    fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_YAML)).map(([i, s]) => {
      const lines = seed.split('\n');
      lines.splice(i % (lines.length + 1), 0, s);
      return lines.join('\n');
    }),
    fc.constantFrom(...HOSTILE_YAML),
    fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => {
      const lines = seed.split('\n');
      const i = a % lines.length;
      const j = b % lines.length;
      [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
      return lines.join('\n');
    }),
  );

const hostileValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('', '<script>alert(1)</script>', '__proto__', 'constructor', -1, 1e308, '9999-99-99', '*', null, [], {}));

/** Replaces the value at a random place in a parsed document with something arbitrary. */
const corruptValue = (seed: unknown): fc.Arbitrary<unknown> =>
  fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), hostileValue(), fc.boolean()).map(([choices, value, asKey]) => {
    const copy = structuredClone(seed) as unknown;
    let node = copy as Record<string, unknown> | unknown[];
    for (const [depth, choice] of choices.entries()) {
      const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (keys.length === 0) break;
      const key = keys[choice % keys.length] as string & number;
      const child = (node as Record<string, unknown>)[key];
      const last = depth === choices.length - 1 || child === null || typeof child !== 'object';
      if (last) {
        if (asKey && !Array.isArray(node)) (node as Record<string, unknown>)[typeof value === 'string' ? value : 'unexpected'] = child;
        else (node as Record<string, unknown>)[key] = value;
        break;
      }
      node = child as Record<string, unknown>;
    }
    return copy;
  });

const yamlCases = (seed: string): fc.Arbitrary<string> =>
  fc.oneof(corruptText(seed), corruptValue(fromYaml(seed)).map((v) => toYaml(v)), fc.jsonValue({ maxDepth: 4 }).map((v) => toYaml(v)));

const jsonCases = (seed: string): fc.Arbitrary<string> =>
  fc.oneof(
    corruptText(seed),
    corruptValue(JSON.parse(seed)).map((v) => JSON.stringify(v)),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.constant(`${'['.repeat(200_000)}${']'.repeat(200_000)}`),
    fc.constant(`{"facts": "${'x'.repeat(2_000_000)}"}`),
  );

/** A loader either succeeds or fails with one clear PostureError naming the file. */
const assertClean = (file: string, load: () => unknown): void => {
  const started = Date.now();
  try {
    load();
  } catch (error) {
    if (!(error instanceof PostureError)) assert.fail(`uncaught ${(error as Error).name}: ${(error as Error).message}\n${(error as Error).stack ?? ''}`);
    assert.notEqual(error.template, 'internal', describeError(error));
    assert.ok(describeError(error).startsWith(error.file ?? '\0'), `the message names the file: ${describeError(error)}`);
    assert.ok(path.resolve(error.file ?? '').endsWith(path.basename(file)), `names ${file}: ${describeError(error)}`);
    if (/^invalid YAML: (?!document is nested|Excessive alias)/.test(error.message)) assert.ok(error.line, `a syntax error names its line: ${describeError(error)}`);
    if (/^not a valid \S+ document at \//.test(error.message) && !file.endsWith('.json')) assert.ok(error.line, `a schema error names its line: ${describeError(error)}`);
  }
  assert.ok(Date.now() - started < 5_000, `refused quickly (${Date.now() - started} ms)`);
};

describe('hostile and broken input', function () {
  this.timeout(240_000);
  let schemas: SchemaSet;
  let dir: string;
  let cleanup: () => void;
  const csf = loadCsfCatalogue();

  before(() => {
    schemas = createSchemaSet();
    ({ dir, cleanup } = tempTree({}));
  });
  after(() => cleanup());

  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };

  describe('documents posture reads: never an uncaught exception, always the file and its line', () => {
    const configSeed = toYaml({
      sources: ['local-repo', 'secrets'],
      failOn: 'high',
      paths: { exclude: ['vendor'] },
      rules: { exclude: ['source-codeowners-present'], params: { 'iam-access-keys-rotated': { maxAgeDays: 90 } } },
      suppressions: [{ rule: 'source-secret-not-committed', resource: 'main:*', reason: 'test keys', owner: 'sec@example.com', expires: '2027-01-01' }],
      limits: { maxFileBytes: 2048, timeoutMs: 1000 },
    });
    const ruleFile = readdirSync(path.join(repo, 'rules', 'source')).find((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml')) as string;
    const ruleSeed = fixture('rules', 'source', ruleFile);

    it('posture.yaml', () => {
      fc.assert(
        fc.property(yamlCases(configSeed), (text) => {
          const file = write('config/posture.yaml', text);
          assertClean(file, () => loadConfig(schemas, file, dir));
        }),
        { numRuns: RUNS },
      );
    });

    it('rule YAML', () => {
      fc.assert(
        fc.property(yamlCases(ruleSeed), (text) => {
          const file = write(`rules/${ruleFile}`, text);
          assertClean(file, () => loadRules([{ dir: path.join(dir, 'rules'), builtin: false }], schemas, csf));
        }),
        { numRuns: RUNS },
      );
    });

    it('threat-model.yaml', () => {
      const seed = fixture('fixtures', 'threat-model', 'acme.threat-model.yaml');
      fc.assert(
        fc.property(yamlCases(seed), (text) => {
          const file = write('threat-model.yaml', text);
          assertClean(file, () => loadThreatModelFile(schemas, file));
        }),
        { numRuns: RUNS },
      );
    });

    it('.posture-ignore.yaml', () => {
      const seed = toYaml({ suppressions: [{ rule: 's3-bucket-not-public', resource: 'arn:aws:s3:::acme-*', reason: 'website', owner: 'web@example.com', expires: '2027-06-30', ticket: 'SEC-1' }] });
      fc.assert(
        fc.property(yamlCases(seed), (text) => {
          write('tree/.posture-ignore.yaml', text);
          assertClean(path.join(dir, 'tree', '.posture-ignore.yaml'), () => loadSuppressions(schemas, { config: {}, hash: '' }, path.join(dir, 'tree')));
        }),
        { numRuns: RUNS },
      );
    });

    it('facts and result documents', () => {
      const resultSeed = fixture('fixtures', 'threat-model', 'result.json');
      const result = JSON.parse(resultSeed) as { facts?: unknown };
      const factsSeed = JSON.stringify(result.facts ?? {});
      fc.assert(
        fc.property(jsonCases(resultSeed), (text) => {
          const file = write('result.json', text);
          assertClean(file, () => loadJsonDocument(schemas, 'result', file));
          // The same text read in parts, as a document too large for one string is.
          assertClean(file, () => loadJsonDocument(schemas, 'result', file, { streamFromBytes: 0 }));
        }),
        { numRuns: RUNS },
      );
      fc.assert(
        fc.property(jsonCases(factsSeed), (text) => {
          const file = write('facts.json', text);
          assertClean(file, () => loadJsonDocument(schemas, 'facts', file));
          assertClean(file, () => loadJsonDocument(schemas, 'facts', file, { streamFromBytes: 0 }));
        }),
        { numRuns: RUNS },
      );
    });

    it('refuses alias bombs, deep nesting and oversized files quickly, naming the file', () => {
      const cases: [string, RegExp][] = [
        [laughs, /alias/i],
        [`${'['.repeat(20_000)}${']'.repeat(20_000)}`, /nested too deeply/],
        [`${'- '.repeat(20_000)}x`, /nested too deeply/],
        [`a: ${'x'.repeat(5 * 1024 * 1024)}`, /bytes; the limit/],
      ];
      for (const [text, reason] of cases) {
        const file = write('bomb.yaml', text);
        const started = Date.now();
        assert.throws(
          () => loadThreatModelFile(schemas, file),
          (error: unknown) => error instanceof PostureError && error.file === file && reason.test(error.message),
        );
        assert.ok(Date.now() - started < 3_000, `${text.slice(0, 20)}: refused in ${Date.now() - started} ms`);
      }
      // A long line that fits the size limit is ordinary text, read in well under a second.
      const started = Date.now();
      assert.equal((parseYaml(`name: ${'x'.repeat(1_000_000)}`, 'long.yaml').data as { name: string }).name.length, 1_000_000);
      assert.ok(Date.now() - started < 2_000);
    });
  });

  describe("collectors' parsers: a hostile tool output or file gives a gap or an unknown, never a throw", () => {
    it('osv-scanner JSON', () => {
      const seeds = ['multiple-packages-with-vulns.json', 'snapshot-grouped-packages.json', 'snapshot-some-missing-content.json'].map((f) =>
        JSON.parse(fixture('fixtures', 'osv', 'scanner-output', f)) as unknown,
      );
      const validators = createOsvValidators();
      let accepted = 0;
      fc.assert(
        fc.property(fc.constantFrom(...seeds).chain((seed) => fc.oneof(corruptValue(seed), corruptValue(seed).chain((s) => corruptValue(s)))), (output) => {
          if (!validators.output(output)) return; // the collector reports a gap for these
          accepted++;
          const parsed = toResources({ output: output as never, validators, root: '/tree', treeId: 'main', excludes: [], unratedSeverity: 'high' });
          assert.ok(Array.isArray(parsed.resources) && Array.isArray(parsed.gaps));
        }),
        { numRuns: RUNS * 2 },
      );
      assert.ok(accepted > RUNS / 4, `enough corrupted outputs still pass the shape check to exercise the parser (${accepted})`);
    });

    it('credential report CSV', () => {
      const seed = fixture('fixtures', 'aws', 'iam', 'seeded', 'iam', 'credential-report.csv');
      let parsed = 0;
      fc.assert(
        fc.property(fc.oneof(corruptText(seed), fc.string({ unit: 'binary' }), fc.array(fc.array(fc.string(), { maxLength: 25 }), { maxLength: 5 }).map((rows) => [seed.split('\n')[0], ...rows.map((r) => r.join(','))].join('\n'))), (csv) => {
          let rows;
          try {
            rows = parseCredentialReport(csv);
          } catch (error) {
            // The collector turns any throw here into an `Unparseable` gap; it must be an Error with a message.
            assert.ok(error instanceof Error && error.message.length > 0);
            return;
          }
          parsed++;
          for (const row of rows) {
            accessKeysOf(row);
            activeCredentialsOf(row);
          }
        }),
        { numRuns: RUNS },
      );
      assert.ok(parsed > 10, `some corrupted reports still parse and are read row by row (${parsed})`);
    });

    it('workflow YAML', () => {
      const seeds = ['ci.yml', 'safe.yaml'].map((f) => fixture('fixtures', 'local-repo', 'workflows', '.github', 'workflows', f));
      mkdirSync(path.join(dir, 'wf', '.github', 'workflows'), { recursive: true });
      const collect = (text: string): Resource[] => {
        writeFileSync(path.join(dir, 'wf', '.github', 'workflows', 'w.yml'), text);
        writeFileSync(path.join(dir, 'wf', '.github', 'workflows', 'ok.yml'), seeds[1] as string);
        return collectWorkflows(createTreeFiles('t', listTree(path.join(dir, 'wf'), []), 8 * 1024 * 1024));
      };
      fc.assert(
        fc.property(fc.constantFrom(...seeds).chain((seed) => yamlCases(seed)), (text) => {
          const started = Date.now();
          const workflows = collect(text);
          assert.equal(workflows.length, 2);
          const ok = workflows.find((w) => w.name.endsWith('ok.yml'));
          assert.ok(ok && !isUnknown(ok.attributes.jobs), 'the other workflow is still read');
          assert.ok(Date.now() - started < 5_000);
        }),
        { numRuns: RUNS },
      );
      // An alias bomb in a job's permissions, and nesting deep enough to overflow the parser: unknown.
      for (const text of [`${laughs}\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    permissions: *i\n    steps: []\n`, `${'- '.repeat(10_000)}x\n`]) {
        const bad = collect(text).find((w) => w.name.endsWith('w.yml'));
        assert.ok(bad && isUnknown(bad.attributes.jobs), JSON.stringify(bad?.attributes.jobs).slice(0, 200));
      }
    });
  });

  describe('through the CLI: exit code 2, the file named, the previous report intact', () => {
    let tree: { dir: string; cleanup: () => void };
    before(() => {
      tree = tempTree({ 'repo/README.md': '# demo\n', 'repo/SECURITY.md': 'mail us\n' });
    });
    after(() => tree.cleanup());

    it('in process: a broken config, threat model or ignore file leaves the last report as it was', async () => {
      const out = path.join(tree.dir, 'out');
      const base = ['scan', 'repo', '--sources', 'local-repo', '--out', out, '--format', 'json,md', '--fail-on', 'none', '--scan-time', '2026-06-01T00:00:00Z'];
      const env = { POSTURE_FINGERPRINT_KEY: 'hostile-input-test' };
      const first = await runInProcess(base, env, tree.dir);
      assert.equal(first.code, 0, first.stderr);
      let before = readFileSync(path.join(out, 'result.json'), 'utf8');
      const seeds: [string, string, string[]][] = [
        ['bad/posture.yaml', toYaml({ sources: ['local-repo'], failOn: 'high' }), ['--config', 'bad/posture.yaml']],
        ['bad/threat-model.yaml', fixture('fixtures', 'threat-model', 'acme.threat-model.yaml'), ['--threat-model', 'bad/threat-model.yaml']],
        ['repo/.posture-ignore.yaml', toYaml({ suppressions: [{ rule: 'x', resource: '*', reason: 'r', owner: 'o', expires: '2027-01-01' }] }), []],
      ];
      let refused = 0;
      mkdirSync(path.join(tree.dir, 'bad'), { recursive: true });
      for (const [name, seed, args] of seeds) {
        await fc.assert(
          fc.asyncProperty(yamlCases(seed), async (text) => {
            writeFileSync(path.join(tree.dir, name), text);
            const { code, stderr } = await runInProcess([...base, ...args], env, tree.dir);
            assert.ok([0, 2].includes(code), `exit ${code}: ${stderr}`);
            assert.doesNotMatch(stderr, /internal error|\n\s+at /, 'no internal error and no stack trace');
            if (code === 0) before = readFileSync(path.join(out, 'result.json'), 'utf8');
            if (code === 2) {
              refused++;
              assert.match(stderr, new RegExp(path.basename(name).replace('.', '\\.')), `names the file: ${stderr}`);
              assert.equal(readFileSync(path.join(out, 'result.json'), 'utf8'), before, 'the previous report is intact');
            }
          }),
          { numRuns: 15 },
        );
        rmSync(path.join(tree.dir, name));
      }
      assert.ok(refused > 10, `most corrupted inputs are refused (${refused})`);
    });

    it('the built CLI: exit 2 with one line naming the file and line, for each document type', async () => {
      const files: Record<string, string> = {
        'c/posture.yaml': 'sources: [local-repo\nfailOn: high\n',
        'c/threat-model.yaml': 'name: x\nassets:\n  - id: Not Kebab\n    name: a\n',
        'c/bomb.yaml': laughs,
        'c/facts.json': '{"version": 1, "scan": ',
        'c/result.json': '[1, 2',
        'c/rules/bad-rule.yaml': 'id: bad-rule\ntitle: [unclosed\n',
      };
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(path.join(tree.dir, path.dirname(name)), { recursive: true });
        writeFileSync(path.join(tree.dir, name), text);
      }
      const runs: [string[], string][] = [
        [['scan', 'repo', '--config', 'c/posture.yaml', '--out', 'o'], 'c/posture.yaml:'],
        [['scan', 'repo', '--threat-model', 'c/threat-model.yaml', '--out', 'o'], 'threat-model.yaml:'],
        [['scan', 'repo', '--threat-model', 'c/bomb.yaml', '--out', 'o'], 'bomb.yaml'],
        [['evaluate', 'c/facts.json'], 'c/facts.json:'],
        [['report', 'c/result.json', '--out', 'o'], 'c/result.json:'],
        [['rules', 'list', '--rules-dir', 'c/rules'], 'bad-rule.yaml:'],
      ];
      for (const [args, named] of runs) {
        const run = await runCli(args, { cwd: tree.dir, env: { POSTURE_FINGERPRINT_KEY: 'k' } });
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.ok(run.stderr.includes(named), `${args.join(' ')} names ${named}: ${run.stderr}`);
        assert.doesNotMatch(run.stderr, /internal error|\n\s+at /);
        if (named.endsWith(':') && !named.includes('bomb')) assert.match(run.stderr, /:\d+: /, `and its line: ${run.stderr}`);
      }
    });
  });
});
