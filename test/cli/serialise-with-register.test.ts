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

  it('redacts the register as a whole document would: the same text when names hold secrets, and no secret in it', () => {
    // Made-up values of the real shapes. The regions are one asset of the sample model, and so are
    // the IAM users, so the register's evidence lines start with the resource's name: a private
    // key header (whose pattern runs to the end of the line), a secret key paired by the key id in
    // another name, and the key id.
    const id = 'AKIAZQ4REGISTERTEST7';
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Jc0nTst';
    const facts = sampleFacts({
      names: {
        'aws:111122223333:eu-west-1': '-----BEGIN RSA PRIVATE KEY-----',
        'aws:111122223333:us-east-1': `region of ${id}`,
        'arn:aws:iam::111122223333:user/bob': secret,
      },
    });
    assert.ok(JSON.stringify(facts).includes(secret), 'the resources carry the names given');
    const { full, lazy, register } = bothWays(facts);
    const lines = [...register()].flatMap((cell) => cell.rules.flatMap((rule) => rule.evidence));
    assert.ok(lines.some((line) => line.startsWith(`${secret}: `)) && lines.some((line) => line.startsWith('-----BEGIN RSA PRIVATE KEY-----: ')), 'register lines repeat the names');
    const written = [...serialiseWithRegister(runtime(), lazy, register)].join('');
    assert.equal(written, [...serialise(runtime(), full)].join(''));
    assert.ok(!written.includes(secret), 'the secret key is written nowhere');
    assert.ok(!written.includes('BEGIN RSA PRIVATE KEY'), 'nor the private key header');
  });
});
