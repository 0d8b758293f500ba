#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// `posture evaluate --out - | head`: the reader leaving early is not an error of posture's.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

const code = await main(process.argv.slice(2));
// Leave once what was written has been flushed: a source given up at the deadline (still reading
// files, say) must not hold the process open after the reports are written.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
