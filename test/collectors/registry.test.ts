import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { collectorRegistry, DEFAULT_SOURCES } from '../../src/collectors/index.js';
import type { Collector } from '../../src/collectors/types.js';

describe('collector registry', () => {
  it('lists exactly the collector folders under src/collectors/', () => {
    const folders = readdirSync(new URL('../../src/collectors/', import.meta.url), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(collectorRegistry().map((c) => c.id).sort(), folders);
  });

  it('describes each collector as the collector itself does, and runs the collector of that folder', async () => {
    const modules: Record<string, string> = {
      'local-repo': 'localRepoCollector',
      secrets: 'secretsCollector',
      osv: 'osvCollector',
      'aws-iam': 'awsIamCollector',
      'aws-s3': 'awsS3Collector',
      github: 'githubCollector',
    };
    for (const entry of collectorRegistry()) {
      const module = (await import(`../../src/collectors/${entry.id}/index.js`)) as Record<string, Collector>;
      const real = module[modules[entry.id] as string];
      assert.ok(real, `src/collectors/${entry.id}/index.ts exports ${modules[entry.id]}`);
      const { collect: _lazy, ...described } = entry;
      const { collect: _real, ...actual } = real;
      assert.deepEqual(described, actual, entry.id);
    }
  });

  it('has unique ids and a default set that needs no credentials', () => {
    const ids = collectorRegistry().map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const collector of collectorRegistry().filter((c) => DEFAULT_SOURCES.includes(c.id))) {
      assert.equal(collector.needsCredentials, false, `${collector.id} is in the default set`);
    }
  });
});
