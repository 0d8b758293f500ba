import assert from 'node:assert/strict';
import path from 'node:path';
import { loadCsfCatalogue } from '../../../src/engine/csf.js';
import { checkRuleTestLayout, runRuleTests } from '../../../src/engine/rule-tests.js';
import { BUILTIN_RULES_DIR, loadRules } from '../../../src/engine/rules.js';
import { createSchemaSet } from '../../../src/facts/documents.js';
import { LOCAL_REPO_RULES } from './scan.js';

// The local-repo rules' own cases, runnable alone while other rule folders are in progress (the
// global harness, test/rules.test.ts, runs every rule).
const dirs = ['source', 'workflow'].map((d) => path.join(BUILTIN_RULES_DIR, d));
const schemas = createSchemaSet();
const rules = loadRules(dirs.map((dir) => ({ dir, builtin: true })), schemas, loadCsfCatalogue()).filter((r) => LOCAL_REPO_RULES.includes(r.id));

describe('local-repo rules', () => {
  it('are the nine the contract names, each with a test file, on the kinds local-repo emits', () => {
    assert.deepEqual(rules.map((r) => r.id).sort(), LOCAL_REPO_RULES);
    assert.deepEqual(checkRuleTestLayout(rules, []), []);
    assert.deepEqual([...new Set(rules.map((r) => r.resource))].sort(), ['source.repository', 'source.workflow']);
  });

  for (const rule of rules) {
    describe(rule.id, () => {
      for (const outcome of runRuleTests(rule, schemas)) {
        it(outcome.name, () => assert.ok(outcome.ok, outcome.problem));
      }
    });
  }
});
