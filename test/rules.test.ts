import assert from 'node:assert/strict';
import { loadCsfCatalogue } from '../src/engine/csf.js';
import { checkRuleTestLayout, runRuleTests } from '../src/engine/rule-tests.js';
import { BUILTIN_RULES_DIR, loadRules } from '../src/engine/rules.js';
import { createSchemaSet } from '../src/facts/documents.js';
import { describeError } from '../src/cli/errors.js';
import type { Rule } from '../src/engine/types.js';

// Every rule is found by glob: a rule without tests, tests without a rule, a duplicate id, an id
// that differs from its file name or a CSF id outside the catalogue fails here.
const schemas = createSchemaSet();
let rules: Rule[] = [];
let loadError: unknown;
try {
  rules = loadRules([{ dir: BUILTIN_RULES_DIR, builtin: true }], schemas, loadCsfCatalogue());
} catch (error) {
  loadError = error;
}

describe('built-in rules', () => {
  it('load, validate against the rule schema and cite real CSF 2.0 ids', () => {
    assert.equal(loadError, undefined, describeError(loadError));
    assert.ok(rules.length > 0, 'no rules found under rules/');
  });

  it('pass the checks of a user\'s rule, which also compile every condition (skipped for built-in rules when posture runs)', () => {
    assert.doesNotThrow(() => loadRules([{ dir: BUILTIN_RULES_DIR, builtin: false }], createSchemaSet(), loadCsfCatalogue()));
  });

  it('each have a test file, and every test file has a rule', () => {
    assert.deepEqual(checkRuleTestLayout(rules, [BUILTIN_RULES_DIR]), []);
  });

  for (const rule of rules) {
    describe(rule.id, () => {
      for (const outcome of runRuleTests(rule, schemas)) {
        it(outcome.name, () => assert.ok(outcome.ok, outcome.problem));
      }
    });
  }
});
