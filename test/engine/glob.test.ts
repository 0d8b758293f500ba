import assert from 'node:assert/strict';
import { globToRegExp } from '../../src/engine/glob.js';

describe('glob dialect', () => {
  const matches = (glob: string, value: string) => globToRegExp(glob).test(value);

  it('is anchored, case-sensitive, with * for any run and ? for one character', () => {
    assert.ok(matches('arn:aws:s3:::logs-*', 'arn:aws:s3:::logs-2026/x'));
    assert.ok(!matches('arn:aws:s3:::logs-*', 'xarn:aws:s3:::logs-1'));
    assert.ok(!matches('arn:aws:s3:::Logs-*', 'arn:aws:s3:::logs-1'));
    assert.ok(matches('repo-?', 'repo-1'));
    assert.ok(!matches('repo-?', 'repo-12'));
  });

  it('treats everything else literally, dots and brackets included', () => {
    assert.ok(!matches('a.b', 'axb'));
    assert.ok(matches('a[1](x)+', 'a[1](x)+'));
    assert.ok(!matches('a[1]', 'a1'));
  });
});
