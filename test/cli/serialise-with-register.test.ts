import assert from 'node:assert/strict';
import { serialise, serialiseWithRegister, type Runtime } from '../../src/cli/pipeline.js';
import type { ResultDocument } from '../../src/engine/types.js';
import { buildLazyThreatModelSection } from '../../src/threat-model/register.js';
import { createRedactor } from '../../src/util/redact.js';
import { buildSampleResult, loadSampleModel, SCAN_TIME, sampleFacts } from '../threat-model/support/sample.js';

const runtime = (): Runtime => {
  const redactor = createRedactor({ key: 'serialise-with-register-test' });
  return { redactor, redact: (text: string) => redactor.redact(text) } as unknown as Runtime;
};

/** The sample result twice: with its register built first, and with it left to be made while written. */
const bothWays = (facts = sampleFacts()) => {
  const full = buildSampleResult(facts);
  const { threatModel: _model, assets: _assets, threatRegister: _register, risks: _risks, ...base } = full;
  const { register, ...section } = buildLazyThreatModelSection(base as ResultDocument, facts, loadSampleModel(), SCAN_TIME);
  return { full, lazy: { ...base, ...section } as ResultDocument, register };
};

describe('a result written with its threat register made while it is written', () => {
  it('is the text of the result with the register built first, the register in its place', () => {
    const { full, lazy, register } = bothWays();
    assert.equal(lazy.threatRegister, undefined);
    assert.ok((full.threatRegister ?? []).length > 0);
    const written = [...serialiseWithRegister(runtime(), lazy, register)].join('');
    assert.equal(written, [...serialise(runtime(), full)].join(''));
    assert.deepEqual(Object.keys(JSON.parse(written)), Object.keys(full));
  });

  it('makes the register of redacted text: a secret key that a cell repeats from a resource name is not written', () => {
    // Made-up values of the real shapes. The secret key names one region; the key id, in another
    // region's name, pairs them. The regions are one asset of the sample model, so the register's
    // evidence lines start with the resource's name.
    const id = 'AKIAZQ4REGISTERTEST7';
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Jc0nTst';
    const facts = sampleFacts({ names: { 'aws:111122223333:eu-west-1': secret, 'aws:111122223333:us-east-1': `region of ${id}` } });
    assert.ok(JSON.stringify(facts).includes(secret), 'the regions carry the names given');
    const { lazy, register } = bothWays(facts);
    const cells = [...register(lazy.findings)];
    assert.ok(cells.some((cell) => cell.rules.some((rule) => rule.evidence.some((line) => line.startsWith(`${secret}: `)))), 'a register line repeats the name');
    const written = [...serialiseWithRegister(runtime(), lazy, register)].join('');
    assert.ok(!written.includes(secret), 'the secret key is written nowhere');
    const parsed = JSON.parse(written) as ResultDocument;
    assert.ok(parsed.threatRegister!.some((cell) => cell.rules.some((rule) => rule.evidence.some((line) => /^\[secret:aws-secret-access-key:[0-9a-f]{8}\]: /.test(line)))));
  });
});
