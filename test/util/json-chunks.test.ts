import assert from 'node:assert/strict';
import { chunked, jsonPieces } from '../../src/util/json-chunks.js';

describe('JSON in pieces', () => {
  const samples: unknown[] = [
    {},
    [],
    { a: [], b: {}, c: [{}], d: [[]] },
    { findings: [{ id: 'x', evidence: [{ line: 3, detail: 'a\nb "q"' }] }, { id: 'y', nested: { deep: [1, 2, { z: null }] } }], summary: { total: 2 } },
    { skipped: undefined, fn: () => 1, kept: 1, list: [undefined, () => 2, Symbol('s'), 3], when: new Date(0), nothing: { toJSON: () => undefined } },
    [1, 'two', null, true, { three: [3] }],
    'text',
    42,
  ];
  it('concatenate to exactly JSON.stringify(value, null, 2), at every depth', () => {
    for (const sample of samples) {
      for (const depth of [0, 1, 2, 3]) assert.equal([...jsonPieces(sample, depth)].join(''), JSON.stringify(sample, null, 2), `${JSON.stringify(sample)} at depth ${depth}`);
    }
  });

  it('are joined into chunks cut only between members', () => {
    const doc = { findings: Array.from({ length: 50 }, (_, i) => ({ id: `finding-${i}`, secretAccessKey: 'k'.repeat(40) })), tail: 'end' };
    const chunks = [...chunked(jsonPieces(doc), 100)];
    assert.ok(chunks.length > 10);
    assert.equal(chunks.join(''), JSON.stringify(doc, null, 2));
    for (const chunk of chunks.slice(1)) assert.match(chunk, /^(,\n|\n)/, 'a chunk starts at a member boundary');
    for (const chunk of chunks) assert.equal((chunk.match(/"secretAccessKey": "k{40}"/g) ?? []).length, (chunk.match(/secretAccessKey/g) ?? []).length, 'a key and its value stay together');
  });
});
