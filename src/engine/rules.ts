import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PostureError } from '../cli/errors.js';
import { loadYamlDocument, type ParsedYaml, type SchemaSet } from '../facts/documents.js';
import { packageRoot } from '../util/package-root.js';
import { substitute, topLevelAttributes } from './conditions.js';
import type { CsfCatalogue } from './csf.js';
import { globMatcher } from './glob.js';
import type { Rule, RuleFile, RuleParam } from './types.js';

export const BUILTIN_RULES_DIR = path.join(packageRoot, 'rules');

const isRuleFile = (name: string): boolean => name.endsWith('.yaml') && !name.endsWith('.test.yaml');

/** Every file under a directory, recursively, in a stable order. */
export const walkFiles = (dir: string): string[] => {
  const out: string[] = [];
  const visit = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile()) out.push(full);
    }
  };
  visit(dir);
  return out;
};

const lineAt = (parsed: ParsedYaml, segments: (string | number)[]): number | undefined => {
  const node = parsed.doc.getIn(segments, true) as { range?: [number, number, number] } | undefined;
  return node?.range ? parsed.counter.linePos(node.range[0]).line : undefined;
};

const paramMatches = (param: RuleParam, value: unknown): boolean => {
  switch (param.type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'string-list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
  }
};

/**
 * Checks one rule beyond its schema: id and file name, CSF ids, params, what it reads, and (for a
 * user's rule) that its condition compiles. Compiling is most of the cost of loading the rules and
 * comes before collection starts; a built-in rule's conditions are compiled by the rule harness in
 * the project's own tests, so they are not compiled twice on every run.
 */
const checkRule = (rule: RuleFile, file: string, parsed: ParsedYaml, schemas: SchemaSet, csf: CsfCatalogue, builtin: boolean): void => {
  const fail = (message: string, segments: (string | number)[] = []): never => {
    throw new PostureError('rule-invalid', message, { file, line: lineAt(parsed, segments) });
  };
  const base = path.basename(file, '.yaml');
  if (rule.id !== base) fail(`rule id "${rule.id}" must equal its file name "${base}"`, ['id']);
  rule.csf.forEach((entry, index) => {
    if (!csf.subcategories.has(entry.id)) fail(`CSF id ${entry.id} is not a NIST CSF 2.0 subcategory`, ['csf', index, 'id']);
  });
  for (const [name, param] of Object.entries(rule.params ?? {})) {
    if (!paramMatches(param, param.default)) fail(`param ${name}: default does not match type ${param.type}`, ['params', name, 'default']);
  }
  const roots = new Set(rule.requires.map((p) => p.split('.')[0]));
  for (const [key, schema] of [['condition', rule.condition], ['when', rule.when]] as const) {
    for (const attribute of topLevelAttributes(schema)) {
      if (!roots.has(attribute)) fail(`${key} reads attribute "${attribute}" which is not listed in requires`, [key]);
    }
  }
  if (rule.severityFrom && !roots.has(rule.severityFrom.split('.')[0])) fail('severityFrom must be listed in requires', ['severityFrom']);
  if (builtin) return;
  const defaults = paramDefaults(rule);
  for (const key of ['condition', 'when'] as const) {
    if (rule[key] === undefined) continue;
    try {
      schemas.ajv.compile(substitute(rule[key], defaults, new Date(0)) as object);
    } catch (error) {
      fail(`${key} is not a valid JSON Schema: ${(error as Error).message}`, [key]);
    }
  }
};

export const paramDefaults = (rule: Pick<RuleFile, 'params'>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(rule.params ?? {}).map(([name, p]) => [name, p.default]));

/** A rule's parameters with overrides applied; an unknown or mistyped override is a config error. */
export const resolveParams = (rule: Rule, overrides: Record<string, unknown> | undefined, source: string): Record<string, unknown> => {
  const values = paramDefaults(rule);
  for (const [name, value] of Object.entries(overrides ?? {})) {
    const param = rule.params?.[name];
    if (!param) throw new PostureError('config-invalid', `rule ${rule.id} has no parameter "${name}" (it has: ${Object.keys(rule.params ?? {}).join(', ') || 'none'})`, { file: source });
    if (!paramMatches(param, value)) throw new PostureError('config-invalid', `rule ${rule.id} parameter "${name}" must be of type ${param.type}`, { file: source });
    values[name] = value;
  }
  return values;
};

/** Loads the rules of each directory, refusing a duplicate id across them. */
export const loadRules = (dirs: { dir: string; builtin: boolean }[], schemas: SchemaSet, csf: CsfCatalogue): Rule[] => {
  const rules: Rule[] = [];
  const seen = new Map<string, string>();
  for (const { dir, builtin } of dirs) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) throw new PostureError('path-missing', 'rules directory not found', { file: dir });
    for (const file of walkFiles(dir).filter((f) => isRuleFile(path.basename(f)))) {
      const { data, parsed } = loadYamlDocument<RuleFile>(schemas, 'rule', file);
      checkRule(data, file, parsed, schemas, csf, builtin);
      const previous = seen.get(data.id);
      if (previous) throw new PostureError('rule-invalid', `duplicate rule id "${data.id}" (also in ${previous})`, { file });
      seen.set(data.id, file);
      rules.push({ ...data, file, builtin });
    }
  }
  return rules;
};

/** Selects rules by id globs (`rules.include` / `rules.exclude`). */
export const selectRules = (rules: Rule[], include: string[] | undefined, exclude: string[] | undefined): Rule[] => {
  const included = include?.length ? globMatcher(include) : () => true;
  const excluded = exclude?.length ? globMatcher(exclude) : () => false;
  return rules.filter((rule) => included(rule.id) && !excluded(rule.id));
};

/** A hash of the rule files' contents, so a baseline made with other rules can be recognised. */
export const rulesHash = (rules: Rule[]): string => {
  const hash = createHash('sha256');
  for (const rule of [...rules].sort((a, b) => a.id.localeCompare(b.id))) hash.update(rule.id).update('\0').update(readFileSync(rule.file)).update('\0');
  return hash.digest('hex');
};

/** The attributes each resource kind must provide for the selected rules. */
export const neededAttributes = (rules: Rule[]): Map<string, Set<string>> => {
  const needs = new Map<string, Set<string>>();
  for (const rule of rules) {
    const set = needs.get(rule.resource) ?? new Set<string>();
    for (const p of rule.requires) set.add(p.split('.')[0] as string);
    needs.set(rule.resource, set);
  }
  return needs;
};
