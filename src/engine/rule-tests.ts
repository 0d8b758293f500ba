import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadYamlDocument, describeAjvError, type SchemaSet } from '../facts/documents.js';
import { findUnknown } from './conditions.js';
import { createEngine, toFinding } from './evaluate.js';
import { paramDefaults, walkFiles } from './rules.js';
import type { Rule } from './types.js';
import { isUnknown, type Resource } from '../facts/types.js';

type TestCase = {
  name: string;
  expect: 'pass' | 'fail' | 'unknown' | 'not_applicable';
  params?: Record<string, unknown>;
  scanTime?: string;
  evidenceLines?: number[];
  messageIncludes?: string;
  resource: { id?: string; name?: string; tags?: Record<string, string>; location?: { path: string; line?: number }; attributes: Record<string, unknown> };
};

type TestFile = { params?: Record<string, unknown>; scanTime?: string; cases: TestCase[] };

export type CaseOutcome = { rule: string; file: string; name: string; ok: boolean; problem?: string };

/** The test file that belongs to a rule file. */
export const testFileOf = (ruleFile: string): string => ruleFile.replace(/\.yaml$/, '.test.yaml');

const DEFAULT_SCAN_TIME = '2026-01-15T12:00:00Z';

/**
 * Structural problems of a rule set's tests: a rule without tests, tests without a rule, a test
 * file without a pass, a fail and an unknown case.
 */
export const checkRuleTestLayout = (rules: Rule[], dirs: string[]): string[] => {
  const problems: string[] = [];
  const ruleFiles = new Set(rules.map((r) => r.file));
  for (const rule of rules) {
    if (!existsSync(testFileOf(rule.file))) problems.push(`${rule.file}: rule ${rule.id} has no test file ${path.basename(testFileOf(rule.file))}`);
  }
  for (const dir of dirs) {
    for (const file of walkFiles(dir).filter((f) => f.endsWith('.test.yaml'))) {
      if (!ruleFiles.has(file.replace(/\.test\.yaml$/, '.yaml'))) problems.push(`${file}: test file without a rule`);
    }
  }
  return problems;
};

/** Runs the cases of one rule's test file. Throws a PostureError if the file itself is invalid. */
export const runRuleTests = (rule: Rule, schemas: SchemaSet): CaseOutcome[] => {
  const file = testFileOf(rule.file);
  const { data } = loadYamlDocument<TestFile>(schemas, 'rule-test', file);
  const outcomes: CaseOutcome[] = [];
  const expected = new Set(data.cases.map((c) => c.expect));
  for (const needed of ['pass', 'fail', 'unknown'] as const) {
    if (!expected.has(needed)) outcomes.push({ rule: rule.id, file, name: `has a ${needed} case`, ok: false, problem: `no case expects ${needed}` });
  }
  const kindValidator = schemas.kindValidator(rule.resource);
  for (const testCase of data.cases) {
    const result = (problem?: string): CaseOutcome => ({ rule: rule.id, file, name: testCase.name, ok: !problem, ...(problem ? { problem } : {}) });
    if (!kindValidator) {
      outcomes.push(result(`resource kind ${rule.resource} has no attribute schema under schemas/kinds/`));
      continue;
    }
    if (!kindValidator(testCase.resource.attributes)) {
      outcomes.push(result(`resource does not match the ${rule.resource} schema ${describeAjvError(kindValidator.errors![0]!)}`));
      continue;
    }
    if (testCase.expect === 'unknown') {
      const marked = rule.requires.some((required) => {
        let current: unknown = testCase.resource.attributes;
        for (const segment of required.split('.')) {
          if (isUnknown(current)) return true;
          current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[segment] : undefined;
        }
        return findUnknown(current) !== undefined;
      });
      if (!marked) {
        outcomes.push(result(`an unknown case must mark a path listed in requires (${rule.requires.join(', ')}) as {"$unknown": ...}`));
        continue;
      }
    }
    const params = { ...paramDefaults(rule), ...data.params, ...testCase.params };
    const engine = createEngine(new Date(testCase.scanTime ?? data.scanTime ?? DEFAULT_SCAN_TIME));
    const resource: Resource = {
      kind: rule.resource,
      id: testCase.resource.id ?? `test:${rule.id}`,
      name: testCase.resource.name ?? `test resource of ${rule.id}`,
      source: 'local-repo',
      attributes: testCase.resource.attributes,
      ...(testCase.resource.location ? { location: testCase.resource.location } : {}),
    };
    let decision;
    let compiled;
    try {
      compiled = engine.compile(rule, params);
      decision = engine.decide(compiled, resource);
    } catch (error) {
      outcomes.push(result(`evaluation threw: ${(error as Error).message}`));
      continue;
    }
    if (decision.status !== testCase.expect) {
      const why = decision.status === 'fail' ? `: ${decision.evidence.map((e) => e.detail).join('; ')}` : decision.unknown ? `: ${decision.unknown.reason}` : '';
      outcomes.push(result(`expected ${testCase.expect}, got ${decision.status}${why}`));
      continue;
    }
    if (testCase.evidenceLines) {
      const lines = decision.evidence.map((e) => e.line);
      if (JSON.stringify(lines) !== JSON.stringify(testCase.evidenceLines)) {
        outcomes.push(result(`expected evidence lines ${JSON.stringify(testCase.evidenceLines)}, got ${JSON.stringify(lines)}`));
        continue;
      }
    }
    if (testCase.messageIncludes) {
      const message = toFinding(compiled, resource, decision).message;
      if (!message.includes(testCase.messageIncludes)) {
        outcomes.push(result(`expected the message to include "${testCase.messageIncludes}", got "${message}"`));
        continue;
      }
    }
    outcomes.push(result());
  }
  return outcomes;
};
