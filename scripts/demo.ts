// Runs the whole pipeline on the demo estate, offline: the fictional "Acme Rockets" source tree in
// fixtures/demo/, its AWS account and its GitHub organisation, served by the same local fake
// endpoints the tests use, and its dependencies matched by a stand-in osv-scanner that replays a
// recording when the real binary is absent. Every report says that the data is simulated.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { demoOsvScanner } from '../src/collectors/osv/demo.js';
import { startDemoAws } from '../test/support/fake-aws/index.js';
import { startDemoGithub } from '../test/support/fake-github/index.js';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const out = path.join(root, 'posture-report');

const aws = await startDemoAws();
const github = await startDemoGithub();
// The demo process's own environment: the fakes' endpoints and made-up credentials, and a fixed
// fingerprint key so that the demo's secret fingerprints are the same on every run.
Object.assign(process.env, aws.env, github.env, { POSTURE_FINGERPRINT_KEY: 'posture-demo-fingerprint-key' });
const osv = demoOsvScanner(process.env);

let code = 2;
try {
  code = await main(
    [
      'scan',
      path.join(root, 'fixtures', 'demo'),
      '--demo',
      '--sources',
      'all',
      '--github-org',
      github.org,
      '--github-api-url',
      github.url,
      ...(osv ? ['--osv-scanner', osv.binary] : []),
      '--threat-model',
      path.join(root, 'fixtures', 'threat-model', 'demo.threat-model.yaml'),
      '--format',
      'json,md,html,sarif',
      '--fail-on',
      'none',
      '--out',
      out,
    ],
    process.env,
    root,
  );
} finally {
  await Promise.all([aws.close(), github.close()]);
}
if (code === 0) {
  const files = ['report.html', 'report.md', 'report.sarif', 'result.json', 'facts.json'].map((f) => `  ${path.join(out, f)}`);
  process.stderr.write(`\nDemo reports (simulated data: a fictional company served by local fake endpoints):\n${files.join('\n')}\n`);
}
process.exitCode = code;
