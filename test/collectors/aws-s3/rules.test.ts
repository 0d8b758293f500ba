import assert from 'node:assert/strict';
import path from 'node:path';
import { loadCsfCatalogue } from '../../../src/engine/csf.js';
import { checkRuleTestLayout, runRuleTests } from '../../../src/engine/rule-tests.js';
import { BUILTIN_RULES_DIR, loadRules } from '../../../src/engine/rules.js';
import { createSchemaSet } from '../../../src/facts/documents.js';

const RULE_IDS = [
  's3-account-public-access-blocked',
  's3-bucket-public-access-blocked',
  's3-bucket-not-public',
  's3-bucket-default-encryption-kms',
  's3-bucket-tls-required',
  's3-bucket-versioning-enabled',
  's3-bucket-mfa-delete-enabled',
  's3-bucket-replication-enabled',
  's3-bucket-object-lock-enabled',
  's3-bucket-access-logging-enabled',
  's3-bucket-lifecycle-configured',
];

describe('aws-s3 rules', () => {
  const schemas = createSchemaSet();
  const dir = path.join(BUILTIN_RULES_DIR, 'aws-s3');
  const rules = loadRules([{ dir, builtin: true }], schemas, loadCsfCatalogue());

  it('are exactly the issue\'s rule ids, on aws.s3.bucket, each with tests', () => {
    assert.deepEqual(rules.map((r) => r.id).sort(), [...RULE_IDS].sort());
    assert.ok(rules.every((r) => r.resource === 'aws.s3.bucket'));
    assert.deepEqual(checkRuleTestLayout(rules, [dir]), []);
  });

  for (const rule of rules) {
    describe(rule.id, () => {
      for (const outcome of runRuleTests(rule, schemas)) {
        it(outcome.name, () => assert.ok(outcome.ok, outcome.problem));
      }
    });
  }
});
