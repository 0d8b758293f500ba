// Runs the whole pipeline on the demo estate, offline: the fictional "Acme Rockets" source tree in
// fixtures/demo/. The report says that the data is simulated.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const out = path.join(root, 'posture-report');

const code = await main(['scan', path.join(root, 'fixtures', 'demo'), '--demo', '--fail-on', 'none', '--out', out], process.env, root);
if (code === 0) {
  process.stderr.write(`\nDemo reports (simulated data):\n  ${path.join(out, 'report.md')}\n  ${path.join(out, 'result.json')}\n  ${path.join(out, 'facts.json')}\n`);
}
process.exitCode = code;
