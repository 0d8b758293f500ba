import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { collectorRegistry, DEFAULT_SOURCES } from '../../src/collectors/index.js';

describe('collector registry', () => {
  it('lists exactly the collector folders under src/collectors/', () => {
    const folders = readdirSync(new URL('../../src/collectors/', import.meta.url), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(collectorRegistry().map((c) => c.id).sort(), folders);
  });

  it('has unique ids and a default set that needs no credentials', () => {
    const ids = collectorRegistry().map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const collector of collectorRegistry().filter((c) => DEFAULT_SOURCES.includes(c.id))) {
      assert.equal(collector.needsCredentials, false, `${collector.id} is in the default set`);
    }
  });
});
