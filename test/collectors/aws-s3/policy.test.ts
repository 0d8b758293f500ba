import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analysePolicy, coversAllWithPrefix, wildcardMatch } from '../../../src/collectors/aws-s3/policy.js';
import { packageRoot } from '../../../src/util/package-root.js';

const DIR = path.join(packageRoot, 'fixtures', 'aws', 's3', 'policies');
type Expected = { bucket: string; public: number[]; httpDenied: boolean; tlsBelow12Denied: boolean };
const readdirJson = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const expected = JSON.parse(readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;

describe('aws-s3 bucket-policy analysis', () => {
  for (const [file, want] of Object.entries(expected)) {
    it(`${file}: public ${JSON.stringify(want.public)}, HTTP denied ${want.httpDenied}, TLS < 1.2 denied ${want.tlsBelow12Denied}`, () => {
      const analysis = analysePolicy(readFileSync(path.join(DIR, file), 'utf8'), `arn:aws:s3:::${want.bucket}`);
      assert.deepEqual(analysis.publicStatements.map((s) => s.index), want.public);
      assert.deepEqual(analysis.transport, { httpDenied: want.httpDenied, tlsBelow12Denied: want.tlsBelow12Denied });
    });
  }

  it('checks every fixture policy', () => {
    const listed = new Set(Object.keys(expected));
    for (const sub of ['aws-docs', 'shapes']) {
      const files = readdirJson(path.join(DIR, sub)).map((f) => `${sub}/${f}`);
      assert.deepEqual(files.filter((f) => !listed.has(f)), [], 'a policy fixture has no expectation');
    }
  });

  it('names what a public statement grants, and which condition keys did not restrict it', () => {
    const [statement] = analysePolicy(readFileSync(path.join(DIR, 'aws-docs/http-referer.json'), 'utf8'), 'arn:aws:s3:::DOC-EXAMPLE-BUCKET').publicStatements;
    assert.deepEqual(statement, {
      sid: 'Allow get requests originating from www.example.com and example.com.',
      index: 0,
      principal: '*',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: ['arn:aws:s3:::DOC-EXAMPLE-BUCKET/*'],
      conditionKeys: ['aws:Referer'],
    });
  });

  it('a TLS Deny covers another bucket only if its resources match that bucket', () => {
    const text = readFileSync(path.join(DIR, 'shapes/tls-deny-everyone.json'), 'utf8');
    assert.equal(analysePolicy(text, 'arn:aws:s3:::acme-data').transport.httpDenied, true);
    assert.equal(analysePolicy(text, 'arn:aws:s3:::acme-data-2').transport.httpDenied, false);
  });

  it('refuses text that is not a JSON policy, so that the caller records it as unknown', () => {
    assert.throws(() => analysePolicy('not json', 'arn:aws:s3:::b'));
    assert.throws(() => analysePolicy('[]', 'arn:aws:s3:::b'), /not a JSON object/);
  });

  it('matches IAM wildcards and prefix coverage', () => {
    assert.ok(wildcardMatch('arn:aws:s3:::acme-*', 'arn:aws:s3:::acme-data'));
    assert.ok(!wildcardMatch('arn:aws:s3:::acme-?', 'arn:aws:s3:::acme-data'));
    assert.ok(coversAllWithPrefix('arn:aws:s3:::acme-data/*', 'arn:aws:s3:::acme-data/'));
    assert.ok(coversAllWithPrefix('*', 'arn:aws:s3:::acme-data/'));
    assert.ok(!coversAllWithPrefix('arn:aws:s3:::acme-data/reports/*', 'arn:aws:s3:::acme-data/'));
    assert.ok(!coversAllWithPrefix('arn:aws:s3:::acme-data/*.csv', 'arn:aws:s3:::acme-data/'));
  });
});
