import { existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Document, isMap, isSeq } from 'yaml';
import { PostureError } from '../cli/errors.js';
import type { ResultDocument } from '../engine/types.js';
import { assertValid, createSchemaSet, loadJsonDocument, type SchemaSet } from '../facts/documents.js';
import type { CollectorId, ResourceKind } from '../facts/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { defaultAttackers } from './model.js';
import type { Classification, Exposure, ModelAsset, ThreatModel, TrustZone } from './types.js';

type Item = { kind: ResourceKind; id: string; name: string; source: CollectorId; tags?: Record<string, string>; exposure?: Exposure };

type Group = { asset: ModelAsset; members: Item[]; note?: string };

/** Every resource the result names: its assets' resources, then any other resource a finding names. */
const inventoryOf = (result: ResultDocument): Item[] => {
  const items = new Map<string, Item>();
  for (const asset of result.assets ?? []) for (const r of asset.resources) items.set(`${r.kind}\u0000${r.id}`, r);
  for (const f of result.findings) {
    const key = `${f.resource.kind}\u0000${f.resource.id}`;
    if (!items.has(key)) items.set(key, { kind: f.resource.kind, id: f.resource.id, name: f.resource.name, source: f.resource.source });
  }
  return [...items.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
};

const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '') || 'asset';

const CLASSIFICATION_TAGS = ['classification', 'data-classification', 'dataclassification', 'data_classification', 'sensitivity'];
const LEVELS: readonly Classification[] = ['public', 'internal', 'confidential', 'restricted'];

const classificationTag = (item: Item): { tag: string; value: string; level: Classification } | undefined => {
  for (const [tag, value] of Object.entries(item.tags ?? {})) {
    if (!CLASSIFICATION_TAGS.includes(tag.toLowerCase())) continue;
    const level = LEVELS.find((l) => l === value.trim().toLowerCase());
    if (level) return { tag, value, level };
  }
  return undefined;
};

const awsAccountOf = (item: Item): string | undefined =>
  /^aws:(\d{12})(?::|$)/.exec(item.id)?.[1] ?? /^arn:aws[\w-]*:iam::(\d{12}):/.exec(item.id)?.[1];

const githubOwnerOf = (item: Item): { base: string; owner: string } | undefined => {
  const match = /^(https:\/\/[^/]+)\/([^/]+)(?:\/[^/]+)?$/.exec(item.id);
  return match ? { base: match[1] as string, owner: match[2] as string } : undefined;
};

/** The tree a source resource belongs to: the longest source.repository id that prefixes its id. */
const treeOf = (item: Item, trees: string[]): string | undefined =>
  trees.filter((t) => item.id === t || item.id.startsWith(`${t}/`) || item.id.startsWith(`${t}#`)).sort((a, b) => b.length - a.length)[0];

const BUCKET_KEYWORDS: { pattern: RegExp; id: string; name: string; classification: Classification; description: string }[] = [
  { pattern: /backup|archive|snapshot|dr-|replica/i, id: 's3-backups', name: 'Backup and archive buckets', classification: 'confidential', description: 'Copies of production data: as sensitive as what they copy, and what recovery depends on.' },
  { pattern: /log|audit|trail/i, id: 's3-logs', name: 'Log and audit buckets', classification: 'internal', description: 'Access and audit logs: needed to detect and investigate, must not be tampered with.' },
];

/**
 * Groups an inventory into starter assets: one per AWS account's settings, one per account's IAM
 * identities, S3 buckets by classification tag and purpose, one per GitHub organisation and its
 * repositories, one per source tree for its code and CI and one for its dependencies. Specific
 * groups come first because a resource belongs to the first asset that selects it.
 */
export const groupInventory = (items: Item[]): Group[] => {
  const groups: Group[] = [];
  const used = new Set<string>();
  const take = (filter: (item: Item) => boolean): Item[] => {
    const chosen = items.filter((item) => !used.has(`${item.kind}\u0000${item.id}`) && filter(item));
    for (const item of chosen) used.add(`${item.kind}\u0000${item.id}`);
    return chosen;
  };
  const ids = new Set<string>();
  const add = (asset: ModelAsset, members: Item[], note?: string): void => {
    if (members.length === 0) return;
    let id = asset.id;
    for (let n = 2; ids.has(id); n++) id = `${asset.id}-${n}`;
    ids.add(id);
    groups.push({ asset: { ...asset, id }, members, ...(note ? { note } : {}) });
  };

  const accounts = [...new Set(items.map(awsAccountOf).filter((a): a is string => a !== undefined))].sort();
  for (const account of accounts) {
    add(
      { id: `aws-${account}-account`, name: `AWS account ${account}: account settings, CloudTrail and GuardDuty`, classification: 'confidential', owner: 'unassigned', zone: 'aws', select: { kind: ['aws.account', 'aws.region'], id: [`aws:${account}`, `aws:${account}:*`] } },
      take((i) => (i.kind === 'aws.account' || i.kind === 'aws.region') && awsAccountOf(i) === account),
    );
    add(
      { id: `aws-${account}-identities`, name: `IAM users and roles in AWS account ${account}`, description: 'Who can act in the account: a stolen credential is the account.', classification: 'restricted', owner: 'unassigned', zone: 'aws', select: { kind: ['aws.iam.user', 'aws.iam.role'], id: `arn:aws:iam::${account}:*` } },
      take((i) => (i.kind === 'aws.iam.user' || i.kind === 'aws.iam.role') && awsAccountOf(i) === account),
    );
  }

  const buckets = items.filter((i) => i.kind === 'aws.s3.bucket');
  const tagged = new Map<string, { tag: string; value: string; level: Classification }>();
  for (const bucket of buckets) {
    const found = classificationTag(bucket);
    if (found) tagged.set(`${found.tag}\u0000${found.value}`, found);
  }
  for (const found of [...tagged.values()].sort((a, b) => LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level) || a.value.localeCompare(b.value))) {
    add(
      { id: slug(`s3-${found.level}-${found.tag}-${found.value}`), name: `S3 buckets tagged ${found.tag}=${found.value}`, classification: found.level, owner: 'unassigned', zone: 'aws', select: { kind: 'aws.s3.bucket', tags: { [found.tag]: found.value } } },
      take((i) => i.kind === 'aws.s3.bucket' && i.tags?.[found.tag] === found.value),
    );
  }
  for (const keyword of BUCKET_KEYWORDS) {
    const members = take((i) => i.kind === 'aws.s3.bucket' && keyword.pattern.test(i.name));
    add({ id: keyword.id, name: keyword.name, description: keyword.description, classification: keyword.classification, owner: 'unassigned', zone: 'aws', select: { kind: 'aws.s3.bucket', id: members.map((m) => m.id) } }, members);
  }
  const restBuckets = take((i) => i.kind === 'aws.s3.bucket');
  const publicBuckets = restBuckets.filter((b) => b.exposure === 'public').map((b) => b.name);
  add(
    { id: 's3-buckets', name: 'Other S3 buckets', description: 'Buckets no more specific asset selects: split them by the data they hold.', classification: 'confidential', owner: 'unassigned', zone: 'aws', select: { kind: 'aws.s3.bucket' } },
    restBuckets,
    publicBuckets.length > 0 ? `the scan saw ${publicBuckets.length} of these as public: ${publicBuckets.slice(0, 5).join(', ')}` : undefined,
  );

  const owners = new Map<string, { base: string; owner: string }>();
  for (const item of items) {
    if (item.kind !== 'github.organization' && item.kind !== 'github.repository') continue;
    const owner = githubOwnerOf(item);
    if (owner) owners.set(`${owner.base}/${owner.owner}`, owner);
  }
  for (const [prefix, owner] of [...owners].sort(([a], [b]) => a.localeCompare(b))) {
    add(
      { id: slug(`github-${owner.owner}-organization`), name: `GitHub organisation ${owner.owner}`, description: 'Membership, two-factor and default permissions: who can change the code.', classification: 'confidential', owner: 'unassigned', zone: 'github', select: { kind: 'github.organization', id: prefix } },
      take((i) => i.kind === 'github.organization' && i.id === prefix),
    );
    const repos = take((i) => i.kind === 'github.repository' && i.id.startsWith(`${prefix}/`));
    const publicRepos = repos.filter((r) => r.exposure === 'public').length;
    add(
      { id: slug(`github-${owner.owner}-repositories`), name: `Repositories of ${owner.owner}`, classification: 'confidential', owner: 'unassigned', zone: 'github', select: { kind: 'github.repository', id: `${prefix}/*` } },
      repos,
      publicRepos > 0 ? `${publicRepos} of these are public` : undefined,
    );
  }

  const trees = [...new Set(items.filter((i) => i.kind === 'source.repository').map((i) => i.id))].sort();
  const sourceKinds: ResourceKind[] = ['source.repository', 'source.workflow', 'source.secret'];
  for (const tree of trees) {
    const label = tree.replace(/^https?:\/\/[^/]+\//, '');
    add(
      { id: slug(`source-${label}`), name: `Source code and CI workflows of ${label}`, description: 'The code, its workflows and anything committed to it, secrets included.', classification: 'confidential', owner: 'unassigned', zone: 'build', select: { kind: sourceKinds, id: [tree, `${tree}/*`, `${tree}#*`] } },
      take((i) => sourceKinds.includes(i.kind) && treeOf(i, trees) === tree),
    );
    add(
      { id: slug(`dependencies-${label}`), name: `Third-party dependencies of ${label}`, description: 'Packages from registries that run with the application\'s privileges.', classification: 'internal', owner: 'unassigned', zone: 'build', select: { kind: 'dependency.package', id: `${tree}/*` } },
      take((i) => i.kind === 'dependency.package' && treeOf(i, trees) === tree),
    );
  }

  const kinds = [...new Set(items.filter((i) => !used.has(`${i.kind}\u0000${i.id}`)).map((i) => i.kind))].sort();
  for (const kind of kinds) {
    add({ id: slug(`other-${kind}`), name: `Other ${kind} resources`, classification: 'internal', owner: 'unassigned', select: { kind } }, take((i) => i.kind === kind));
  }
  return groups;
};

const zonesFor = (groups: Group[]): TrustZone[] => {
  const used = new Set(groups.map((g) => g.asset.zone).filter(Boolean));
  const zones: TrustZone[] = [{ id: 'internet', name: 'Internet', description: 'Anyone, unauthenticated.', trust: 'untrusted' }];
  if (used.has('aws')) zones.push({ id: 'aws', name: 'AWS accounts', description: 'Reached through AWS APIs with IAM credentials.', trust: 'trusted' });
  if (used.has('github')) zones.push({ id: 'github', name: 'GitHub', description: 'Hosted source control: reached with GitHub accounts and tokens.', trust: 'partially-trusted' });
  if (used.has('build')) zones.push({ id: 'build', name: 'Source trees and CI runners', description: 'Where code, workflows and third-party packages run.', trust: 'partially-trusted' });
  return zones;
};

// Comments must stay comments: a resource name with a line break must not start a YAML line.
const commentText = (text: string): string => [...text].map((c) => (c.charCodeAt(0) < 0x20 || c === '\u007f' || c === '\u2028' || c === '\u2029' ? ' ' : c)).join('');

/** Builds the starter threat-model.yaml text for a result document. */
export const starterModelYaml = (result: ResultDocument, schemas: SchemaSet = createSchemaSet()): { text: string; assets: number; resources: number } => {
  const items = inventoryOf(result);
  const groups = groupInventory(items);
  const zones = zonesFor(groups);
  const zoneIds = new Set(zones.map((z) => z.id));
  const attackers = defaultAttackers().map((a) => ({
    ...a,
    zones: a.id === 'external' ? ['internet'] : a.id === 'supply-chain' ? (zoneIds.has('build') ? ['build'] : []) : zones.filter((z) => z.trust !== 'untrusted').map((z) => z.id),
  }));
  const target = result.scan.targets.treeId ?? result.scan.targets.path ?? 'the scanned estate';
  const model: ThreatModel = {
    version: 1,
    name: result.threatModel?.source === 'file' ? result.threatModel.name : `Threat model for ${target}`,
    scope: `Written by posture init from the scan of ${result.scan.scanTime}: ${items.length} resources in ${groups.length} assets. Edit the names, classifications, owners and zones; a resource belongs to the first asset that selects it.`,
    reportClassification: 'CONFIDENTIAL',
    defaults: { classification: 'internal' },
    assets: groups.map((g) => g.asset),
    trustZones: zones,
    attackers: attackers.map(({ zones: z, ...rest }) => (z.length > 0 ? { ...rest, zones: z } : rest)),
    acceptedRisks: [],
  };
  assertValid(schemas, 'threat-model', model, 'starter threat model');
  const doc = new Document(model);
  doc.commentBefore = [
    ' posture threat model: see docs/threat-model-format.md',
    ' Classifications: public, internal, confidential, restricted. Owners are "unassigned" until you name them.',
  ].join('\n');
  const assetsNode = doc.get('assets', true);
  if (isSeq(assetsNode)) {
    assetsNode.items.forEach((node, index) => {
      const group = groups[index];
      if (!group || !isMap(node)) return;
      const names = group.members.slice(0, 5).map((m) => m.name).join(', ');
      const more = group.members.length > 5 ? `, and ${group.members.length - 5} more` : '';
      node.commentBefore = commentText(` ${group.members.length} resource(s) now: ${names}${more}`) + (group.note ? `\n${commentText(` note: ${group.note}`)}` : '');
    });
  }
  // After the last key, acceptedRisks, so the example sits where it would be written.
  doc.comment = [
    ' Accepted risks are suppressions; each needs a reason, an owner and an expiry date. Replace [] above with e.g.:',
    ' acceptedRisks:',
    '   - rule: s3-bucket-versioning-enabled',
    '     resource: arn:aws:s3:::acme-build-cache-*',
    '     reason: Rebuildable cache; versioning would only add cost',
    '     owner: platform@example.com',
    '     expires: 2026-12-31',
    '     ticket: SEC-123',
  ].join('\n');
  return { text: doc.toString({ lineWidth: 0 }), assets: groups.length, resources: items.length };
};

/** Creates a file only if it does not exist, still atomically: a temporary file hard-linked into place. */
const writeNew = (file: string, content: string): void => {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(temporary, content);
    linkSync(temporary, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new PostureError('usage', 'already exists; pass --force to overwrite it', { file });
    throw new PostureError('output-failed', `cannot write output (${code ?? (error as Error).message})`, { file });
  } finally {
    rmSync(temporary, { force: true });
  }
};

export type InitOptions = { from?: string; out?: string; force?: boolean; cwd?: string; schemas?: SchemaSet };

/**
 * `posture init`: writes a starter threat-model.yaml from the inventory of a result document
 * (default posture-report/result.json). Never overwrites an existing file without `force`.
 * Returns a one-line message for the user.
 */
export const runInit = async (options: InitOptions): Promise<string> => {
  const cwd = options.cwd ?? process.cwd();
  const from = options.from ?? path.join('posture-report', 'result.json');
  const out = options.out ?? 'threat-model.yaml';
  const schemas = options.schemas ?? createSchemaSet();
  const fromFile = path.resolve(cwd, from);
  const outFile = path.resolve(cwd, out);
  if (!existsSync(fromFile)) throw new PostureError('path-missing', 'no result document here; run `posture scan` first or pass --from FILE', { file: from });
  if (!options.force && existsSync(outFile)) throw new PostureError('usage', 'already exists; pass --force to overwrite it', { file: out });
  const result = loadJsonDocument<ResultDocument>(schemas, 'result', fromFile);
  const starter = starterModelYaml(result, schemas);
  if (options.force) writeFileAtomic(outFile, starter.text);
  else writeNew(outFile, starter.text);
  return `wrote ${out}: ${starter.assets} asset(s) covering ${starter.resources} resource(s) from ${from}; name the owners and check each classification before relying on it`;
};
