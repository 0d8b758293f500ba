// Micro-benchmarks of the engine and the reporters, on the resources of the benchmark scan.
import { readFileSync } from 'node:fs';
import { loadCsfCatalogue } from '../src/engine/csf.js';
import { createEngine, evaluate } from '../src/engine/evaluate.js';
import { BUILTIN_RULES_DIR, loadRules, paramDefaults } from '../src/engine/rules.js';
import type { ResultDocument } from '../src/engine/types.js';
import { createSchemaSet } from '../src/facts/documents.js';
import type { FactsDocument, Resource } from '../src/facts/types.js';
import { renderReport, reporterRegistry } from '../src/reporters/index.js';

export type MicroFigures = {
  rules: number;
  resources: number;
  decisions: { count: number; ms: number; perSecond: number };
  findings: { count: number; ms: number; perSecond: number };
  /** The same with a new engine per evaluate(), compiling every rule each time, as one CLI run does once. */
  findingsCold: { count: number; ms: number; perSecond: number };
  rendering: { findings: number; byFormat: Record<string, { ms: number; bytes: number }>; totalMs: number };
};

/** Repeats `work` until at least `minMs` have passed; returns the iterations and the time. */
const timed = (work: () => number, minMs: number): { count: number; ms: number } => {
  let count = 0;
  const started = performance.now();
  let ms = 0;
  do {
    count += work();
    ms = performance.now() - started;
  } while (ms < minMs);
  return { count, ms };
};

/** Copies of the resources with distinct ids, up to `target` in all. */
export const scaleResources = (resources: Resource[], target: number): Resource[] => {
  const out: Resource[] = [];
  for (let copy = 0; out.length < target; copy++) {
    for (const resource of resources) {
      if (out.length >= target) break;
      out.push(copy === 0 ? resource : { ...resource, id: `${resource.id}#${copy}`, name: `${resource.name} (${copy})` });
    }
  }
  return out;
};

export const runMicro = (factsFile: string, options: { minMs?: number } = {}): MicroFigures => {
  const minMs = options.minMs ?? 2000;
  const facts = JSON.parse(readFileSync(factsFile, 'utf8')) as FactsDocument;
  const rules = loadRules([{ dir: BUILTIN_RULES_DIR, builtin: true }], createSchemaSet(), loadCsfCatalogue());
  const params = new Map(rules.map((rule) => [rule.id, paramDefaults(rule)]));
  const scanTime = new Date(facts.scan.startedAt);

  // Decisions: requires, when and condition for every (rule, resource of its kind) pair.
  const engine = createEngine(scanTime);
  const byKind = new Map<string, Resource[]>();
  for (const resource of facts.resources) byKind.set(resource.kind, [...(byKind.get(resource.kind) ?? []), resource]);
  const pairs = rules.map((rule) => ({ compiled: engine.compile(rule, params.get(rule.id) ?? {}), resources: byKind.get(rule.resource) ?? [] }));
  const decideAll = (): number => {
    let n = 0;
    for (const { compiled, resources } of pairs) {
      for (const resource of resources) {
        engine.decide(compiled, resource);
        n++;
      }
    }
    return n;
  };
  decideAll();
  const decisions = timed(decideAll, minMs);

  // Complete findings end to end: evaluate() with messages, evidence, fingerprints, sorting, summary.
  // The engine compiles each rule once (its first evaluation, the warm-up); the loop measures the
  // work per finding, not compiling the rules again per evaluation.
  const options_ = { rules, params, scanTime, suppressions: [], configHash: 'bench', rulesHash: 'bench', tool: { name: 'posture', version: 'bench' }, engine };
  let last: ResultDocument = evaluate(facts, options_);
  const findings = timed(() => {
    last = evaluate(facts, options_);
    return last.findings.length;
  }, minMs);
  const { engine: _reused, ...cold } = options_;
  const findingsCold = timed(() => evaluate(facts, cold).findings.length, minMs);

  // Rendering: a result document with 10,000 findings, every format.
  const target = 10_000;
  const scaled = scaleResources(facts.resources, Math.ceil((facts.resources.length * target) / Math.max(1, last.findings.length)) + facts.resources.length);
  const big = evaluate({ ...facts, resources: scaled }, options_);
  const result: ResultDocument = { ...big, findings: big.findings.slice(0, target) };
  const byFormat: Record<string, { ms: number; bytes: number }> = {};
  let totalMs = 0;
  for (const reporter of reporterRegistry()) {
    const started = performance.now();
    const text = renderReport(reporter, result);
    const ms = performance.now() - started;
    totalMs += ms;
    byFormat[reporter.format] = { ms, bytes: Buffer.byteLength(text) };
  }

  return {
    rules: rules.length,
    resources: facts.resources.length,
    decisions: { ...decisions, perSecond: (decisions.count / decisions.ms) * 1000 },
    findings: { ...findings, perSecond: (findings.count / findings.ms) * 1000 },
    findingsCold: { ...findingsCold, perSecond: (findingsCold.count / findingsCold.ms) * 1000 },
    rendering: { findings: result.findings.length, byFormat, totalMs },
  };
};
