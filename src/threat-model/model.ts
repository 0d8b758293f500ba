import { existsSync } from 'node:fs';
import path from 'node:path';
import { isNode } from 'yaml';
import { PostureError } from '../cli/errors.js';
import type { SuppressionSource } from '../engine/suppressions.js';
import { loadYamlDocument, type ParsedYaml, type SchemaSet } from '../facts/documents.js';
import type { ResourceKind } from '../facts/types.js';
import { exposureAttributes } from './exposure.js';
import { selectorAttributes } from './select.js';
import type { Attacker, LoadedThreatModel, ThreatModel } from './types.js';

/** The attackers of the default model, and of a model file that names none. */
export const defaultAttackers = (): Attacker[] => [
  {
    id: 'external',
    name: 'External attacker',
    description: 'Anyone on the internet: scans for public data, stolen or leaked credentials, known vulnerabilities.',
    threats: ['spoofing', 'tampering', 'repudiation', 'information-disclosure', 'denial-of-service', 'elevation-of-privilege'],
  },
  {
    id: 'insider',
    name: 'Malicious or careless insider',
    description: 'A person or workload with legitimate access that misuses it or loses it.',
    threats: ['tampering', 'repudiation', 'information-disclosure', 'elevation-of-privilege'],
  },
  {
    id: 'supply-chain',
    name: 'Supply-chain attacker',
    description: 'A compromised dependency, GitHub Action or build step that runs with the project\'s privileges.',
    threats: ['tampering', 'information-disclosure', 'elevation-of-privilege'],
  },
];

/** The model used when there is no threat-model.yaml: every resource an asset of class `internal`. */
export const defaultThreatModel = (name = 'Default threat model'): ThreatModel => ({
  version: 1,
  name,
  scope: 'Every resource the scan saw is an asset of classification internal. Write threat-model.yaml (posture init) to name assets, classifications, owners and trust zones.',
  defaults: { classification: 'internal' },
  assets: [],
  trustZones: [],
  attackers: defaultAttackers(),
  acceptedRisks: [],
});

const lineAt = (parsed: ParsedYaml, segments: (string | number)[]): number | undefined => {
  for (let n = segments.length; n >= 0; n--) {
    const node = parsed.doc.getIn(segments.slice(0, n), true);
    if (isNode(node) && node.range) return parsed.counter.linePos(node.range[0]).line;
  }
  return undefined;
};

/** Checks what the schema cannot: unique ids and references to zones that exist. */
const checkReferences = (model: ThreatModel, file: string, parsed: ParsedYaml): void => {
  const fail = (message: string, at: (string | number)[]): never => {
    throw new PostureError('document-invalid', `not a valid threat-model document at /${at.join('/')}: ${message}`, { file, line: lineAt(parsed, at) });
  };
  const unique = (list: { id: string }[] | undefined, section: string): void => {
    const seen = new Set<string>();
    (list ?? []).forEach((item, index) => {
      if (seen.has(item.id)) fail(`duplicate id "${item.id}"`, [section, index, 'id']);
      seen.add(item.id);
    });
  };
  unique(model.assets, 'assets');
  unique(model.trustZones, 'trustZones');
  unique(model.attackers, 'attackers');
  const zones = new Set((model.trustZones ?? []).map((z) => z.id));
  model.assets.forEach((asset, index) => {
    if (asset.zone !== undefined && !zones.has(asset.zone)) fail(`asset "${asset.id}" names trust zone "${asset.zone}", which trustZones does not define`, ['assets', index, 'zone']);
  });
  (model.attackers ?? []).forEach((attacker, index) => {
    (attacker.zones ?? []).forEach((zone, z) => {
      if (!zones.has(zone)) fail(`attacker "${attacker.id}" names trust zone "${zone}", which trustZones does not define`, ['attackers', index, 'zones', z]);
    });
  });
};

/** Reads and validates threat-model.yaml (schema, then ids and zone references). */
export const loadThreatModelFile = (schemas: SchemaSet, file: string): ThreatModel => {
  const { data, parsed } = loadYamlDocument<ThreatModel>(schemas, 'threat-model', file);
  checkReferences(data, file, parsed);
  return data;
};

/**
 * Finds the threat model as DESIGN fixes it: `--threat-model FILE` (which must exist), else
 * `./threat-model.yaml`, else the default model.
 */
export const resolveThreatModel = (schemas: SchemaSet, options: { cwd: string; file?: string; defaultName?: string }): LoadedThreatModel => {
  if (options.file !== undefined) {
    const file = path.resolve(options.cwd, options.file);
    return { model: loadThreatModelFile(schemas, file), source: 'file', file: options.file };
  }
  const implicit = path.join(options.cwd, 'threat-model.yaml');
  if (existsSync(implicit)) return { model: loadThreatModelFile(schemas, implicit), source: 'file', file: 'threat-model.yaml' };
  return { model: defaultThreatModel(options.defaultName), source: 'default' };
};

/**
 * The model's accepted risks as suppressions: DESIGN's one mechanism, so they match, expire and
 * go stale exactly like the entries of posture.yaml and .posture-ignore.yaml.
 */
export const acceptedRiskSuppressions = (loaded: LoadedThreatModel): SuppressionSource[] =>
  (loaded.model.acceptedRisks ?? []).map((suppression) => ({ suppression, source: loaded.file ?? 'threat-model.yaml' }));

/**
 * What the threat model reads beyond the rules, per kind, for the collectors' `needs`: the
 * attributes exposure is derived from, and `tags` where an asset selects by tag.
 */
export const threatModelAttributes = (schemas: SchemaSet, loaded: LoadedThreatModel): Map<ResourceKind, Set<string>> => {
  const kinds = ((schemas.ajv.getSchema('https://posture.dev/schemas/facts.schema.json#/definitions/kind')?.schema as { enum?: string[] } | undefined)?.enum ?? []) as ResourceKind[];
  const needs = new Map<ResourceKind, Set<string>>();
  const add = (kind: string, attributes: string[]): void => {
    const set = needs.get(kind as ResourceKind) ?? new Set<string>();
    for (const attribute of attributes) set.add(attribute);
    needs.set(kind as ResourceKind, set);
  };
  for (const [kind, attributes] of Object.entries(exposureAttributes())) add(kind, attributes);
  for (const [kind, attributes] of selectorAttributes(loaded.model.assets, kinds)) add(kind, attributes);
  return needs;
};
