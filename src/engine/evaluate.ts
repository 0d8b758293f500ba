import type { ErrorObject, ValidateFunction } from 'ajv';
import { createAjv } from '../facts/documents.js';
import type { FactsDocument, Resource } from '../facts/types.js';
import { isUnknown, type Unknown } from '../facts/types.js';
import { createThreeValued, findUnknown, substitute, type Truth } from './conditions.js';
import { categoryOf, functionOf } from './csf.js';
import { fingerprint } from './fingerprint.js';
import { applySuppressions, type SuppressionSource } from './suppressions.js';
import { compileTemplate, getPath } from './template.js';
import {
  CSF_FUNCTIONS,
  SEVERITIES,
  STATUSES,
  type CsfRef,
  type EvidenceItem,
  type Finding,
  type JsonSchema,
  type ResultDocument,
  type Rule,
  type Severity,
  type Status,
  type Summary,
} from './types.js';

/** A rule with its parameters applied and its schemas compiled, ready to decide resources. */
export type CompiledRule = {
  rule: Rule;
  params: Record<string, unknown>;
  csf: CsfRef;
  condition: JsonSchema;
  when?: JsonSchema;
  test: ValidateFunction;
  /** The same condition with every error collected: compiled on the rule's first failure only. */
  explain: () => ValidateFunction;
  applies?: ValidateFunction;
  roots: string[];
  /** The rule's message and evidence templates, parsed once. */
  message: (context: Record<string, unknown>) => string;
  evidence?: (context: Record<string, unknown>) => string;
  /** `requires` split into segments once, not per resource. */
  required: { path: string; segments: string[] }[];
};

export type Decision = {
  status: Exclude<Status, 'suppressed'>;
  evidence: EvidenceItem[];
  unknown?: { reason: string; attributes: string[]; permission?: string };
};

export type Engine = {
  /** The clock the engine ages against: a compiled rule holds times derived from it. */
  scanTime: Date;
  /** Compiles a rule with its parameters; the same rule and parameters compile once per engine. */
  compile: (rule: Rule, params: Record<string, unknown>) => CompiledRule;
  decide: (compiled: CompiledRule, resource: Pick<Resource, 'attributes'>) => Decision;
};

/** Builds the evaluator for one scan time. Schemas are compiled once per rule, never per resource. */
export const createEngine = (scanTime: Date): Engine => {
  const fast = createAjv();
  const thorough = createAjv({ allErrors: true });
  const threeValued = createThreeValued(fast);
  // Keyed by the rule object and its parameters' values, so an engine kept across evaluations
  // (the rule tests, the benchmark, a long-running caller) compiles each rule once.
  const compiledRules = new WeakMap<Rule, Map<string, CompiledRule>>();

  const compile = (rule: Rule, params: Record<string, unknown>): CompiledRule => {
    const key = JSON.stringify(params);
    let byParams = compiledRules.get(rule);
    const cached = byParams?.get(key);
    if (cached) return cached;
    const condition = substitute(rule.condition, params, scanTime) as JsonSchema;
    const when = rule.when === undefined ? undefined : (substitute(rule.when, params, scanTime) as JsonSchema);
    const primary = rule.csf[0]?.id as string;
    let explain: ValidateFunction | undefined;
    const compiled: CompiledRule = {
      rule,
      params,
      csf: { function: functionOf(primary), category: categoryOf(primary), subcategories: rule.csf.map((c) => c.id) },
      condition,
      when,
      test: fast.compile(condition as object),
      explain: () => (explain ??= thorough.compile(condition as object)),
      applies: when === undefined ? undefined : fast.compile(when as object),
      roots: [...new Set(rule.requires.map((p) => p.split('.')[0] as string))],
      message: compileTemplate(rule.message),
      evidence: rule.evidence ? compileTemplate(rule.evidence) : undefined,
      required: rule.requires.map((p) => ({ path: p, segments: p.split('.') })),
    };
    if (!byParams) {
      byParams = new Map();
      compiledRules.set(rule, byParams);
    }
    byParams.set(key, compiled);
    return compiled;
  };

  const paths = createPaths();
  const fail = (compiled: CompiledRule, attributes: Record<string, unknown>): Decision => {
    const explain = compiled.explain();
    explain(attributes);
    return { status: 'fail', evidence: explainErrors(compiled, attributes, explain.errors ?? [], paths) };
  };

  const decide = (compiled: CompiledRule, resource: Pick<Resource, 'attributes'>): Decision => {
    let attributes = resource.attributes;
    let unknownPaths: string[] | undefined;
    let firstMarker: { reason: string; permission?: string } | undefined;
    for (const { path: required, segments } of compiled.required) {
      const value = valueAt(attributes, segments);
      if (value !== undefined && (value === null || typeof value !== 'object')) continue;
      const found = value === undefined ? missingAt(attributes, required) : findUnknown(value, required);
      if (!found) continue;
      (unknownPaths ??= []).push(found.path);
      firstMarker ??= found.marker.$unknown;
      // Make an attribute that was never collected explicit, so three-valued evaluation sees it.
      if (value === undefined && found.marker.$unknown.reason === NOT_COLLECTED) attributes = withMarker(attributes, found.path.split('.'), found.marker);
    }
    if (unknownPaths === undefined) {
      if (compiled.applies && !compiled.applies(attributes)) return NOT_APPLICABLE;
      if (compiled.test(attributes)) return PASS;
      return fail(compiled, attributes);
    }
    const undecided = (): Decision => ({
      status: 'unknown',
      evidence: NO_EVIDENCE,
      unknown: { reason: firstMarker?.reason ?? 'not collected', attributes: unknownPaths, ...(firstMarker?.permission ? { permission: firstMarker.permission } : {}) },
    });
    const applicable: Truth = compiled.when === undefined ? 'true' : threeValued(compiled.when, attributes);
    if (applicable === 'false') return NOT_APPLICABLE;
    if (applicable === 'unknown') return undecided();
    const truth = threeValued(compiled.condition, attributes);
    if (truth === 'true') return PASS;
    if (truth === 'unknown') return undecided();
    return fail(compiled, attributes);
  };

  return { scanTime, compile, decide };
};

const NOT_COLLECTED = 'not collected';

// Most decisions pass or do not apply, with nothing to show: they share one frozen answer each
// rather than allocating one per resource.
const NO_EVIDENCE: EvidenceItem[] = Object.freeze<EvidenceItem[]>([]) as EvidenceItem[];
const PASS: Decision = Object.freeze({ status: 'pass', evidence: NO_EVIDENCE });
const NOT_APPLICABLE: Decision = Object.freeze({ status: 'not_applicable', evidence: NO_EVIDENCE });

const valueAt = (attributes: Record<string, unknown>, segments: string[]): unknown => {
  let current: unknown = attributes;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
};

/** A required path that is absent: unknown unless an ancestor is a real null ("not configured"). */
const missingAt = (attributes: Record<string, unknown>, required: string): { path: string; marker: Unknown } | undefined => {
  const segments = required.split('.');
  let current: unknown = attributes;
  for (const [index, segment] of segments.entries()) {
    if (current === null || typeof current !== 'object') return undefined;
    if (isUnknown(current)) return { path: segments.slice(0, index).join('.'), marker: current };
    current = (current as Record<string, unknown>)[segment];
    if (current === undefined) return { path: segments.slice(0, index + 1).join('.'), marker: { $unknown: { reason: NOT_COLLECTED } } };
  }
  return undefined;
};

/** A copy of the attributes with a marker set at a path, copying only along that path. */
const withMarker = (value: Record<string, unknown>, segments: string[], marker: Unknown): Record<string, unknown> => {
  const [head, ...rest] = segments as [string, ...string[]];
  const child = value[head];
  return { ...value, [head]: rest.length === 0 ? marker : withMarker((child ?? {}) as Record<string, unknown>, rest, marker) };
};

const pointer = (instancePath: string): string[] =>
  instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => (s.includes('~') ? s.replace(/~1/g, '/').replace(/~0/g, '~') : s));

const dotted = (segments: string[]): string =>
  segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '') || '(resource)';

const show = (value: unknown): string => {
  const text = typeof value === 'string' ? `"${value}"` : JSON.stringify(value) ?? 'nothing';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

const describe = (error: ErrorObject, segments: string[], value: unknown, where: string): string => {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${dotted([...segments, String(p.missingProperty)])} is missing`;
    case 'const':
      return `${where} is ${show(value)}; expected ${show(p.allowedValue)}`;
    case 'enum':
      return `${where} is ${show(value)}; expected one of ${(p.allowedValues as unknown[]).map(show).join(', ')}`;
    case 'maxItems':
      return `${where} has ${(value as unknown[]).length} entries; at most ${String(p.limit)} allowed`;
    case 'minItems':
      return `${where} has ${(value as unknown[]).length} entries; at least ${String(p.limit)} required`;
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
    case 'formatMaximum':
    case 'formatMinimum':
    case 'formatExclusiveMaximum':
    case 'formatExclusiveMinimum':
      return `${where} is ${show(value)}; must be ${String(p.comparison)} ${show(p.limit)}`;
    case 'type':
      return `${where} is ${show(value)}; expected ${String(p.type)}`;
    case 'not':
      return `${where} is ${show(value)}, which is not allowed`;
    default:
      return `${where} is ${show(value)}: ${error.message ?? 'does not meet the condition'}`;
  }
};

const COMBINATORS = new Set(['anyOf', 'oneOf', 'if', 'allOf']);

/**
 * Turns validation errors into evidence: one item per offending place. A place is the nearest
 * enclosing object that records a `line` (a step in a workflow, an entry in a lockfile), so five
 * unpinned actions give five items each with its line.
 */
/**
 * A memo of a pure function of a string, cleared when it grows past `limit`: instance paths repeat
 * from resource to resource (`/accessKeys/0/lastRotated`), so each is split and described once.
 */
const memoOf = <T>(fn: (key: string) => T, limit = 10_000): ((key: string) => T) => {
  const memo = new Map<string, T>();
  return (key) => {
    let value = memo.get(key);
    if (value === undefined) {
      if (memo.size >= limit) memo.clear();
      value = fn(key);
      memo.set(key, value);
    }
    return value;
  };
};

/** Splitting and describing JSON pointers, memoised per engine. */
type Paths = { segmentsOf: (instancePath: string) => string[]; dottedOf: (instancePath: string) => string };

const createPaths = (): Paths => {
  const segmentsOf = memoOf(pointer);
  return { segmentsOf, dottedOf: memoOf((instancePath) => dotted(segmentsOf(instancePath))) };
};

/** The JSON pointer of the first `depth` segments of `instancePath`. */
const pointerPrefix = (instancePath: string, depth: number): string => {
  let end = 0;
  for (let n = 0; n <= depth; n++) {
    end = instancePath.indexOf('/', end + 1);
    if (end === -1) return instancePath;
  }
  return instancePath.slice(0, end);
};

/**
 * Turns validation errors into evidence: one item per offending place. A place is the nearest
 * enclosing object that records a `line` (a step in a workflow, an entry in a lockfile), so five
 * unpinned actions give five items each with its line.
 */
const explainErrors = (compiled: CompiledRule, attributes: Record<string, unknown>, errors: ErrorObject[], paths: Paths): EvidenceItem[] => {
  let specific = 0;
  for (const error of errors) if (!COMBINATORS.has(error.keyword)) specific++;
  const candidates = specific > 0 ? specific : errors.length;
  const seen = candidates > 1 ? new Set<string>() : undefined;
  const items: EvidenceItem[] = [];
  for (const error of errors) {
    if (specific > 0 && COMBINATORS.has(error.keyword)) continue;
    const segments = paths.segmentsOf(error.instancePath);
    // The values along the path, walked once: nodes[d] is the value at the first d segments.
    const nodes: unknown[] = [attributes];
    for (let depth = 0; depth < segments.length; depth++) {
      const parent = nodes[depth];
      nodes.push(parent !== null && typeof parent === 'object' ? (parent as Record<string, unknown>)[segments[depth] as string] : undefined);
    }
    let placeDepth = -1;
    for (let depth = segments.length; depth > 0; depth--) {
      const candidate = nodes[depth];
      if (candidate !== null && typeof candidate === 'object' && typeof (candidate as { line?: unknown }).line === 'number') {
        placeDepth = depth;
        break;
      }
    }
    const placePath = placeDepth > 0 ? (placeDepth === segments.length ? error.instancePath : pointerPrefix(error.instancePath, placeDepth - 1)) : undefined;
    // Most failures have one error: only several need telling apart.
    if (seen !== undefined) {
      const key = placePath ?? `${error.instancePath}#${error.keyword}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    const value = nodes[segments.length];
    const place = placeDepth > 0 ? (nodes[placeDepth] as Record<string, unknown>) : undefined;
    const detail = place && compiled.evidence
      ? compiled.evidence({ ...place, params: compiled.params })
      : describe(error, segments, value, paths.dottedOf(error.instancePath));
    const line = place ? (place.line as number) : undefined;
    const file = typeof place?.path === 'string' ? place.path : undefined;
    // Members in the document's order; optional ones assigned, not spread from temporary objects.
    const item = { path: paths.dottedOf(placePath ?? error.instancePath) } as EvidenceItem;
    if (file) item.file = file;
    if (line) item.line = line;
    item.detail = detail;
    if (!place) {
      const scalar = scalarOrNothing(value);
      if (scalar !== undefined) item.value = scalar;
    }
    items.push(item);
  }
  // Copied to their exact length: an array grown by push keeps room for 17 entries, which for a
  // finding's one or two items is most of its memory.
  return items.length > 1 ? items.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)).slice() : items.length === 1 ? [items[0] as EvidenceItem] : items;
};

const scalarOrNothing = (value: unknown): unknown =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value) ? value : undefined;

const severityOf = (rule: Rule, attributes: Record<string, unknown>): Severity => {
  if (!rule.severityFrom) return rule.severity;
  const value = getPath(attributes, rule.severityFrom);
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value) ? (value as Severity) : rule.severity;
};

/** How a finding names its resource. */
export const resourceRef = (resource: Resource): Finding['resource'] => ({
  kind: resource.kind,
  id: resource.id,
  name: resource.name,
  source: resource.source,
  ...(resource.scope ? { scope: resource.scope } : {}),
});

/**
 * Builds the finding for one decision. `ref` lets the findings of one resource share one
 * reference to it (every rule of its kind makes one), instead of a copy each.
 */
export const toFinding = (compiled: CompiledRule, resource: Resource, decision: Decision, ref: Finding['resource'] = resourceRef(resource)): Finding => {
  const { rule } = compiled;
  let message: string;
  if (decision.status === 'fail') message = compiled.message({ name: resource.name, id: resource.id, attributes: resource.attributes, params: compiled.params, evidenceCount: decision.evidence.length });
  else if (decision.status === 'unknown') message = `${resource.name}: could not check "${rule.title}": ${decision.unknown?.reason ?? 'unknown'}${decision.unknown?.permission ? ` (needs ${decision.unknown.permission})` : ''}`;
  else if (decision.status === 'not_applicable') message = `${resource.name}: not applicable to "${rule.title}"`;
  else message = `${resource.name}: ${rule.title}`;
  // The first offending place locates the finding: in its own file when it names one (a manifest
  // without a lockfile), else in the resource's file (a workflow step).
  const first = decision.evidence.length === 0 ? undefined : decision.evidence.find((e) => e.line !== undefined);
  const location = first?.file
    ? { path: first.file, line: first.line }
    : resource.location
      ? { path: resource.location.path, line: first?.line ?? resource.location.line }
      : undefined;
  // Members in the document's order, without building and spreading objects for the optional ones.
  // The members every finding has are written in one literal, with or without a location, so that
  // V8 holds them inside the object: a member added afterwards costs a separate array.
  const severity = severityOf(rule, resource.attributes);
  const print = fingerprint(rule.id, resource.kind, resource.id, resource.discriminator);
  const finding: Finding = location
    ? {
        ruleId: rule.id,
        status: decision.status,
        severity,
        resource: ref,
        csf: compiled.csf,
        threats: rule.threats,
        title: rule.title,
        message,
        evidence: decision.evidence,
        location: location.line ? { path: location.path, line: location.line } : { path: location.path },
        fingerprint: print,
      }
    : { ruleId: rule.id, status: decision.status, severity, resource: ref, csf: compiled.csf, threats: rule.threats, title: rule.title, message, evidence: decision.evidence, fingerprint: print };
  if (resource.discriminator) finding.discriminator = resource.discriminator;
  if (decision.unknown) finding.unknown = decision.unknown;
  return finding;
};

const emptyCounts = (): Record<Status, number> => Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;

export const summarise = (findings: Finding[]): Summary => {
  const summary: Summary = {
    total: findings.length,
    byStatus: emptyCounts(),
    bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>,
    byFunction: Object.fromEntries(CSF_FUNCTIONS.map((f) => [f, emptyCounts()])) as Summary['byFunction'],
  };
  for (const finding of findings) {
    summary.byStatus[finding.status]++;
    summary.byFunction[finding.csf.function][finding.status]++;
    if (finding.status === 'fail') summary.bySeverity[finding.severity]++;
  }
  return summary;
};

export type EvaluateOptions = {
  rules: Rule[];
  params: Map<string, Record<string, unknown>>;
  scanTime: Date;
  suppressions: SuppressionSource[];
  configHash: string;
  rulesHash: string;
  tool: { name: string; version: string };
  /** An engine to reuse, with the rules it has compiled; one for another scan time is not used. */
  engine?: Engine;
};

const NO_PARAMS: Record<string, unknown> = Object.freeze({});

/**
 * Gives the findings of one rule one evidence list wherever their lists are equal: a single place
 * without a line, the same sentence and value, as "versioning is false; expected true" on thousands
 * of buckets. Failing findings are most of a large result, and their evidence a large part of each.
 * Keyed by the sentence itself, so a rule whose sentences are all different costs a map entry each.
 */
const evidenceSharing = (): ((evidence: EvidenceItem[]) => EvidenceItem[]) => {
  const bySentence = new Map<string, EvidenceItem[][]>();
  return (evidence) => {
    const item = evidence[0] as EvidenceItem;
    // `===` takes -0 for 0 and NaN for nothing: lists holding them keep their own.
    if (item.file !== undefined || item.line !== undefined || (typeof item.value === 'number' && (Object.is(item.value, -0) || Number.isNaN(item.value)))) return evidence;
    const held = bySentence.get(item.detail);
    const same = held?.find((list) => {
      const other = list[0] as EvidenceItem;
      return other.path === item.path && other.value === item.value && ('value' in other) === ('value' in item);
    });
    if (same) return same;
    if (held) held.push(evidence);
    else bySentence.set(item.detail, [evidence]);
    return evidence;
  };
};

/** Code-unit order: stable across locales and far cheaper than localeCompare. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const STATUS_ORDER: Record<Status, number> = { fail: 0, unknown: 1, suppressed: 2, pass: 3, not_applicable: 4 };
const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** The engine: a pure function of facts, rules, parameters, suppressions and scan time. */
export const evaluate = (facts: FactsDocument, options: EvaluateOptions): ResultDocument => {
  const engine = options.engine && options.engine.scanTime.getTime() === options.scanTime.getTime() ? options.engine : createEngine(options.scanTime);
  const byKind = new Map<string, { resource: Resource; ref: Finding['resource'] }[]>();
  for (const resource of facts.resources) {
    let list = byKind.get(resource.kind);
    if (!list) {
      list = [];
      byKind.set(resource.kind, list);
    }
    list.push({ resource, ref: resourceRef(resource) });
  }
  const findings: Finding[] = [];
  for (const rule of options.rules) {
    const compiled = engine.compile(rule, options.params.get(rule.id) ?? NO_PARAMS);
    const share = evidenceSharing();
    for (const { resource, ref } of byKind.get(rule.resource) ?? []) {
      const decision = engine.decide(compiled, resource);
      findings.push(toFinding(compiled, resource, decision.evidence.length === 1 ? { ...decision, evidence: share(decision.evidence) } : decision, ref));
    }
  }
  const suppressions = applySuppressions(findings, options.suppressions, options.scanTime);
  findings.sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      compareText(a.ruleId, b.ruleId) ||
      compareText(a.resource.id, b.resource.id) ||
      compareText(a.fingerprint, b.fingerprint),
  );
  return {
    schemaVersion: '1',
    tool: options.tool,
    scan: {
      scanTime: options.scanTime.toISOString(),
      targets: facts.scan.targets,
      configHash: options.configHash,
      rulesHash: options.rulesHash,
      ...(facts.scan.demo ? { demo: true } : {}),
    },
    rules: options.rules.map((rule) => ({
      id: rule.id,
      title: rule.title,
      description: rule.description,
      risk: rule.risk,
      severity: rule.severity,
      resource: rule.resource,
      csf: rule.csf,
      threats: rule.threats,
      remediation: rule.remediation,
      ...(rule.references ? { references: rule.references } : {}),
      params: options.params.get(rule.id) ?? {},
      builtin: rule.builtin,
    })),
    findings,
    summary: summarise(findings),
    coverage: { sources: facts.sources, excluded: facts.excluded },
    suppressions,
  };
};
