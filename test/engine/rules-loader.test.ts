import assert from 'node:assert/strict';
import { PostureError } from '../../src/cli/errors.js';
import { loadCsfCatalogue } from '../../src/engine/csf.js';
import { loadRules, resolveParams, selectRules } from '../../src/engine/rules.js';
import { createSchemaSet } from '../../src/facts/documents.js';
import { tempTree } from '../support/temp.js';

const schemas = createSchemaSet();
const csf = loadCsfCatalogue();

const ruleYaml = (id: string, extra = '', csfId = 'PR.DS-01') => `id: ${id}
title: Buckets are encrypted with a customer key
description: A rule used by the loader tests.
risk: Data could be read by whoever holds the storage.
severity: medium
lifecycle: stable
resource: aws.s3.bucket
requires: [encryption]
condition:
  properties:
    encryption: { const: aws:kms }
csf:
  - id: ${csfId}
    rationale: Data at rest is protected by encryption.
threats: [information-disclosure]
message: '{{name}} is not encrypted with KMS'
remediation:
  text: Set default encryption to SSE-KMS.
${extra}`;

const load = (files: Record<string, string>) => {
  const tree = tempTree(files);
  try {
    return loadRules([{ dir: tree.dir, builtin: false }], schemas, csf);
  } finally {
    tree.cleanup();
  }
};

const rejects = (files: Record<string, string>, pattern: RegExp, line?: number) => {
  assert.throws(
    () => load(files),
    (error: unknown) => {
      assert.ok(error instanceof PostureError, String(error));
      assert.match(error.message, pattern);
      if (line !== undefined) assert.equal(error.line, line);
      return true;
    },
  );
};

describe('rule loading', () => {
  it('loads a valid rule', () => {
    const rules = load({ 'aws/bucket-kms.yaml': ruleYaml('bucket-kms') });
    assert.deepEqual(rules.map((r) => r.id), ['bucket-kms']);
  });

  it('refuses an id that differs from the file name, naming the line', () => {
    rejects({ 'aws/other-name.yaml': ruleYaml('bucket-kms') }, /must equal its file name "other-name"/, 1);
  });

  it('refuses a CSF id that is not in the CSF 2.0 catalogue (a withdrawn 1.1 id too)', () => {
    rejects({ 'bucket-kms.yaml': ruleYaml('bucket-kms', '', 'PR.DS-09') }, /PR\.DS-09 is not a NIST CSF 2\.0 subcategory/, 13);
    rejects({ 'bucket-kms.yaml': ruleYaml('bucket-kms', '', 'PR.AC-01') }, /PR\.AC-01 is not a NIST CSF 2\.0 subcategory/);
  });

  it('refuses duplicate ids across directories', () => {
    rejects({ 'a/bucket-kms.yaml': ruleYaml('bucket-kms'), 'b/bucket-kms.yaml': ruleYaml('bucket-kms') }, /duplicate rule id "bucket-kms"/);
  });

  it('refuses unknown keys, a condition reading an attribute not in requires, and invalid schemas', () => {
    rejects({ 'bucket-kms.yaml': ruleYaml('bucket-kms', 'owner: me\n') }, /unknown property "owner"/);
    rejects({ 'bucket-kms.yaml': ruleYaml('bucket-kms').replace('encryption: { const: aws:kms }', 'encryption: { const: aws:kms }\n    versioning: { const: true }') }, /reads attribute "versioning" which is not listed in requires/);
    rejects({ 'bucket-kms.yaml': ruleYaml('bucket-kms').replace('{ const: aws:kms }', '{ constant: aws:kms }') }, /not a valid JSON Schema/);
  });

  it('refuses malformed YAML with its line', () => {
    rejects({ 'bucket-kms.yaml': 'id: bucket-kms\ntitle: [unclosed\n' }, /invalid YAML/);
  });

  it('selects rules by id glob and type-checks parameter overrides', () => {
    const rules = load({
      'bucket-kms.yaml': ruleYaml('bucket-kms', 'params:\n  keyCount: { type: integer, default: 1, description: how many keys }\n'),
      'bucket-tls.yaml': ruleYaml('bucket-tls'),
    });
    assert.deepEqual(selectRules(rules, ['bucket-*'], ['*-tls']).map((r) => r.id), ['bucket-kms']);
    const kms = rules.find((r) => r.id === 'bucket-kms')!;
    assert.deepEqual(resolveParams(kms, { keyCount: 3 }, 'posture.yaml'), { keyCount: 3 });
    assert.throws(() => resolveParams(kms, { keyCount: 'three' }, 'posture.yaml'), /must be of type integer/);
    assert.throws(() => resolveParams(kms, { keyCuont: 3 }, 'posture.yaml'), /has no parameter "keyCuont"/);
  });
});
