import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stageFile, writeFileAtomic } from '../../src/util/atomic.js';

describe('atomic writes', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'posture-atomic-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes long texts whole, surrogate pairs included, from one string or from pieces', () => {
    const file = path.join(dir, 'long.txt');
    // Pairs fall on every alignment, so some straddle the boundaries of the slices written.
    const text = `${'x'.repeat(65535)}😀${'a😀é'.repeat(70000)}`;
    writeFileAtomic(file, text);
    assert.equal(readFileSync(file, 'utf8'), text);
    writeFileAtomic(file, ['{"a": ', `"${'😀'.repeat(40000)}"`, '}\n']);
    assert.equal(readFileSync(file, 'utf8'), `{"a": "${'😀'.repeat(40000)}"}\n`);
  });

  it('leaves the previous file in place, and no temporary file, when producing the pieces fails', () => {
    const file = path.join(dir, 'result.json');
    writeFileSync(file, 'previous');
    function* failing(): Generator<string> {
      yield 'half of a document';
      throw new Error('rendering failed');
    }
    assert.throws(() => stageFile(file, failing()), /rendering failed/);
    assert.equal(readFileSync(file, 'utf8'), 'previous');
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.result.json')), []);
    const staged = stageFile(file, 'next');
    assert.equal(readFileSync(file, 'utf8'), 'previous', 'nothing is visible before commit');
    staged.commit();
    assert.equal(readFileSync(file, 'utf8'), 'next');
  });
});
