import assert from 'node:assert/strict';
import { chunked, compactPieces, jsonPieces } from '../../src/util/json-chunks.js';
import { serialise, type Runtime } from '../../src/cli/pipeline.js';
import { createRedactor } from '../../src/util/redact.js';

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

  it('without indentation concatenate to exactly JSON.stringify(value), at every depth', () => {
    for (const sample of samples) {
      for (const depth of [0, 1, 2, 3]) assert.equal([...compactPieces(sample, depth)].join(''), JSON.stringify(sample), `${JSON.stringify(sample)} at depth ${depth}`);
    }
  });

  it('write long arrays in groups that concatenate to the same text, whatever the sizes of their elements', () => {
    // Elements from a few characters to over 64 K, so that the group size grows and shrinks.
    const element = (i: number): unknown => (i % 7 === 0 ? [i, { text: 'x'.repeat((i * 977) % 90_000) }] : i % 3 === 0 ? `s${i}` : { i, nested: { list: [i, null, undefined] }, skipped: undefined });
    const doc = { list: Array.from({ length: 3000 }, (_, i) => element(i)), deep: { inner: Array.from({ length: 500 }, (_, i) => element(i)) } };
    for (const depth of [1, 2, 3, 4]) assert.equal([...jsonPieces(doc, depth)].join(''), JSON.stringify(doc, null, 2), `depth ${depth}`);
    const pieces = [...jsonPieces(doc, 2)];
    assert.ok(pieces.length < 3500 / 4, `${pieces.length} pieces: the elements are grouped`);
  });

  it('write an iterable member as the array of what it yields, a group at a time through prepare', () => {
    const made = (n: number) => ({
      *[Symbol.iterator]() {
        for (let i = 0; i < n; i++) yield i % 5 === 0 ? undefined : { i, name: `item ${i}`, tags: ['a', 'b'] };
      },
    });
    for (const n of [0, 1, 17, 4000]) {
      const lazy = { head: 1, list: made(n), tail: [{ map: new Map([[1, 2]]) }] };
      const plain = { head: 1, list: [...made(n)], tail: [{ map: new Map([[1, 2]]) }] };
      for (const depth of [1, 2, 3]) assert.equal([...jsonPieces(lazy, depth)].join(''), JSON.stringify(plain, null, 2), `${n} elements at depth ${depth}`);
      const groups: number[] = [];
      const prepared = [...jsonPieces(lazy, 2, '', { prepare: (elements) => (groups.push(elements.length), elements.map((e) => (e === undefined ? 'gone' : { ...e, name: 'seen' }))) })].join('');
      assert.equal(groups.reduce((a, b) => a + b, 0), n, 'every element passes through prepare once');
      if (n > 16) assert.ok(groups.length > 1 && groups.length < n, `${groups.length} groups`);
      assert.equal((JSON.parse(prepared) as { list: unknown[] }).list.filter((e) => e === 'gone' || (e as { name?: string }).name === 'seen').length, n);
    }
    // Maps and sets are iterable too, but JSON.stringify writes them as objects: so do the pieces.
    const odd = { set: new Set([1]), map: new Map([['k', 1]]) };
    assert.equal([...jsonPieces(odd, 2)].join(''), JSON.stringify(odd, null, 2));
  });

  it('are joined into chunks cut only between members', () => {
    // Elements written whole come in groups of 16 to 64 K characters: enough of them for several.
    const doc = { findings: Array.from({ length: 5000 }, (_, i) => ({ id: `finding-${i}`, secretAccessKey: 'k'.repeat(40) })), tail: 'end' };
    const chunks = [...chunked(jsonPieces(doc), 100)];
    assert.ok(chunks.length > 5, `${chunks.length} chunks`);
    assert.equal(chunks.join(''), JSON.stringify(doc, null, 2));
    for (const chunk of chunks.slice(1)) assert.match(chunk, /^(,\n|\n)/, 'a chunk starts at a member boundary');
    for (const chunk of chunks) assert.equal((chunk.match(/"secretAccessKey": "k{40}"/g) ?? []).length, (chunk.match(/secretAccessKey/g) ?? []).length, 'a key and its value stay together');
  });
});

describe('serialised documents: an AWS key pair in separate strings is redacted', () => {
  it('pairs a key id with a secret key in another string of the document, across chunks too', () => {
    const redactor = createRedactor({ key: 'json-chunks-test' });
    const rt = { redactor, redact: (text: string) => redactor.redact(text) } as unknown as Runtime;
    // Made-up values of the real shapes: a key id, then its secret key in the next item, over and
    // over, so that some cut between chunks falls between the two; and a lone pair of tags.
    const id = 'AKIAZQ4JSONCHUNKS7XY';
    const secret = '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';
    const items = Array.from({ length: 3000 }, (_, i) => ({ n: i, value: i % 2 === 0 ? `id ${id}` : `key ${secret}` }));
    const plain = JSON.stringify(items, null, 2);
    assert.ok(plain.length > 4 * (1 << 15), 'several chunks');
    const written = [...serialise(rt, items)].join('');
    assert.ok(!written.includes(secret), 'no secret key survives next to its key id');
    assert.equal(JSON.parse(written).length, items.length);
    const tags = [...serialise(rt, { tags: [{ Key: 'owner', Value: 'ops' }, { Key: 'ci_secret_access_key', Value: secret }] })].join('');
    assert.ok(!tags.includes(secret), tags);
    const hashes = [...serialise(rt, { commit: 'e83c5163316f89bfbde7d9ab23ca2e25604af290', id })].join('');
    assert.match(hashes, /e83c5163316f89bfbde7d9ab23ca2e25604af290/, 'a hex digest is not a secret key');
    // A documentation link whose path holds a 40-character run of the secret key's alphabet.
    const link = 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html';
    const references = [...serialise(rt, { references: [link], tags: [{ Key: 'ci_secret_access_key', Value: secret }], id })].join('');
    assert.ok(references.includes(link), references);
    assert.ok(!references.includes(secret), 'the secret key beside it is still redacted');
  });
});
