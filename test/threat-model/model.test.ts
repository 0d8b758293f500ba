import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PostureError } from '../../src/cli/errors.js';
import { createSchemaSet } from '../../src/facts/documents.js';
import { acceptedRiskSuppressions, defaultThreatModel, loadThreatModelFile, resolveThreatModel, threatModelAttributes } from '../../src/threat-model/model.js';
import { sampleModelFile } from './support/sample.js';

const schemas = createSchemaSet();

const withDir = (fn: (dir: string) => void): void => {
  const dir = mkdtempSync(path.join(tmpdir(), 'posture-tm-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const MINIMAL = `name: Minimal
assets:
  - id: data
    name: Data
    classification: confidential
    owner: someone
    select: { kind: aws.s3.bucket }
`;

const loadText = (text: string): unknown => {
  let result: unknown;
  withDir((dir) => {
    const file = path.join(dir, 'threat-model.yaml');
    writeFileSync(file, text);
    result = loadThreatModelFile(schemas, file);
  });
  return result;
};

const rejects = (text: string, pattern: RegExp, line?: number): void => {
  assert.throws(
    () => loadText(text),
    (error: unknown) => {
      assert.ok(error instanceof PostureError, String(error));
      assert.match(error.message, pattern);
      if (line !== undefined) assert.equal(error.line, line);
      return true;
    },
  );
};

describe('threat-model file', () => {
  it('loads the sample model with its assets, zones, attackers and accepted risks', () => {
    const model = loadThreatModelFile(schemas, sampleModelFile());
    assert.equal(model.name, 'Acme Rockets launch platform');
    assert.equal(model.assets.length, 9);
    assert.deepEqual(model.trustZones?.map((z) => z.id), ['internet', 'aws', 'github', 'build']);
    assert.equal(model.acceptedRisks?.length, 2);
  });

  it('loads the demo estate\'s model', () => {
    const model = loadThreatModelFile(schemas, path.join(path.dirname(sampleModelFile()), 'demo.threat-model.yaml'));
    assert.equal(model.name, 'Acme Rockets launch operations');
    assert.ok(model.assets.length >= 10);
  });

  it('accepts a minimal model', () => {
    const model = loadText(MINIMAL) as { assets: unknown[] };
    assert.equal(model.assets.length, 1);
  });

  it('rejects an unknown property and names its line', () => {
    rejects(`${MINIMAL}colour: red\n`, /unknown property "colour"/);
  });

  it('rejects a classification outside the four levels', () => {
    rejects(MINIMAL.replace('confidential', 'secret'), /classification.*must be one of "public", "internal", "confidential", "restricted"/, 5);
  });

  it('requires an owner for every asset', () => {
    rejects(MINIMAL.replace('    owner: someone\n', ''), /owner/);
  });

  it('rejects an empty selector, which would select nothing by accident', () => {
    rejects(MINIMAL.replace('select: { kind: aws.s3.bucket }', 'select: {}'), /select/);
  });

  it('checks accepted risks against the suppression schema: an expiry date is required', () => {
    rejects(`${MINIMAL}acceptedRisks:\n  - { rule: s3-bucket-not-public, resource: 'arn:aws:s3:::x', reason: because, owner: me }\n`, /expires/);
    rejects(`${MINIMAL}acceptedRisks:\n  - { rule: s3-bucket-not-public, resource: 'arn:aws:s3:::x', reason: because, owner: me, expires: 31/12/2026 }\n`, /acceptedRisks\/0\/expires/);
  });

  it('rejects duplicate asset ids with the line of the second', () => {
    const text = `${MINIMAL}  - id: data\n    name: Again\n    classification: public\n    owner: x\n    select: { kind: aws.s3.bucket }\n`;
    rejects(text, /duplicate id "data"/, 8);
  });

  it('rejects an asset or attacker in a trust zone that is not defined', () => {
    rejects(MINIMAL.replace('    owner: someone\n', '    owner: someone\n    zone: nowhere\n'), /trust zone "nowhere"/, 7);
    rejects(`${MINIMAL}attackers:\n  - { id: ext, name: External, threats: [spoofing], zones: [mars] }\n`, /trust zone "mars"/, 9);
  });

  it('rejects a STRIDE token that is not one of the six', () => {
    rejects(`${MINIMAL}attackers:\n  - { id: ext, name: External, threats: [phishing] }\n`, /threats\/0/);
  });
});

describe('resolving the threat model', () => {
  it('uses --threat-model when given, and fails when that file is missing', () => {
    withDir((dir) => {
      writeFileSync(path.join(dir, 'mine.yaml'), MINIMAL);
      const loaded = resolveThreatModel(schemas, { cwd: dir, file: 'mine.yaml' });
      assert.equal(loaded.source, 'file');
      assert.equal(loaded.file, 'mine.yaml');
      assert.throws(() => resolveThreatModel(schemas, { cwd: dir, file: 'absent.yaml' }), (e: unknown) => e instanceof PostureError && e.template === 'path-missing');
    });
  });

  it('falls back to ./threat-model.yaml, then to the default model', () => {
    withDir((dir) => {
      assert.equal(resolveThreatModel(schemas, { cwd: dir }).source, 'default');
      writeFileSync(path.join(dir, 'threat-model.yaml'), MINIMAL);
      const loaded = resolveThreatModel(schemas, { cwd: dir });
      assert.equal(loaded.source, 'file');
      assert.equal(loaded.model.name, 'Minimal');
    });
  });

  it('gives a default model with no assets (every resource becomes one), internal by default and the three attackers', () => {
    const model = defaultThreatModel();
    assert.deepEqual(model.assets, []);
    assert.equal(model.defaults?.classification, 'internal');
    assert.deepEqual(model.attackers?.map((a) => a.id), ['external', 'insider', 'supply-chain']);
    assert.equal(schemas.validator('threat-model')(model), true, JSON.stringify(schemas.validator('threat-model').errors));
  });

  it('turns accepted risks into suppressions that name the model file as their source', () => {
    const model = loadThreatModelFile(schemas, sampleModelFile());
    const sources = acceptedRiskSuppressions({ model, source: 'file', file: 'models/tm.yaml' });
    assert.equal(sources.length, 2);
    assert.deepEqual(sources[0], { suppression: model.acceptedRisks?.[0], source: 'models/tm.yaml' });
  });

  it('asks the collectors for the attributes exposure reads, and for tags only where an asset selects by tag', () => {
    const model = loadThreatModelFile(schemas, sampleModelFile());
    const needs = threatModelAttributes(schemas, { model, source: 'file' });
    assert.deepEqual([...(needs.get('aws.s3.bucket') ?? [])].sort(), ['public', 'publicAclGrants', 'publicPolicyStatements', 'tags']);
    assert.deepEqual([...(needs.get('github.repository') ?? [])], ['visibility']);
    assert.equal(needs.get('aws.iam.user'), undefined);
    const anyKind = threatModelAttributes(schemas, { model: { name: 'x', assets: [{ id: 'a', name: 'A', classification: 'public', owner: 'o', select: { tags: { env: 'prod' } } }] }, source: 'file' });
    assert.ok(anyKind.get('aws.iam.user')?.has('tags'));
    assert.equal(threatModelAttributes(schemas, { model: defaultThreatModel(), source: 'default' }).get('aws.s3.bucket')?.has('tags'), false);
  });
});
