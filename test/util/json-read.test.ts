import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonSyntaxError, readJsonObjectFile } from '../../src/util/json-read.js';

describe('readJsonObjectFile: a top-level object read in chunks, member by member', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'posture-json-read-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  const documents: Record<string, unknown> = {
    empty: {},
    scalars: { a: 1, b: -2.5e3, c: true, d: false, e: null, f: 'text', g: '' },
    arrays: { empty: [], numbers: [1, 2, 3], mixed: [1, 'two', null, true, { three: 3 }, [4, [5]], [], {}], strings: ['a', 'b'] },
    strings: {
      quotes: 'say "hi" \\ and \\"',
      brackets: '{[}]],:',
      unicode: 'naïve 日本語 😀 \u2028 \u0000',
      'name with "quotes" and ] }': ['x'],
    },
    nested: { deep: { a: [{ b: [{ c: 'd' }] }] }, findings: Array.from({ length: 50 }, (_, i) => ({ i, message: `finding ${i} "é" ${'x'.repeat(i)}`, evidence: [] })) },
  };

  for (const [name, value] of Object.entries(documents)) {
    for (const indent of [0, 2]) {
      it(`reads the ${name} document (${indent ? 'pretty' : 'compact'}) as JSON.parse does, with elements straddling chunks`, () => {
        const text = JSON.stringify(value, null, indent);
        const file = write(`${name}-${indent}.json`, `${text}\n`);
        // Chunks of 1 to 13 bytes cut every token, escape and UTF-8 sequence somewhere.
        for (const chunkBytes of [1, 2, 3, 7, 13, 1 << 20]) assert.deepEqual(readJsonObjectFile(file, { chunkBytes }), JSON.parse(text), `chunks of ${chunkBytes}`);
      });
    }
  }

  it('hands each element of a top-level array member to the element hook, and keeps what it returns', () => {
    const file = write('hook.json', JSON.stringify({ findings: [{ id: 1 }, { id: 2 }], other: [3], summary: { total: 2 } }, null, 2));
    const seen: string[] = [];
    const read = readJsonObjectFile(file, { chunkBytes: 5, element: (member, value) => (seen.push(member), member === 'findings' ? { ...(value as object), seen: true } : value) });
    assert.deepEqual(seen, ['findings', 'findings', 'other']);
    assert.deepEqual(read, { findings: [{ id: 1, seen: true }, { id: 2, seen: true }], other: [3], summary: { total: 2 } });
  });

  it('keeps "__proto__" as an own member and the last of two members of one name, as JSON.parse does', () => {
    for (const text of ['{"__proto__":1}', '{"__proto__":{"findings":[1]}}', '{"__pro\\u0074o__":[1,2]}', '{"a":1,"a":[2]}', '{"a":[1],"a":2}']) {
      const file = write('proto.json', text);
      for (const chunkBytes of [1, 3, 1 << 20]) {
        const read = readJsonObjectFile(file, { chunkBytes });
        assert.deepEqual(read, JSON.parse(text), `${text}, chunks of ${chunkBytes}`);
        assert.equal(Object.getPrototypeOf(read), Object.prototype);
        assert.deepEqual(Object.keys(read), Object.keys(JSON.parse(text) as object));
      }
    }
  });

  it('stops reading a value that runs on past its limit, naming where it started', () => {
    const items = Array.from({ length: 200 }, (_, i) => `{"n": ${i}}`);
    items[3] = '{"n": 3';
    const file = write('runaway.json', `{\n  "findings": [\n${items.join(',\n')}\n  ]\n}\n`);
    assert.throws(() => readJsonObjectFile(file, { chunkBytes: 64, maxValueChars: 500 }), (error: unknown) => {
      assert.ok(error instanceof JsonSyntaxError);
      assert.match(error.message, /the value at \/findings\/3, from line 6, is longer than 500 characters/);
      assert.equal(error.line, 6);
      return true;
    });
  });

  const failures: [string, string, RegExp, number][] = [
    ['truncated in an element', '{\n  "a": [\n    {"b": 1},\n    {"b":', /end of JSON input/, 4],
    ['truncated after a member', '{\n  "a": 1,\n', /end of JSON input/, 3],
    ['a bad element', '{\n  "a": [\n    1,\n    {"b": nope}\n  ]\n}', /JSON/, 4],
    ['not an object', '[1, 2]', /not a JSON object/, 1],
    ['a missing comma', '{\n  "a": 1\n  "b": 2\n}', /expected "," or "}"/, 3],
    ['a raw line break in a string', '{\n  "a": "x\n}\n\n\n', /control character/, 2],
    ['a stray quote in an array', '{"a":[1"2,\n3,\n4]}\n', /expected "," or "\]"/, 1],
    ['a trailing comma after "__proto__"', '{"__proto__":1,}', /member name/, 1],
    ['text after the end', '{"a": 1}\n\n x', /after the end/, 3],
  ];
  for (const [name, text, message, line] of failures) {
    it(`refuses ${name}, naming the line`, () => {
      const file = write('bad.json', text);
      for (const chunkBytes of [1, 4, 1 << 20]) {
        assert.throws(() => readJsonObjectFile(file, { chunkBytes }), (error: unknown) => {
          assert.ok(error instanceof JsonSyntaxError, String(error));
          assert.match(error.message, message);
          assert.equal(error.line, line, `line, chunks of ${chunkBytes}`);
          return true;
        });
      }
    });
  }
});
