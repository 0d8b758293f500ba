import assert from 'node:assert/strict';
import { createTopK } from '../../src/reporters/visit.js';

describe('the first k of a sequence, gathered an item at a time', () => {
  it('is a stable sort of the whole sequence cut to k, for any k and any order of arrival', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const byKey = (a: { key: number }, b: { key: number }): number => a.key - b.key;
    for (let round = 0; round < 200; round++) {
      // Few distinct keys, so that ties decide much of the order.
      const items = Array.from({ length: Math.floor(random() * 3000) }, (_, at) => ({ key: Math.floor(random() * 40), at }));
      const limit = Math.floor(random() * 400);
      const top = createTopK(limit, byKey);
      for (const item of items) top.add(item);
      assert.deepEqual(top.result(), [...items].sort(byKey).slice(0, limit), `round ${round}: ${items.length} items, k ${limit}`);
    }
  });
});
