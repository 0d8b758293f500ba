// Runs posture commands in a process of their own, so that the peak RSS measured is theirs alone.
// The request comes from bench/run.ts as JSON in argv[2]; the figures go to stdout as one JSON line.
import type { main as Main } from '../src/cli/main.js';

// The built CLI (npm run bench builds first), as users run it: not the sources through a TypeScript loader.
const built = new URL('../dist/cli/main.js', import.meta.url).href;
const { main } = (await import(built)) as { main: typeof Main };

type Request = { runs: string[][]; env: Record<string, string>; cwd: string };

const request = JSON.parse(process.argv[2] ?? '{}') as Request;
Object.assign(process.env, request.env);
const codes: number[] = [];
const wallMs: number[] = [];
for (const argv of request.runs) {
  const started = performance.now();
  codes.push(await main(argv, process.env, request.cwd));
  wallMs.push(performance.now() - started);
}
process.stdout.write(`\n${JSON.stringify({ codes, wallMs, maxRssKb: process.resourceUsage().maxRSS })}\n`);
