// `npm run bench`: the benchmark (not a test). It generates an estate, serves it from the local fake
// endpoints in a separate process with injected latency, runs a full scan at the default
// concurrency, then the engine and reporter micro-benchmarks and a 50,000-resource memory run, and
// writes docs/performance.md. Options: --latency-ms N (default 20), --no-write (print only), --keep
// (keep the generated estate and outputs), --only-scan (stop after the full scan; implies --keep),
// --cpu-prof-dir DIR (CPU profiles of the scan and fake-endpoint processes and their threads).
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONCURRENCY } from '../src/aws/session.js';
import type { ResultDocument } from '../src/engine/types.js';
import type { ApiStats, FactsDocument } from '../src/facts/types.js';
import { awsEnvFor } from '../test/support/fake-aws/index.js';
import { BENCH_ORG, generateEstate, type EstateSize } from './estate.js';
import type { FakesCounts, FakesReady, FakesRequest } from './fakes.js';
import { lowerBound, type Bulkhead } from './lower-bound.js';
import { runMicro, scaleResources, type MicroFigures } from './micro.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = process.argv.slice(2);
const latencyMs = Number(args[args.indexOf('--latency-ms') + 1] ?? NaN) || (args.includes('--latency-ms') ? 0 : 20);
const write = !args.includes('--no-write');
const keep = args.includes('--keep');
const onlyScan = args.includes('--only-scan');
const profileDir = args.includes('--cpu-prof-dir') ? path.resolve(args[args.indexOf('--cpu-prof-dir') + 1] ?? '.') : undefined;
const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const SOURCES = ['aws-iam', 'aws-s3', 'github', 'local-repo', 'secrets'];
const GITHUB_CONCURRENCY = 8;
const NOTES_MARKER = '<!-- Notes below this line are written by hand; bench/run.ts keeps them when it rewrites the page. -->';

const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

type ChildFigures = { codes: number[]; wallMs: number[]; maxRssKb: number };
type MemoryFigures = { evaluate: ChildFigures; report: ChildFigures; resultBytes: number };

/** Runs posture commands in a fresh process (bench/scan.mjs, no TypeScript loader) and returns its figures. */
const runPosture = (runs: string[][], env: Record<string, string>): ChildFigures => {
  const child = spawnSync(process.execPath, [...profiling, path.join(here, 'scan.mjs'), JSON.stringify({ runs, env, cwd: root })], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) throw new Error(`posture ${runs.map((r) => r[0]).join(', ')} failed (${child.status}): ${child.stderr.slice(-2000)}`);
  return JSON.parse(line) as ChildFigures;
};

const startFakes = async (request: FakesRequest): Promise<{ child: ChildProcess; ready: FakesReady }> => {
  const child = fork(path.join(here, 'fakes.ts'), [], { execArgv: [...profiling, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<FakesReady>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the fake endpoints exited (${code})`)));
    child.on('message', (message: { type: string; ready?: FakesReady }) => {
      if (message.type === 'ready' && message.ready) resolve(message.ready);
    });
    child.send({ type: 'start', request });
  });
  return { child, ready };
};

const countsOf = (child: ChildProcess): Promise<FakesCounts> =>
  new Promise((resolve) => {
    const listener = (message: { type: string; counts?: FakesCounts }): void => {
      if (message.type !== 'counts' || !message.counts) return;
      child.off('message', listener);
      resolve(message.counts);
    };
    child.on('message', listener);
    child.send({ type: 'counts' });
  });

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (kb: number): string => `${fmt(kb / 1024, 0)} MB`;

const machine = (): { cpus: number; model: string; memoryGb: number; node: string; platform: string; load: string } => ({
  cpus: os.availableParallelism(),
  // The 1-minute load average when the benchmark starts: other work on the machine slows CPU-bound figures.
  load: os.loadavg()[0]?.toFixed(2) ?? '?',
  model: os.cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
});

const main = async (): Promise<void> => {
  const m = machine();
  const work = mkdtempSync(path.join(os.tmpdir(), 'posture-bench-'));
  const estate = generateEstate(work);
  say(`estate: ${estate.size.users} IAM users, ${estate.size.buckets} buckets over ${estate.size.regions.length} regions, ${estate.size.repositories} repositories, ${estate.size.lockfiles} lockfiles (in ${work})`);
  const { child, ready } = await startFakes({ iamDir: estate.iamDir, size: estate.size, latencyMs });
  let scan: ChildFigures;
  let counts: FakesCounts;
  const out = path.join(work, 'out');
  try {
    say(`fake endpoints (separate process, ${latencyMs} ms a call): AWS ${ready.awsUrl}, GitHub ${ready.githubUrl}`);
    const env = { ...awsEnvFor(ready.awsUrl), POSTURE_GITHUB_TOKEN: 'posture-bench-token', CI: 'true' };
    const argv = [
      'scan', estate.tree, '--sources', SOURCES.join(','), '--aws-regions', estate.size.regions.join(','),
      '--github-org', BENCH_ORG, '--github-api-url', ready.githubUrl,
      '--format', 'json', '--fail-on', 'none', '--out', out, '--log-level', 'error',
    ];
    scan = runPosture([argv], env);
    counts = await countsOf(child);
  } finally {
    child.send({ type: 'close' });
  }
  const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as ResultDocument;
  const factsFile = path.join(out, 'facts.json');
  const facts = JSON.parse(readFileSync(factsFile, 'utf8')) as FactsDocument;

  // Calls by API, as the scan recorded them, summed over the sources (two may call the same API).
  const byApi: Record<string, ApiStats> = {};
  for (const source of result.coverage.sources) {
    for (const [api, stats] of Object.entries(source.calls.byApi)) {
      const sum = (byApi[api] ??= { calls: 0, retries: 0, throttles: 0, errors: 0, ms: 0 });
      for (const field of ['calls', 'retries', 'throttles', 'errors', 'ms'] as const) sum[field] += stats[field];
    }
  }
  const bulkheads: Bulkhead[] = [
    ...Object.entries(DEFAULT_CONCURRENCY).map(([service, size]) => ({ name: service, size, matches: (api: string) => api.startsWith(`${service}.`) })),
    { name: 'github', size: GITHUB_CONCURRENCY, matches: (api: string) => /^(GET|POST|PUT|PATCH|DELETE|graphql) /.test(api) },
  ];
  const bound = lowerBound(byApi, bulkheads, latencyMs);
  const wallMs = scan.wallMs[0] ?? 0;
  const collectMs = Math.max(...result.coverage.sources.map((s) => s.durationMs));
  const ratio = wallMs / bound.ms;
  const totalCalls = Object.values(byApi).reduce((sum, s) => sum + s.calls, 0);
  const retries = Object.values(byApi).reduce((sum, s) => sum + s.retries, 0);
  const throttles = Object.values(byApi).reduce((sum, s) => sum + s.throttles, 0);
  const served = Object.values(counts.aws).reduce((a, b) => a + b, 0) + Object.values(counts.github).reduce((a, b) => a + b, 0);

  say(`\nfull scan (${SOURCES.join(', ')}; osv excluded, see docs/performance.md)`);
  say(`  exit code ${scan.codes[0]}; ${facts.resources.length} resources; ${result.findings.length} findings`);
  say(`  sources: ${result.coverage.sources.map((s) => `${s.id} ${s.status} ${fmt(s.durationMs)} ms`).join('; ')}`);
  say(`  calls: ${totalCalls} recorded (${served} answered by the fakes), retries ${retries}, throttles ${throttles}`);
  for (const [api, stats] of Object.entries(byApi).sort(([a], [b]) => (a < b ? -1 : 1))) say(`    ${api.padEnd(58)} ${String(stats.calls).padStart(6)}`);
  say('  lower bound by bulkhead (max(sequential calls, ceil(calls / size)) x latency):');
  for (const b of bound.bulkheads) say(`    ${b.name.padEnd(12)} size ${String(b.size).padStart(3)}  calls ${String(b.calls).padStart(6)}  sequential ${String(b.sequential).padStart(4)}  -> ${fmt(b.ms)} ms`);
  say(`  peak RSS ${mb(scan.maxRssKb)}`);
  say(`ratio to lower bound: ${ratio.toFixed(2)} (wall ${fmt(wallMs)} ms, collection ${fmt(collectMs)} ms, lower bound ${fmt(bound.ms)} ms at ${latencyMs} ms a call)`);

  if (onlyScan) {
    say(`kept ${work}`);
    return;
  }
  say('\nmicro-benchmarks');
  const micro: MicroFigures = runMicro(factsFile);
  say(`  rule decisions: ${fmt(micro.decisions.perSecond)} /s (${micro.rules} rules over ${micro.resources} resources)`);
  say(`  complete findings (evaluate(), fingerprints included): ${fmt(micro.findings.perSecond)} /s`);
  say(`  complete findings, rules compiled again per evaluate(): ${fmt(micro.findingsCold.perSecond)} /s`);
  for (const [format, r] of Object.entries(micro.rendering.byFormat)) say(`  render ${format.padEnd(5)} ${micro.rendering.findings} findings: ${fmt(r.ms)} ms (${mb(r.bytes / 1024)})`);
  say(`  all formats: ${fmt(micro.rendering.totalMs)} ms`);

  // Memory: evaluate and report 50,000 resources, each command in the same fresh process.
  const bigFacts = { ...facts, resources: scaleResources(facts.resources, 50_000) };
  const bigFile = path.join(work, 'facts-50k.json');
  writeFileSync(bigFile, JSON.stringify(bigFacts));
  const bigResult = path.join(work, 'result-50k.json');
  // Each command in a fresh process of its own, as a pipeline runs them: the peak of each is its own.
  const memory: MemoryFigures = {
    resultBytes: 0,
    evaluate: runPosture([['evaluate', bigFile, '--out', bigResult, '--fail-on', 'none', '--log-level', 'error']], { CI: 'true' }),
    report: { codes: [], wallMs: [], maxRssKb: 0 },
  };
  if (memory.evaluate.codes[0] === 0) {
    memory.resultBytes = statSync(bigResult).size;
    memory.report = runPosture([['report', bigResult, '--format', 'json,md,html,sarif', '--out', path.join(work, 'report-50k'), '--log-level', 'error']], { CI: 'true' });
  }
  const memoryOk = memory.evaluate.codes[0] === 0 && memory.report.codes[0] === 0;
  const peakRssKb = Math.max(memory.evaluate.maxRssKb, memory.report.maxRssKb);
  say(`  50,000 resources: evaluate ${fmt(memory.evaluate.wallMs[0] ?? 0)} ms (exit ${memory.evaluate.codes[0]}), peak RSS ${mb(memory.evaluate.maxRssKb)}; result ${mb(memory.resultBytes / 1024)}`);
  say(`  report (4 formats) ${fmt(memory.report.wallMs[0] ?? 0)} ms (exit ${memory.report.codes[0] ?? 'not run'}), peak RSS ${mb(memory.report.maxRssKb)}`);

  const targets = [
    { name: 'full scan within 1.3x of its lower bound', value: `${ratio.toFixed(2)}x`, met: ratio <= 1.3 },
    { name: '>= 1,000,000 rule decisions/s', value: `${fmt(micro.decisions.perSecond)} /s`, met: micro.decisions.perSecond >= 1_000_000 },
    { name: '>= 200,000 complete findings/s', value: `${fmt(micro.findings.perSecond)} /s`, met: micro.findings.perSecond >= 200_000 },
    { name: 'all formats for 10,000 findings < 3 s', value: `${fmt(micro.rendering.totalMs)} ms`, met: micro.rendering.totalMs < 3000 },
    { name: 'peak RSS < 500 MB for 50,000 resources', value: `${mb(peakRssKb)}${memoryOk ? '' : ` (evaluate/report exited ${memory.evaluate.codes[0]}/${memory.report.codes[0] ?? 'not run'})`}`, met: memoryOk && peakRssKb < 500 * 1024 },
  ];
  say('\ntargets');
  for (const t of targets) say(`  ${t.met ? 'met    ' : 'MISSED '} ${t.name}: ${t.value}`);

  if (write) {
    const doc = renderDoc({ m, latencyMs, wallMs, collectMs, ratio, bound, byApi, totalCalls, retries, throttles, scan, facts, result, micro, memory, targets, estate: estate.size });
    // Notes written by hand below the marker (profiles, causes of missed targets) are kept.
    const file = path.join(root, 'docs', 'performance.md');
    const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const notes = previous.includes(NOTES_MARKER) ? previous.slice(previous.indexOf(NOTES_MARKER)) : `${NOTES_MARKER}\n`;
    writeFileSync(file, `${doc}\n${notes}`);
    say('\nwrote docs/performance.md');
  }
  if (keep) say(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
};

type DocInput = {
  m: ReturnType<typeof machine>;
  latencyMs: number;
  wallMs: number;
  collectMs: number;
  ratio: number;
  bound: ReturnType<typeof lowerBound>;
  byApi: Record<string, ApiStats>;
  totalCalls: number;
  retries: number;
  throttles: number;
  scan: ChildFigures;
  facts: FactsDocument;
  result: ResultDocument;
  micro: MicroFigures;
  memory: MemoryFigures;
  targets: { name: string; value: string; met: boolean }[];
  estate: EstateSize;
};

const renderDoc = (d: DocInput): string => `# Performance

Figures from \`npm run bench\` (bench/run.ts), taken ${new Date().toISOString().slice(0, 10)}. Re-run it to refresh this page; it rewrites it.

Machine: ${d.m.cpus} CPUs (\`nproc\`; ${d.m.model}), ${d.m.memoryGb} GB memory, Node ${d.m.node}, ${d.m.platform}. Load average
${d.m.load} when the run started (other work on the machine slows the CPU-bound figures).

## Targets

| Target | Measured | |
|---|---|---|
${d.targets.map((t) => `| ${t.name} | ${t.value} | ${t.met ? 'met' : '**missed**'} |`).join('\n')}

## Full scan

The estate is generated (bench/estate.ts): ${fmt(d.estate.users)} IAM users (credential report and
GetAccountAuthorizationDetails pages of 100 users), ${fmt(d.estate.buckets)} buckets over ${d.estate.regions.length} regions
(${d.estate.regions.join(', ')}), ${d.estate.repositories} GitHub repositories in one organisation, and a source tree with
${d.estate.lockfiles} npm lockfiles. The local fake endpoints of the tests (test/support/fake-aws, test/support/fake-github)
serve it from a **separate process** (bench/fakes.ts), each answer delayed by **${d.latencyMs} ms**. The scan runs in a fresh
process (bench/scan.mjs) at the default concurrency (no posture.yaml): sources ${SOURCES.join(', ')}.

osv is not in the timed scan: the stand-in osv-scanner (test/support/osv-scanner-stand-in) only replays recordings made
for known lockfiles (matched by SHA-256), so it cannot answer for a generated tree, and the real osv-scanner would
measure osv.dev, not posture.

| | |
|---|---|
| wall time of \`posture scan\` (collect, evaluate, write) | ${fmt(d.wallMs)} ms |
| longest source (collection) | ${fmt(d.collectMs)} ms |
| lower bound | ${fmt(d.bound.ms)} ms |
| **ratio to lower bound** | **${d.ratio.toFixed(2)}** |
| resources / findings | ${fmt(d.facts.resources.length)} / ${fmt(d.result.findings.length)} |
| API calls / retries / throttles | ${fmt(d.totalCalls)} / ${d.retries} / ${d.throttles} |
| peak RSS of the scan process | ${mb(d.scan.maxRssKb)} |

Sources: ${d.result.coverage.sources.map((s) => `${s.id} ${s.status} in ${fmt(s.durationMs)} ms`).join('; ')}.

### Lower bound

Each service has a bulkhead: at most *size* calls in flight (for AWS, HTTP requests from sending to the answer,
src/aws/session.ts \`DEFAULT_CONCURRENCY\`; 8 repositories at a time for GitHub). With every call taking the latency *L*, a bulkhead that made *C* calls needs
at least ceil(*C* / *size*) × *L*, and a chain of *S* calls that each need the previous answer (pagination markers,
the credential report) at least *S* × *L*. Bulkheads and sources run side by side, so

    lower bound = max over bulkheads of  max(S, ceil(C / size)) × L

computed from the calls the scan itself recorded (result.json \`coverage.sources[].calls\`). It ignores CPU time and
the ordering between services (e.g. ListBuckets before the bucket calls), so it is a true lower bound; lowering the
concurrency raises it, which is why the wall time is reported beside the ratio.

| Bulkhead | Size | Calls | Sequential | Bound |
|---|---|---|---|---|
${d.bound.bulkheads.map((b) => `| ${b.name} | ${b.size} | ${b.calls} | ${b.sequential} | ${fmt(b.ms)} ms |`).join('\n')}

### Calls by API

| API | Calls | Retries | Throttles | Errors |
|---|---|---|---|---|
${Object.entries(d.byApi).sort(([a], [b]) => (a < b ? -1 : 1)).map(([api, s]) => `| \`${api}\` | ${s.calls} | ${s.retries} | ${s.throttles} | ${s.errors} |`).join('\n')}

## Micro-benchmarks

On the resources of the scan above (${fmt(d.micro.resources)} resources, ${d.micro.rules} built-in rules), in the benchmark
process, each loop repeated for at least 2 s after a warm-up:

| | |
|---|---|
| rule decisions (\`createEngine().decide\`: requires, when, condition) | ${fmt(d.micro.decisions.perSecond)} /s |
| complete findings end to end (\`evaluate()\`: decisions, messages, evidence, fingerprints, sort, summary; rules compiled once) | ${fmt(d.micro.findings.perSecond)} /s |
| the same with a new engine per \`evaluate()\` (the 47 rules compiled each time, as one \`posture evaluate\` does once) | ${fmt(d.micro.findingsCold.perSecond)} /s |
${Object.entries(d.micro.rendering.byFormat).map(([f, r]) => `| render ${f}, ${fmt(d.micro.rendering.findings)} findings | ${fmt(r.ms)} ms (${mb(r.bytes / 1024)}) |`).join('\n')}
| all formats, ${fmt(d.micro.rendering.findings)} findings | ${fmt(d.micro.rendering.totalMs)} ms |

## Memory

The scan's resources copied (with distinct ids) to 50,000, then \`posture evaluate\` and \`posture report --format
json,md,html,sarif\`, each in a fresh process of its own (\`process.resourceUsage().maxRSS\`):

| | wall | exit code | peak RSS |
|---|---|---|---|
| \`posture evaluate\` (writes a result of ${mb(d.memory.resultBytes / 1024)}) | ${fmt(d.memory.evaluate.wallMs[0] ?? 0)} ms | ${d.memory.evaluate.codes[0]} | ${mb(d.memory.evaluate.maxRssKb)} |
| \`posture report\`, four formats | ${fmt(d.memory.report.wallMs[0] ?? 0)} ms | ${d.memory.report.codes[0] ?? 'not run'} | ${mb(d.memory.report.maxRssKb)} |

## How to reproduce

    npm run bench                     # 20 ms a call, rewrites this page
    npm run bench -- --latency-ms 50  # another latency
    npm run bench -- --no-write       # print only

Profiles of the scan and fake-endpoint processes (one file per thread): \`npm run bench -- --only-scan --cpu-prof-dir .tmp/profiles\`.
`;

await main();
