import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PostureError } from '../../src/cli/errors.js';
import type { ResultDocument } from '../../src/engine/types.js';
import { createSchemaSet, loadJsonDocument } from '../../src/facts/documents.js';
import { buildSampleResult } from '../threat-model/support/sample.js';

describe('result documents read in parts (too large for one string)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'posture-result-read-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const schemas = createSchemaSet();

  it('gives the document that reading it whole gives, with its repeated parts held once', () => {
    const result = buildSampleResult();
    const file = path.join(dir, 'result.json');
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    const whole = loadJsonDocument<ResultDocument>(schemas, 'result', file);
    const parts = loadJsonDocument<ResultDocument>(schemas, 'result', file, { streamFromBytes: 0 });
    assert.deepEqual(parts, whole);
    assert.deepEqual(parts, JSON.parse(JSON.stringify(result)));

    // The findings of one resource share its object; a rule's CSF reference is one object.
    const first = parts.findings.findIndex((f, i) => parts.findings.some((g, j) => j > i && g.resource.id === f.resource.id));
    assert.ok(first >= 0, 'a resource with several findings');
    const same = parts.findings.filter((f) => f.resource.id === parts.findings[first]!.resource.id);
    assert.ok(same.every((f) => f.resource === same[0]!.resource));
    assert.ok(parts.findings.every((f) => f.csf === parts.findings.find((g) => g.ruleId === f.ruleId)!.csf));
    // A register entry is shared by the asset's cells it mitigates, as evaluate builds it.
    const register = parts.threatRegister ?? [];
    const cells = register.filter((cell) => cell.rules.length > 0);
    const shared = cells.some((cell) => cells.some((other) => other !== cell && other.asset === cell.asset && other.rules.some((rule) => cell.rules.includes(rule))));
    assert.ok(shared, 'an entry object appears in two cells of one asset');
  });

  it('reports a broken large document with its file and line, and an invalid one with its JSON path', () => {
    const result = buildSampleResult();
    const text = JSON.stringify(result, null, 2);
    const broken = path.join(dir, 'broken.json');
    const cut = text.indexOf('"fingerprint"', text.indexOf('"findings"'));
    writeFileSync(broken, `${text.slice(0, cut)}"fingerprint": nope,${text.slice(cut)}`);
    assert.throws(() => loadJsonDocument(schemas, 'result', broken, { streamFromBytes: 0 }), (error: unknown) => {
      assert.ok(error instanceof PostureError);
      assert.equal(error.file, broken);
      // The line of the finding the error is in (Node 20's parser gives no position within it).
      const findingStart = text.lastIndexOf('\n    {', cut) + 1;
      assert.ok([text.slice(0, findingStart).split('\n').length, text.slice(0, cut).split('\n').length].includes(error.line!), String(error.line));
      assert.match(error.message, /not valid JSON: .* \(in the value at \/findings\/\d+, from line \d+\)/);
      return true;
    });
    const invalid = path.join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ ...result, findings: [{ ...result.findings[0], evidence: 'none' }] }));
    assert.throws(() => loadJsonDocument(schemas, 'result', invalid, { streamFromBytes: 0 }), /not a valid result document at \/findings\/0\/evidence/);
  });
});
