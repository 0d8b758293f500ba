/**
 * Regenerates fixtures/threat-model/result.json from the sample estate:
 *   npx tsx test/threat-model/support/write-fixtures.ts
 * test/threat-model/fixture.test.ts fails when the committed file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES, sampleFixtureResult } from './fixture.js';

writeFileSync(path.join(FIXTURES, 'result.json'), `${JSON.stringify(sampleFixtureResult(), null, 2)}\n`);
