import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { osvCollector } from '../../../src/collectors/osv/index.js';
import { runCollectors } from '../../../src/collectors/run.js';
import { secretsCollector } from '../../../src/collectors/secrets/index.js';
import { loadCsfCatalogue } from '../../../src/engine/csf.js';
import { evaluate } from '../../../src/engine/evaluate.js';
import { BUILTIN_RULES_DIR, loadRules, selectRules } from '../../../src/engine/rules.js';
import type { Finding, ResultDocument } from '../../../src/engine/types.js';
import { createSchemaSet, describeAjvError } from '../../../src/facts/documents.js';
import type { FactsDocument } from '../../../src/facts/types.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { STAND_IN } from '../osv/stand-in.js';
import { testContext } from '../../support/collect-context.js';

const DEMO = path.join(packageRoot, 'fixtures/demo');
const LOCKFILE = 'services/payments/package-lock.json';
const CONFIG = 'services/payments/config/production.yaml';

/** The fake credentials planted in the demo's payments config, read from the file itself. */
const planted = (): string[] => {
  const text = readFileSync(path.join(DEMO, CONFIG), 'utf8');
  return [/password: "([^"]+)"/, /access_key_id: (\S+)/, /secret_access_key: "([^"]+)"/].map((re) => re.exec(text)?.[1] as string);
};

describe('demo: the payments service (stand-in osv-scanner replay, planted credential)', function () {
  this.timeout(120_000);
  let facts: FactsDocument;
  let result: ResultDocument;
  const failing = (ruleId: string): Finding[] => result.findings.filter((f) => f.ruleId === ruleId && f.status === 'fail');

  before(async () => {
    // The stand-in is called as the real binary would be, without scenario variables: it picks
    // the recording by the payments lockfile under the scanned path.
    const ctx = testContext(DEMO, { options: { osvScanner: STAND_IN } });
    facts = await runCollectors({ collectors: [secretsCollector, osvCollector], context: ctx, tool: { name: 'posture', version: 'test' }, targets: { path: 'fixtures/demo', treeId: 'acme/tree' } });
    const schemas = createSchemaSet();
    const rules = selectRules(
      loadRules([{ dir: path.join(BUILTIN_RULES_DIR, 'dependency'), builtin: true }, { dir: path.join(BUILTIN_RULES_DIR, 'source'), builtin: true }], schemas, loadCsfCatalogue()),
      ['dependency-no-known-vulnerabilities', 'source-no-hardcoded-secrets', 'source-no-key-files-committed'],
      [],
    );
    assert.equal(rules.length, 3);
    result = evaluate(facts, { rules, params: new Map(), scanTime: new Date('2026-01-15T12:00:00Z'), suppressions: [], configHash: 'test', rulesHash: 'test', tool: { name: 'posture', version: 'test' } });
  });

  it('collects both sources completely, and labels the osv results as a replay', () => {
    assert.deepEqual(facts.sources.map((s) => [s.id, s.status]), [['secrets', 'complete'], ['osv', 'complete']]);
    const osv = facts.sources.find((s) => s.id === 'osv');
    assert.ok(osv?.notes.some((n) => n.includes('stand-in (replays recorded osv-scanner outputs; not a live scan)')));
  });

  it('produces a facts document, and attributes, that validate against their schemas', () => {
    const schemas = createSchemaSet();
    const validate = schemas.validator('facts');
    assert.ok(validate(facts), validate.errors?.map(describeAjvError).join('; '));
    for (const resource of facts.resources) {
      const kind = schemas.kindValidator(resource.kind);
      assert.ok(kind, resource.kind);
      assert.ok(kind(resource.attributes), `${resource.id}: ${kind.errors?.map(describeAjvError).join('; ')}`);
    }
  });

  it('finds every vulnerable package of the lockfile with its line, severity and fix', () => {
    const lock = readFileSync(path.join(DEMO, LOCKFILE), 'utf8').split('\n');
    const expected: Record<string, [string, string]> = {
      lodash: ['high', 'upgrade to 4.17.21'],
      minimist: ['critical', 'upgrade to 1.2.6'],
      axios: ['high', 'upgrade to 1.7.4'],
      jsonwebtoken: ['high', 'upgrade to 9.0.0'],
      semver: ['medium', 'upgrade to 5.7.2'],
      qs: ['high', 'upgrade to 6.5.3'],
    };
    const findings = failing('dependency-no-known-vulnerabilities');
    assert.deepEqual(findings.map((f) => f.resource.name.split('@')[0]).sort(), Object.keys(expected).sort());
    for (const finding of findings) {
      const name = finding.resource.name.split('@')[0] as string;
      const [severity, advice] = expected[name] as [string, string];
      assert.equal(finding.severity, severity, name);
      assert.ok(finding.message.endsWith(advice), `${name}: ${finding.message}`);
      assert.equal(finding.location?.path, LOCKFILE);
      assert.equal(lock[(finding.location?.line ?? 0) - 1]?.trim(), `"node_modules/${name}": {`, name);
      assert.ok(finding.evidence.length > 0 && finding.evidence.every((e) => e.line === finding.location?.line));
    }
  });

  it('finds the planted credentials with file and line, critical for the AWS pair', () => {
    const inConfig = failing('source-no-hardcoded-secrets').filter((f) => f.location?.path === CONFIG);
    assert.deepEqual(
      inConfig.map((f) => [f.resource.id.split('#')[1]?.split(':')[0], f.location?.line, f.severity]).sort(),
      [
        ['aws-access-key-id', 15, 'critical'],
        ['aws-secret-access-key', 16, 'critical'],
        ['generic-credential', 11, 'high'],
      ],
    );
  });

  it('prints none of the planted values, nor any 8-character piece of one, in the facts or the result', () => {
    const text = JSON.stringify(facts) + JSON.stringify(result);
    for (const value of planted()) {
      assert.ok(value && value.length >= 16);
      assert.ok(!text.includes(value));
      const body = value.startsWith('AKIA') ? value.slice(4) : value;
      for (let i = 0; i + 8 <= body.length; i++) assert.ok(!text.includes(body.slice(i, i + 8)), 'a piece of a planted value leaked');
    }
  });
});
