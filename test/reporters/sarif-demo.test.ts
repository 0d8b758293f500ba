import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SarifLog } from '../../src/reporters/sarif.js';
import { runCli } from '../support/cli.js';
import { runSarifValidator, sarifSchemaValidator } from '../support/sarif-validate.js';
import { tempTree } from '../support/temp.js';

const demo = fileURLToPath(new URL('../../fixtures/demo', import.meta.url));

describe('SARIF from the demo estate', function () {
  this.timeout(180_000);

  it("passes Microsoft's SARIF validator (GitHub and SARIF rules) and the OASIS schema with zero errors", async function () {
    if (!existsSync(demo)) this.skip();
    const out = tempTree({});
    try {
      const scan = await runCli(['scan', demo, '--demo', '--format', 'json,sarif', '--fail-on', 'none', '--out', out.dir], {
        env: { POSTURE_FINGERPRINT_KEY: 'sarif-demo-test-key', GITHUB_REPOSITORY: '', GITHUB_ACTIONS: '' },
      });
      assert.equal(scan.code, 0, scan.stderr);
      const file = path.join(out.dir, 'report.sarif');
      const log = JSON.parse(readFileSync(file, 'utf8')) as SarifLog;
      const results = log.runs.flatMap((r) => r.results);
      assert.ok(results.length > 0, 'the demo estate has planted problems');
      assert.ok(results.every((r) => /^[0-9a-f]{64}$/.test(r.partialFingerprints.primaryLocationLineHash)));
      const validate = sarifSchemaValidator();
      assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
      const reported = await runSarifValidator(file);
      const errors = reported.filter((r) => r.level === 'error');
      assert.deepEqual(errors, [], JSON.stringify(errors, null, 2));
    } finally {
      out.cleanup();
    }
  });
});
