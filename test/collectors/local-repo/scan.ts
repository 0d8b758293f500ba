import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localRepoCollector } from '../../../src/collectors/local-repo/index.js';
import { runCollectors } from '../../../src/collectors/run.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { loadCsfCatalogue } from '../../../src/engine/csf.js';
import { evaluate } from '../../../src/engine/evaluate.js';
import { BUILTIN_RULES_DIR, loadRules, paramDefaults } from '../../../src/engine/rules.js';
import type { Finding, ResultDocument } from '../../../src/engine/types.js';
import { assertValid, createSchemaSet } from '../../../src/facts/documents.js';
import type { FactsDocument, Resource } from '../../../src/facts/types.js';
import { createLogger } from '../../../src/util/logger.js';
import { DEFAULT_EXCLUDES } from '../../../src/util/tree.js';

export const FIXTURES = fileURLToPath(new URL('../../../fixtures/local-repo/', import.meta.url));
export const SCAN_TIME = new Date('2026-03-01T00:00:00Z');

/** The rules over the facts local-repo collects; other rules in rules/source/ belong to other collectors. */
export const LOCAL_REPO_RULES = [
  'source-codeowners-present',
  'source-dependency-updates-automated',
  'source-env-files-not-committed',
  'source-infrastructure-as-code-present',
  'source-lockfile-committed',
  'source-security-policy-present',
  'workflow-actions-pinned',
  'workflow-no-untrusted-checkout',
  'workflow-permissions-restricted',
];

const schemas = createSchemaSet();
const rules = loadRules(
  ['source', 'workflow'].map((d) => ({ dir: path.join(BUILTIN_RULES_DIR, d), builtin: true })),
  schemas,
  loadCsfCatalogue(),
).filter((rule) => LOCAL_REPO_RULES.includes(rule.id));

/**
 * Copies a fixture tree to a fresh temporary directory, so that no enclosing git work tree (this
 * project's own) changes what the collector sees, and returns its path.
 */
export const copyFixture = (name: string): { dir: string; cleanup: () => void } => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'posture-local-repo-'));
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

export type Scan = { facts: FactsDocument; result: ResultDocument; repository: Resource; workflows: Map<string, Resource> };

/** Runs the collector through runCollectors, checks the facts against the schemas, evaluates the local rules. */
export const scanTree = async (
  root: string,
  overrides: Partial<CollectContext> & { treeId?: string; params?: Map<string, Record<string, unknown>> } = {},
): Promise<Scan> => {
  const treeId = overrides.treeId ?? 'https://github.com/acme/sample';
  const { params, ...context } = overrides;
  const facts = await runCollectors({
    collectors: [localRepoCollector],
    context: {
      root,
      treeId,
      scanTime: SCAN_TIME,
      logger: createLogger({ level: 'silent' }),
      needs: () => new Set(),
      config: {},
      options: {},
      excludes: DEFAULT_EXCLUDES,
      env: process.env,
      signal: new AbortController().signal,
      limits: { timeoutMs: 10_000, concurrency: (_service, fallback) => fallback, maxFileBytes: 2 * 1024 * 1024 },
      ...context,
    },
    tool: { name: 'posture', version: 'test' },
    targets: { path: root, treeId },
  });
  assertValid(schemas, 'facts', facts, 'facts');
  for (const resource of facts.resources) {
    const validate = schemas.kindValidator(resource.kind);
    assert.ok(validate, `no schema for ${resource.kind}`);
    assert.ok(validate(resource.attributes), `${resource.id} does not match its kind schema: ${JSON.stringify(validate.errors)}`);
  }
  const result = evaluate(facts, {
    rules,
    params: new Map(rules.map((rule) => [rule.id, { ...paramDefaults(rule), ...params?.get(rule.id) }])),
    scanTime: SCAN_TIME,
    suppressions: [],
    configHash: '0'.repeat(64),
    rulesHash: '1'.repeat(64),
    tool: { name: 'posture', version: 'test' },
  });
  const repository = facts.resources.find((r) => r.kind === 'source.repository');
  assert.ok(repository, 'no source.repository resource');
  return {
    facts,
    result,
    repository,
    workflows: new Map(facts.resources.filter((r) => r.kind === 'source.workflow').map((r) => [r.location?.path ?? r.id, r])),
  };
};

/** The one finding of a rule on a resource (by id). */
export const findingOf = (scan: Scan, ruleId: string, resourceId: string): Finding => {
  const matches = scan.result.findings.filter((f) => f.ruleId === ruleId && f.resource.id === resourceId);
  assert.equal(matches.length, 1, `expected one finding of ${ruleId} on ${resourceId}, got ${matches.length}`);
  return matches[0] as Finding;
};

/** Rule id → status for one resource. */
export const statusesOf = (scan: Scan, resourceId: string): Record<string, string> =>
  Object.fromEntries(
    scan.result.findings
      .filter((f) => f.resource.id === resourceId)
      .map((f) => [f.ruleId, f.status])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
