import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { PostureError } from '../../src/cli/errors.js';
import { createSchemaSet } from '../../src/facts/documents.js';
import { runInit } from '../../src/threat-model/init.js';
import { loadThreatModelFile } from '../../src/threat-model/model.js';
import { buildThreatModelSection } from '../../src/threat-model/register.js';
import type { ThreatModel } from '../../src/threat-model/types.js';
import { buildSampleResult, SCAN_TIME, sampleFacts } from './support/sample.js';
import { defaultThreatModel } from '../../src/threat-model/model.js';

const schemas = createSchemaSet();

describe('posture init', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'posture-init-'));
    mkdirSync(path.join(dir, 'posture-report'));
    const defaultResult = buildSampleResult(sampleFacts(), { model: defaultThreatModel(), source: 'default' });
    writeFileSync(path.join(dir, 'posture-report', 'result.json'), JSON.stringify(defaultResult));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a valid starter model from posture-report/result.json by default', async () => {
    const message = await runInit({ cwd: dir, schemas });
    assert.match(message, /^wrote threat-model\.yaml: \d+ asset\(s\) covering 22 resource\(s\) from posture-report\/result\.json/);
    const model = loadThreatModelFile(schemas, path.join(dir, 'threat-model.yaml'));
    assert.ok(model.assets.length >= 8, `only ${model.assets.length} assets`);
    assert.ok(model.assets.every((a) => a.owner === 'unassigned'));
  });

  it('groups resources sensibly: account settings, identities, buckets by tag and purpose, org, repositories, code, dependencies', async () => {
    await runInit({ cwd: dir, schemas });
    const model = parse(readFileSync(path.join(dir, 'threat-model.yaml'), 'utf8')) as ThreatModel;
    const byId = new Map(model.assets.map((a) => [a.id, a]));
    assert.deepEqual(
      model.assets.map((a) => a.id),
      [
        'aws-111122223333-account',
        'aws-111122223333-identities',
        's3-restricted-data-classification-restricted',
        's3-backups',
        's3-logs',
        's3-buckets',
        'github-acme-rockets-organization',
        'github-acme-rockets-repositories',
        'source-acme-rockets-launch-control',
        'dependencies-acme-rockets-launch-control',
      ],
    );
    assert.equal(byId.get('s3-restricted-data-classification-restricted')?.classification, 'restricted');
    assert.deepEqual(byId.get('s3-backups')?.select, { kind: 'aws.s3.bucket', id: ['arn:aws:s3:::acme-backups'] });
    assert.equal(byId.get('aws-111122223333-identities')?.classification, 'restricted');
  });

  it('writes a model that selects every resource of the scan into a named asset', async () => {
    await runInit({ cwd: dir, schemas });
    const model = loadThreatModelFile(schemas, path.join(dir, 'threat-model.yaml'));
    const result = buildSampleResult();
    const section = buildThreatModelSection(result, sampleFacts(), { model, source: 'file' }, SCAN_TIME);
    assert.deepEqual(section.assets.filter((a) => a.source === 'default').map((a) => a.id), []);
    const tagged = section.assets.find((a) => a.id === 's3-restricted-data-classification-restricted');
    assert.deepEqual(tagged?.resources.map((r) => r.name), ['acme-customer-uploads', 'acme-payments-exports']);
  });

  it('notes in a comment which resources each asset holds, and which of them the scan saw as public', async () => {
    await runInit({ cwd: dir, schemas });
    const text = readFileSync(path.join(dir, 'threat-model.yaml'), 'utf8');
    assert.match(text, /# 3 resource\(s\) now: alice, bob, deploy-bot\n {2}- id: aws-111122223333-identities/);
    assert.match(text, /# note: the scan saw 1 of these as public: acme-website/);
    assert.match(text, /acceptedRisks: \[\]\n\n?# Accepted risks are suppressions.*\n# acceptedRisks:\n# {3}- rule: s3-bucket-versioning-enabled/);
  });

  it('never overwrites an existing file without --force', async () => {
    const out = path.join(dir, 'threat-model.yaml');
    writeFileSync(out, 'name: mine\n');
    await assert.rejects(runInit({ cwd: dir, schemas }), (e: unknown) => e instanceof PostureError && /--force/.test(e.message) && e.template === 'usage');
    assert.equal(readFileSync(out, 'utf8'), 'name: mine\n');
    await runInit({ cwd: dir, schemas, force: true });
    assert.notEqual(readFileSync(out, 'utf8'), 'name: mine\n');
  });

  it('takes --from and --out', async () => {
    mkdirSync(path.join(dir, 'old'));
    writeFileSync(path.join(dir, 'old', 'r.json'), readFileSync(path.join(dir, 'posture-report', 'result.json')));
    const message = await runInit({ cwd: dir, schemas, from: 'old/r.json', out: 'models/tm.yaml' });
    assert.match(message, /wrote models\/tm\.yaml: .* from old\/r\.json/);
    loadThreatModelFile(schemas, path.join(dir, 'models', 'tm.yaml'));
  });

  it('says to run a scan first when there is no result document', async () => {
    rmSync(path.join(dir, 'posture-report'), { recursive: true });
    await assert.rejects(runInit({ cwd: dir, schemas }), (e: unknown) => e instanceof PostureError && e.template === 'path-missing' && /posture scan/.test(e.message));
  });

  it('refuses a result document that fails its schema', async () => {
    writeFileSync(path.join(dir, 'posture-report', 'result.json'), '{"schemaVersion":"1"}');
    await assert.rejects(runInit({ cwd: dir, schemas }), (e: unknown) => e instanceof PostureError && e.template === 'document-invalid');
  });

  it('keeps hostile resource names inside comments and values', async () => {
    const facts = sampleFacts({ names: { 'arn:aws:s3:::acme-backups': 'evil\nassets: []\n# <img src=x onerror=alert(1)>' } });
    const result = buildSampleResult(facts, { model: defaultThreatModel(), source: 'default' });
    writeFileSync(path.join(dir, 'posture-report', 'result.json'), JSON.stringify(result));
    await runInit({ cwd: dir, schemas });
    const model = loadThreatModelFile(schemas, path.join(dir, 'threat-model.yaml'));
    assert.ok(model.assets.length >= 8);
    assert.doesNotMatch(readFileSync(path.join(dir, 'threat-model.yaml'), 'utf8'), /^assets: \[\]$/m);
  });
});
