import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PostureError } from '../cli/errors.js';
import { isMap, isNode, isScalar } from 'yaml';
import { loadYamlDocument, type ParsedYaml, type SchemaSet } from '../facts/documents.js';
import type { SuppressionSource } from '../engine/suppressions.js';
import type { Suppression } from '../engine/types.js';
import type { PostureConfig } from './types.js';

export const DEFAULT_CONFIG_FILE = 'posture.yaml';
export const IGNORE_FILE = '.posture-ignore.yaml';

export type LoadedConfig = { config: PostureConfig; file?: string; hash: string };

/** Sorts object keys so that equal configurations hash equally. */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
};

export const hashOf = (value: unknown): string => createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');

/** Keys of posture.yaml that cannot be given together: each pair says how to scan AWS. */
const EXCLUSIVE: [string[], string[], string][] = [
  [['aws', 'organization'], ['aws', 'accounts'], 'list the accounts or discover them, not both'],
  [['aws', 'organization'], ['aws', 'roleArn'], 'the role of each account is aws.organization.roleName'],
  [['aws', 'organization'], ['aws', 'externalId'], 'put the external id in aws.organization.externalId'],
  [['aws', 'accounts'], ['aws', 'roleArn'], 'put the role in aws.accounts'],
];

/** Refuses keys that exclude each other, naming the file and the line of the second one. */
const checkExclusive = (config: PostureConfig, file: string, parsed: ParsedYaml): void => {
  const has = (keys: string[]): boolean => keys.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), config) !== undefined;
  for (const [first, second, hint] of EXCLUSIVE) {
    if (!has(first) || !has(second)) continue;
    // The line of the key itself: a list's value starts on the line after it.
    const parent = parsed.doc.getIn(second.slice(0, -1), true);
    const key = isMap(parent) ? parent.items.find((pair) => isScalar(pair.key) && pair.key.value === second.at(-1))?.key : undefined;
    const line = isNode(key) && key.range ? parsed.counter.linePos(key.range[0]).line : undefined;
    throw new PostureError('config-invalid', `${first.join('.')} and ${second.join('.')} exclude each other: ${hint}`, { file, line });
  }
};

/**
 * Reads `--config FILE` (which must exist), else `./posture.yaml` when present, else an empty
 * configuration. Relative paths inside it (rule directories) are resolved against its folder.
 */
export const loadConfig = (schemas: SchemaSet, explicit: string | undefined, cwd = process.cwd()): LoadedConfig => {
  const file = explicit ? path.resolve(cwd, explicit) : path.resolve(cwd, DEFAULT_CONFIG_FILE);
  if (!explicit && !existsSync(file)) return { config: {}, hash: hashOf({}) };
  if (explicit && !existsSync(file)) throw new PostureError('path-missing', 'configuration file not found', { file: explicit });
  const { data, parsed } = loadYamlDocument<PostureConfig | null>(schemas, 'config', file);
  const config = data ?? {};
  checkExclusive(config, path.relative(cwd, file) || file, parsed);
  const base = path.dirname(file);
  if (config.rules?.dirs) config.rules.dirs = config.rules.dirs.map((dir) => path.resolve(base, dir));
  return { config, file: path.relative(cwd, file) || file, hash: hashOf(config) };
};

/** Suppressions from posture.yaml and from `.posture-ignore.yaml` in the scanned root. */
export const loadSuppressions = (schemas: SchemaSet, loaded: LoadedConfig, root: string | undefined): SuppressionSource[] => {
  const sources: SuppressionSource[] = (loaded.config.suppressions ?? []).map((suppression) => ({ suppression, source: loaded.file ?? DEFAULT_CONFIG_FILE }));
  if (root) {
    const ignoreFile = path.join(root, IGNORE_FILE);
    if (existsSync(ignoreFile)) {
      const { data } = loadYamlDocument<{ suppressions: Suppression[] }>(schemas, 'ignore-file', ignoreFile);
      for (const suppression of data.suppressions) sources.push({ suppression, source: IGNORE_FILE });
    }
  }
  return sources;
};
