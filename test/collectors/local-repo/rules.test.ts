import assert from 'node:assert/strict';
import path from 'node:path';
import { loadCsfCatalogue } from '../../../src/engine/csf.js';
import { checkRuleTestLayout, runRuleTests } from '../../../src/engine/rule-tests.js';
import { BUILTIN_RULES_DIR, loadRules } from '../../../src/engine/rules.js';
import { createSchemaSet } from '../../../src/facts/documents.js';

// The local-repo rules' own cases, runnable alone while other rule folders are in progress.
const dirs = ['source', 'workflow'].map((d) => path.join(BUILTIN_RULES_DIR, d));
const schemas = createSchemaSet();
const rules = loadRules(dirs.map((dir) => ({ dir, builtin: true })), schemas, loadCsfCatalogue());

describe('local-repo rules', () => {
  it('are the nine the contract names, each with a test file', () => {
    assert.deepEqual(rules.map((r) => r.id).sort(), [
      'source-codeowners-present',
      'source-dependency-updates-automated',
      'source-env-files-not-committed',
      'source-infrastructure-as-code-present',
      'source-lockfile-committed',
      'source-security-policy-present',
      'workflow-actions-pinned',
      'workflow-no-untrusted-checkout',
      'workflow-permissions-restricted',
    ]);
    assert.deepEqual(checkRuleTestLayout(rules, dirs), []);
  });

  for (const rule of rules) {
    describe(rule.id, () => {
      for (const outcome of runRuleTests(rule, schemas)) {
        it(outcome.name, () => assert.ok(outcome.ok, outcome.problem));
      }
    });
  }
});
