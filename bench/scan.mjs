// Runs posture commands in a process of their own, so that the peak RSS measured is theirs alone.
// The request comes from bench/run.ts as JSON in argv[2]; the figures go to stdout as one JSON line.
//
// Plain JavaScript on purpose: it runs the built CLI (npm run bench builds first) as users run it,
// with no TypeScript loader in the process. A loader given with --import would also be loaded by
// every worker thread the scan starts (they inherit the process's options), adding a few hundred
// milliseconds of CPU to each collector thread's start that users do not pay.

import { performance } from 'node:perf_hooks';

/** @type {{ main: typeof import('../src/cli/main.js').main }} */
const { main } = await import(new URL('../dist/cli/main.js', import.meta.url).href);

/** @type {{ runs: string[][]; env: Record<string, string>; cwd: string }} */
const request = JSON.parse(process.argv[2] ?? '{}');
Object.assign(process.env, request.env);
const codes = [];
const wallMs = [];
for (const argv of request.runs) {
  const started = performance.now();
  codes.push(await main(argv, process.env, request.cwd));
  wallMs.push(performance.now() - started);
}
process.stdout.write(`\n${JSON.stringify({ codes, wallMs, maxRssKb: process.resourceUsage().maxRSS })}\n`);
