import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { collectorRegistry, DEFAULT_SOURCES } from '../collectors/index.js';
import { warmIsolated, type WarmWorkers } from '../collectors/isolate.js';
import { runCollectors } from '../collectors/run.js';
import { createShard, planIdOf } from '../collectors/shard.js';
import type { Collector } from '../collectors/types.js';
import { loadSuppressions, type LoadedConfig } from '../config/load.js';
import type { FailOn } from '../config/types.js';
import { evaluate } from '../engine/evaluate.js';
import type { CsfCatalogue } from '../engine/csf.js';
import { BUILTIN_RULES_DIR, loadRules, neededAttributes, resolveParams, rulesHash, selectRules } from '../engine/rules.js';
import type { ResultDocument, Rule } from '../engine/types.js';
import { assertValid, describeAjvError, type SchemaSet } from '../facts/documents.js';
import type { CollectorId, FactsDocument, ResourceKind } from '../facts/types.js';
import { reporterRegistry, type OutputFormat, type Reporter, type StartedReport } from '../reporters/index.js';
import { headOf, visitResult, type ResultHead } from '../reporters/visit.js';
import { stageFile, type StagedFile } from '../util/atomic.js';
import { chunked, jsonPieces } from '../util/json-chunks.js';
import { acceptedRiskSuppressions, buildThreatModelSection, resolveThreatModel, type LoadedThreatModel } from '../threat-model/index.js';
import { buildLazyThreatModelSection, threatModelInventory, type InventoryItem } from '../threat-model/register.js';
import type { RegisterEntry } from '../threat-model/types.js';
import type { Logger } from '../util/logger.js';
import { createRedactor, loadFingerprintKey, type Redactor } from '../util/redact.js';
import { DEFAULT_EXCLUDES, treeIdOf } from '../util/tree.js';
import { PostureError } from './errors.js';
import { createProgressDisplay, progressWanted } from './progress.js';

/** What every command gets: built once per invocation, passed down, never global. */
export type Runtime = {
  schemas: SchemaSet;
  csf: CsfCatalogue;
  logger: Logger;
  cwd: string;
  env: NodeJS.ProcessEnv;
  tool: { name: string; version: string };
  /**
   * The scan's one redactor, used by the logger and every output. It starts with posture's own
   * tokens and is replaced, keyed for the scanned tree, when collection starts.
   */
  redactor: Redactor;
  /** Redacts with whichever redactor is current. */
  redact: (text: string) => string;
};

const splitList = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

/**
 * Resolves the collectors to run: `--sources` replaces the set (`all` is every collector), else
 * `sources:` in posture.yaml, else the default set of collectors that need no credentials.
 */
export const resolveSources = (flag: string | undefined, config: LoadedConfig['config']): Collector[] => {
  const registry = collectorRegistry();
  const valid = registry.map((c) => c.id);
  const requested = flag !== undefined ? splitList(flag) : config.sources;
  if (!requested) return registry.filter((c) => DEFAULT_SOURCES.includes(c.id) && !c.needsCredentials);
  if (requested.length === 0) throw new PostureError('usage', `--sources is empty; valid sources: ${valid.join(', ')}, all`);
  if (requested.includes('all')) return registry;
  const unknown = requested.filter((id) => !valid.includes(id as CollectorId));
  if (unknown.length > 0) throw new PostureError('usage', `unknown source ${unknown.map((u) => `"${u}"`).join(', ')}; valid sources: ${valid.join(', ')}, all`);
  return registry.filter((c) => requested.includes(c.id));
};

/**
 * Starts the worker threads of the isolated collectors that `--sources` (or the config) selects,
 * so that they load their SDKs while the scan loads its rules. A source list that does not parse
 * starts nothing here: collectStage reports it, after whatever is checked before it.
 */
export const warmCollectors = (flag: string | undefined, config: LoadedConfig['config']): WarmWorkers => {
  let ids: CollectorId[] = [];
  try {
    ids = resolveSources(flag, config).filter((c) => c.isolated).map((c) => c.id);
  } catch {
    // Reported by collectStage.
  }
  return warmIsolated(ids);
};

export const parseFormats = (flag: string | undefined, config: LoadedConfig['config'], fallback: OutputFormat[]): OutputFormat[] => {
  const available = reporterRegistry().map((r) => r.format);
  const requested = flag !== undefined ? splitList(flag) : (config.format ?? fallback.filter((f) => available.includes(f)));
  const unknown = requested.filter((f) => !available.includes(f as OutputFormat));
  if (unknown.length > 0) throw new PostureError('usage', `unknown format ${unknown.map((u) => `"${u}"`).join(', ')}; valid formats: ${available.join(', ')}`);
  return [...new Set(requested as OutputFormat[])];
};

export const parseScanTime = (value: string | undefined): Date | undefined => {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new PostureError('usage', `--scan-time "${value}" is not an ISO 8601 date-time`);
  return date;
};

const MAX_TIMER_MS = 2 ** 31 - 1;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `--deadline 90s`, `30m`, `2h`, `1500ms`: a unit is required, so that `--deadline 30` cannot mean two things. */
export const parseDeadline = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  const ms = match ? Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0)) : NaN;
  // setTimeout fires at once for anything over 2^31 - 1 ms (24.8 days).
  if (!(ms >= 1000 && ms <= MAX_TIMER_MS)) throw new PostureError('usage', `--deadline "${value}" is not a duration from 1 s to 24 days, such as 90s, 30m or 2h`);
  return ms;
};

/** `--tree-id`: one word, as it becomes part of every resource id and fingerprint of the tree. */
export const parseTreeId = (value: string | undefined): string | undefined => {
  if (value !== undefined && !/^\S+$/.test(value)) throw new PostureError('usage', `--tree-id "${value}" must be one word without spaces`);
  return value;
};

export type RuleSet = {
  rules: Rule[];
  /** Every rule loaded, before selection: for checks that concern the rule files themselves. */
  all: Rule[];
  params: Map<string, Record<string, unknown>>;
  hash: string;
};

export type RuleSelection = { rulesDirs?: string[]; rules?: string; excludeRules?: string };

/** Loads the built-in rules and the user's, selects them, and applies parameter overrides. */
export const loadRuleSet = (rt: Runtime, loaded: LoadedConfig, selection: RuleSelection): RuleSet => {
  const dirs = [
    { dir: BUILTIN_RULES_DIR, builtin: true },
    ...[...(loaded.config.rules?.dirs ?? []), ...(selection.rulesDirs ?? []).map((d) => path.resolve(rt.cwd, d))].map((dir) => ({ dir, builtin: false })),
  ];
  const all = loadRules(dirs, rt.schemas, rt.csf);
  const include = selection.rules !== undefined ? splitList(selection.rules) : loaded.config.rules?.include;
  const exclude = selection.excludeRules !== undefined ? splitList(selection.excludeRules) : loaded.config.rules?.exclude;
  const rules = selectRules(all, include, exclude);
  const overrides = loaded.config.rules?.params ?? {};
  for (const id of Object.keys(overrides)) {
    if (!all.some((rule) => rule.id === id)) throw new PostureError('config-invalid', `rules.params names unknown rule "${id}"`, { file: loaded.file });
  }
  const params = new Map(rules.map((rule) => [rule.id, resolveParams(rule, overrides[rule.id], loaded.file ?? 'posture.yaml')]));
  return { rules, all, params, hash: rulesHash(rules) };
};

export type CollectInput = {
  target: string;
  loaded: LoadedConfig;
  sources?: string;
  exclude?: string[];
  scanTime?: Date;
  /** `--tree-id`: the tree's identity instead of its origin remote or directory name. */
  treeId?: string;
  /** `--deadline`, in milliseconds: beats limits.deadlineMs of posture.yaml. */
  deadlineMs?: number;
  ruleSet: RuleSet;
  collectorOptions: Record<string, unknown>;
  /** Attributes the threat model reads (exposure, tags for selectors), beyond the rules'. */
  extraNeeds?: Map<ResourceKind, Set<string>>;
  demo?: boolean;
  /** `--shard K/N`: collect only this shard's units of work. */
  shard?: { k: number; n: number };
  /** `--progress` / `--no-progress`; unset: shown on a terminal outside CI. */
  progress?: boolean;
  /** Worker threads started ahead for the isolated collectors (see warmIsolated). */
  warm?: WarmWorkers;
};

/** Runs the collectors over the target and returns a validated facts document. Ends the warm workers it was given that no collector took. */
export const collectStage = async (rt: Runtime, input: CollectInput): Promise<FactsDocument> => {
  try {
    return await collect(rt, input);
  } finally {
    input.warm?.close();
  }
};

/** Runs `prepare` (the steps between starting warm workers and collectStage), ending the workers if it throws. */
export const closeOnError = <T>(warm: WarmWorkers, prepare: () => T): T => {
  try {
    return prepare();
  } catch (error) {
    warm.close();
    throw error;
  }
};

const collect = async (rt: Runtime, input: CollectInput): Promise<FactsDocument> => {
  const root = path.resolve(rt.cwd, input.target);
  if (!existsSync(root)) throw new PostureError('path-missing', 'path to scan does not exist', { file: input.target });
  if (!statSync(root).isDirectory()) throw new PostureError('path-missing', 'path to scan is not a directory', { file: input.target });
  const treeId = input.treeId ?? treeIdOf(root);
  const collectors = resolveSources(input.sources, input.loaded.config);
  const needs = neededAttributes(input.ruleSet.rules);
  for (const [kind, attributes] of input.extraNeeds ?? []) needs.set(kind, new Set([...(needs.get(kind) ?? []), ...attributes]));
  const limits = input.loaded.config.limits ?? {};
  const excludes = input.exclude?.length ? input.exclude : (input.loaded.config.paths?.exclude ?? DEFAULT_EXCLUDES);
  // Only secret findings carry keyed fingerprints: without the secrets collector nothing is written
  // into the scanned tree and a key for this run is enough.
  if (collectors.some((c) => c.id === 'secrets')) {
    const fingerprintKey = loadFingerprintKey({ env: rt.env, root });
    if (fingerprintKey.warning) rt.logger.warn(fingerprintKey.warning);
    rt.redactor = createRedactor({ env: rt.env, key: fingerprintKey.key });
  } else {
    rt.redactor = createRedactor({ env: rt.env });
  }
  const controller = new AbortController();
  const deadlineMs = input.deadlineMs ?? limits.deadlineMs;
  const shard = input.shard ? createShard(input.shard.k, input.shard.n) : undefined;
  const display = progressWanted(input.progress, rt.env, process.stderr) ? createProgressDisplay(process.stderr) : undefined;
  const facts = await runCollectors({
    collectors,
    context: {
      root,
      treeId,
      scanTime: input.scanTime ?? new Date(),
      logger: rt.logger,
      needs: (kind: ResourceKind) => needs.get(kind) ?? new Set<string>(),
      config: input.loaded.config,
      options: input.collectorOptions,
      excludes,
      env: rt.env,
      signal: controller.signal,
      limits: {
        timeoutMs: limits.timeoutMs ?? 10_000,
        concurrency: (service, fallback) => limits.concurrency?.[service] ?? fallback,
        maxFileBytes: limits.maxFileBytes ?? 2 * 1024 * 1024,
      },
      redactor: rt.redactor,
      ...(shard ? { shard } : {}),
    },
    tool: rt.tool,
    targets: { path: input.target, treeId },
    demo: input.demo,
    isolation: { concurrency: limits.concurrency ?? {}, ...(input.warm ? { warm: input.warm } : {}) },
    ...(deadlineMs !== undefined ? { deadline: { ms: deadlineMs, abort: () => controller.abort() } } : {}),
    ...(display ? { progress: display } : {}),
  }).finally(() => display?.stop());
  if (shard) {
    const planId = planIdOf({ configHash: input.loaded.hash, rulesHash: input.ruleSet.hash, sources: collectors.map((c) => c.id).sort(), treeId, options: input.collectorOptions });
    facts.shard = { k: shard.k, n: shard.n, planId, units: shard.covered() };
  }
  validateFacts(rt, facts, 'facts (as collected)');
  return facts;
};

/** Validates a facts document and each resource's attributes against its kind's schema. */
export const validateFacts = (rt: Runtime, facts: FactsDocument, label: string): void => {
  assertValid(rt.schemas, 'facts', facts, label);
  facts.resources.forEach((resource, index) => {
    const validate = rt.schemas.kindValidator(resource.kind);
    if (validate && !validate(resource.attributes)) {
      throw new PostureError('document-invalid', `resource ${index} (${resource.kind} ${resource.id}) has invalid attributes ${describeAjvError(validate.errors![0]!).replace(/^at /, 'at attributes')}`, { file: label });
    }
  });
};

export type EvaluateInput = { facts: FactsDocument; loaded: LoadedConfig; ruleSet: RuleSet; threatModel: LoadedThreatModel; scanTime?: Date; root?: string };

/** The findings of an evaluation and what the threat model reads of the facts: not the facts themselves. */
export type PendingResult = { result: ResultDocument; inventory: InventoryItem[]; threatModel: LoadedThreatModel; scanTime: Date };

/**
 * Evaluates the facts with the rule set: a pure step apart from reading the suppression files.
 * The threat model is added afterwards (evaluateStage, withLazyThreatModel), so that a caller that
 * needs the facts no longer can let them go in between: at scale they are a large part of the memory.
 */
export const evaluateFindings = (rt: Runtime, input: EvaluateInput): PendingResult => {
  const scanTime = input.scanTime ?? new Date(input.facts.scan.startedAt);
  const suppressions = [...loadSuppressions(rt.schemas, input.loaded, input.root), ...acceptedRiskSuppressions(input.threatModel)];
  const result = evaluate(input.facts, {
    rules: input.ruleSet.rules,
    params: input.ruleSet.params,
    scanTime,
    suppressions,
    configHash: input.loaded.hash,
    rulesHash: input.ruleSet.hash,
    tool: rt.tool,
  });
  return { result, inventory: threatModelInventory(input.facts), threatModel: input.threatModel, scanTime };
};

/** The register of a result written by serialiseWithRegister: each call makes it anew, while it is iterated. */
export type LazyRegister = () => Iterable<RegisterEntry>;

/**
 * The threat-model section for a result that is written, not rendered: the result gets the threat
 * model, assets and risks, and the register is made while the result is written (serialiseWithRegister).
 */
export const withLazyThreatModel = (pending: PendingResult): { result: ResultDocument; register: LazyRegister } => {
  const { register, ...section } = buildLazyThreatModelSection(pending.result, pending.inventory, pending.threatModel, pending.scanTime);
  return { result: Object.assign(pending.result, section), register };
};

/** The findings and the threat-model section (assets, register, risks) of the facts. */
export const evaluateStage = (rt: Runtime, input: EvaluateInput): ResultDocument => {
  const pending = evaluateFindings(rt, input);
  return Object.assign(pending.result, buildThreatModelSection(pending.result, pending.inventory, pending.threatModel, pending.scanTime));
};

/** `--threat-model FILE`, else ./threat-model.yaml, else the default model. */
export const threatModelOf = (rt: Runtime, file: string | undefined): LoadedThreatModel => resolveThreatModel(rt.schemas, { cwd: rt.cwd, file });

/**
 * Renders every asked-for format into a temporary file first, then renames them all into place:
 * a rendering failure leaves the previous reports untouched.
 */
export const writeReports = (rt: Runtime, outDir: string, result: ResultDocument, formats: OutputFormat[], facts?: FactsDocument): string[] => {
  // Redact the document before rendering (so escaping cannot hide a secret from the redactor) and
  // every rendered output after it.
  const redacted = rt.redactor.redactDeep(result);
  const reports = startReports(headOf(redacted), formats);
  visitResult(redacted, reports.map((r) => r.build?.visitor ?? {}));
  return stageAll((staged) => {
    if (facts) staged.push(stageFile(path.join(outDir, 'facts.json'), serialise(rt, facts)));
    // The result document is written in pieces: at scale it is longer than any one string can be.
    staged.push(stageFile(path.join(outDir, 'result.json'), serialiseRedacted(rt, redacted)));
    staged.push(...stageRendered(rt, outDir, reports));
  });
};

/**
 * Renders and stages the file of each started report, its text redacted, in the order of the
 * registry. SARIF, the largest, goes first, and each report is let go once its file is written,
 * so that no two reports' renderings are held at once.
 */
export const stageRendered = (rt: Runtime, outDir: string, reports: { reporter: Reporter; build?: StartedReport }[]): StagedFile[] => {
  const staged = new Map<Reporter, StagedFile>();
  const pending = reports.filter((r) => r.build !== undefined).sort((a, b) => Number(b.build?.sarif !== undefined) - Number(a.build?.sarif !== undefined));
  try {
    for (const entry of pending) {
      const build = entry.build as StartedReport;
      entry.build = undefined;
      staged.set(entry.reporter, stageFile(path.join(outDir, entry.reporter.file), build.pieces ? redactedChunks(rt, build.pieces()) : rt.redactor.redact(build.render())));
    }
  } catch (error) {
    for (const file of staged.values()) file.discard();
    throw error;
  }
  return reports.flatMap((r) => staged.get(r.reporter) ?? []);
};

/** The reporters of the asked-for formats (result.json always), each started on the result's head. */
export const startReports = (head: ResultHead, formats: OutputFormat[]): { reporter: Reporter; build?: StartedReport }[] =>
  reporterRegistry()
    .filter((r) => formats.includes(r.format) || r.format === 'json')
    .map((reporter) => ({ reporter, ...(reporter.start ? { build: reporter.start(head) } : {}) }));

/**
 * Stages files (`stage` pushes each as it is made), then commits them all: a failure while staging
 * removes what was staged; a failed rename leaves the files already committed in place and removes
 * the rest.
 */
const stageAll = (stage: (staged: StagedFile[]) => void): string[] => {
  const staged: StagedFile[] = [];
  try {
    stage(staged);
  } catch (error) {
    for (const file of staged) file.discard();
    throw error;
  }
  return commitAll(staged);
};

/** Renames staged files into place; a failed rename leaves those already renamed and removes the rest. */
export const commitAll = (staged: StagedFile[]): string[] => {
  staged.forEach((file, index) => {
    try {
      file.commit();
    } catch (error) {
      for (const rest of staged.slice(index)) rest.discard();
      throw error;
    }
  });
  return staged.map((s) => s.file);
};

/**
 * JSON text of a document already passed through redactDeep, in redacted chunks. `prepare` takes
 * each group of elements of an iterable member (see below) before it is written.
 */
export function* serialiseRedacted(rt: Runtime, redacted: unknown, prepare = (elements: unknown[]): unknown[] => rt.redactor.redactDeep(elements)): Generator<string> {
  // redactDeep has redacted every string, pairing key ids with secret keys across strings; each
  // chunk (whole members) is redacted again as text, for what only the joined text shows.
  // A part made while it is written (an iterable member) was not in the document redactDeep saw:
  // each group of its elements is redacted as the document was, once the secrets that the rest of
  // the document pairs are known.
  yield* redactedChunks(rt, withLineBreak(jsonPieces(redacted, 2, '', { prepare })));
}

/** Text in pieces, joined into chunks cut between JSON members, each redacted. */
function* redactedChunks(rt: Runtime, pieces: Iterable<string>): Generator<string> {
  for (const chunk of chunked(pieces)) yield rt.redactor.redact(chunk);
}

function* withLineBreak(pieces: Iterable<string>): Generator<string> {
  yield* pieces;
  yield '\n';
}

/**
 * A document as pretty-printed JSON (`JSON.stringify(document, null, 2)` and a line break) with
 * every string redacted, in chunks: written one after another they make the whole text.
 */
export const serialise = (rt: Runtime, document: unknown): Iterable<string> => serialiseRedacted(rt, rt.redactor.redactDeep(document));

/**
 * serialise for a result whose threat register is made while it is written (withLazyThreatModel):
 * the text is that of the result with the register in its place, after the assets. The rest of
 * the document is redacted first, which registers every secret that its strings pair (the
 * register's strings are made of the findings'); each group of cells is then redacted as it is
 * made, string by string as redactDeep of the whole document did.
 */
export function* serialiseWithRegister(rt: Runtime, result: ResultDocument, register: LazyRegister): Generator<string> {
  const document: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(result)) {
    document[name] = value;
    if (name === 'assets') document.threatRegister = register();
  }
  yield* serialise(rt, document);
}

export const failOnOf = (flag: string | undefined, config: LoadedConfig['config']): FailOn => (flag as FailOn | undefined) ?? config.failOn ?? 'high';
