import { getPath } from '../engine/template.js';
import { isUnknown, type Resource, type ResourceKind } from '../facts/types.js';
import type { Exposure } from './types.js';

export type ExposureVerdict = { exposure: Exposure; reason: string };

/**
 * Attribute paths that say a resource is public, per kind: `true`, or a non-empty list (public
 * grants, public policy statements), means public. Collectors that record these let the threat
 * model rank a public bucket above a private one.
 */
const PUBLIC_PROBES: Partial<Record<ResourceKind, { paths: string[]; whenAbsent: 'unknown' | 'not-public' }>> = {
  // A bucket's public status is the point of the S3 collector: not having it is not knowing it.
  'aws.s3.bucket': { paths: ['public', 'publicByAcl', 'publicByPolicy', 'acl.public', 'policy.public', 'acl.publicGrants', 'policy.publicStatements'], whenAbsent: 'unknown' },
  'aws.iam.role': { paths: ['trustsAnyone', 'trust.public', 'trust.publicStatements'], whenAbsent: 'not-public' },
};

/** Kinds reachable from the internet by whoever holds credentials (cloud and SaaS control planes). */
const INTERNET_FACING: ReadonlySet<ResourceKind> = new Set<ResourceKind>(['aws.account', 'aws.region', 'aws.iam.user', 'aws.iam.role', 'aws.s3.bucket', 'github.organization']);

const SOURCE_KINDS: ReadonlySet<ResourceKind> = new Set<ResourceKind>(['source.repository', 'source.workflow', 'source.secret', 'dependency.package']);

/** The attributes exposure reads per kind, so collectors fetch them even when no rule needs them. */
export const exposureAttributes = (): Partial<Record<ResourceKind, string[]>> => ({
  ...Object.fromEntries(Object.entries(PUBLIC_PROBES).map(([kind, probe]) => [kind, [...new Set(probe.paths.map((p) => p.split('.')[0] as string))]])),
  'github.repository': ['visibility'],
});

const describeUnknown = (path: string, value: unknown): string => {
  const marker = isUnknown(value) ? value.$unknown : undefined;
  return `${path} could not be read${marker ? ` (${marker.reason}${marker.permission ? `, needs ${marker.permission}` : ''})` : ''}`;
};

/** A value along the path that is an unknown marker, if any: `acl` unknown makes `acl.public` unknown. */
const unknownAlong = (attributes: Record<string, unknown>, path: string): unknown => {
  const segments = path.split('.');
  let current: unknown = attributes;
  for (const segment of segments) {
    if (isUnknown(current)) return current;
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return isUnknown(current) ? current : undefined;
};

const probePublic = (resource: Pick<Resource, 'kind' | 'attributes'>): ExposureVerdict | undefined => {
  const probe = PUBLIC_PROBES[resource.kind];
  if (!probe) return undefined;
  const probes = probe.paths;
  const unknowns: string[] = [];
  let seen = false;
  for (const path of probes) {
    const marker = unknownAlong(resource.attributes, path);
    if (marker) {
      unknowns.push(describeUnknown(path, marker));
      continue;
    }
    const value = getPath(resource.attributes, path);
    if (value === undefined) continue;
    seen = true;
    if (value === true) return { exposure: 'public', reason: `${path} is true` };
    if (Array.isArray(value) && value.length > 0) return { exposure: 'public', reason: `${path} lists ${value.length} public grant(s) or statement(s)` };
  }
  // One unreadable probe leaves the question open even when another says "not public".
  if (unknowns.length > 0) return { exposure: 'unknown', reason: unknowns.join('; ') };
  if (!seen && probe.whenAbsent === 'unknown') return { exposure: 'unknown', reason: 'whether it is public was not collected' };
  return undefined;
};

/** Exposure that follows from the resource alone (no other resources consulted). */
const ownExposure = (resource: Pick<Resource, 'kind' | 'attributes'>): ExposureVerdict | undefined => {
  if (resource.kind === 'github.repository') {
    const visibility = resource.attributes.visibility;
    if (isUnknown(visibility)) return { exposure: 'unknown', reason: describeUnknown('visibility', visibility) };
    if (visibility === 'public') return { exposure: 'public', reason: 'visibility is public' };
    if (typeof visibility === 'string') return { exposure: 'internet-facing', reason: `visibility is ${visibility}; reachable on the internet with an account` };
    return { exposure: 'unknown', reason: 'visibility was not collected' };
  }
  const probed = probePublic(resource);
  if (probed) return probed;
  if (INTERNET_FACING.has(resource.kind)) return { exposure: 'internet-facing', reason: 'managed through an API reachable from the internet with credentials; no public access seen' };
  return undefined;
};

/** The tree a source resource belongs to: its scope, else the longest known tree id its id starts with. */
const treeOf = (resource: Pick<Resource, 'kind' | 'id' | 'scope'>, trees: string[]): string | undefined => {
  if (resource.scope?.tree) return resource.scope.tree;
  if (resource.kind === 'source.repository') return resource.id;
  return trees.filter((tree) => resource.id.startsWith(`${tree}/`) || resource.id.startsWith(`${tree}#`)).sort((a, b) => b.length - a.length)[0];
};

/**
 * Derives exposure for every resource. Source-tree resources (workflows, committed secrets,
 * dependencies) take the exposure of the GitHub repository that hosts the tree when the scan saw
 * it: a secret committed to a public repository is public.
 */
export const deriveExposures = (
  resources: Pick<Resource, 'kind' | 'id' | 'scope' | 'attributes'>[],
  scannedTree?: string,
): Map<string, ExposureVerdict> => {
  const verdicts = new Map<string, ExposureVerdict>();
  const key = (r: Pick<Resource, 'kind' | 'id'>): string => `${r.kind}\u0000${r.id}`;
  const hosts = new Map<string, ExposureVerdict>();
  for (const resource of resources) {
    if (SOURCE_KINDS.has(resource.kind)) continue;
    const verdict = ownExposure(resource) ?? { exposure: 'unknown', reason: `no exposure rule for ${resource.kind}` };
    verdicts.set(key(resource), verdict);
    if (resource.kind === 'github.repository') hosts.set(resource.id, verdict);
  }
  const trees = [...new Set([...resources.filter((r) => r.kind === 'source.repository').map((r) => r.id), ...(scannedTree ? [scannedTree] : [])])];
  for (const resource of resources) {
    if (!SOURCE_KINDS.has(resource.kind)) continue;
    const tree = treeOf(resource, trees);
    const host = tree ? hosts.get(tree) : undefined;
    let verdict: ExposureVerdict;
    if (host) verdict = { exposure: host.exposure, reason: `in ${tree}, whose repository ${host.reason}` };
    else if (tree && /^https?:\/\//.test(tree)) verdict = { exposure: 'unknown', reason: `hosted at ${tree}; its visibility was not collected (add the github source)` };
    else verdict = { exposure: 'internal', reason: tree ? `in the local tree ${tree}, which has no remote` : 'in a local source tree with no remote' };
    verdicts.set(key(resource), verdict);
  }
  return verdicts;
};

export const exposureKey = (resource: { kind: string; id: string }): string => `${resource.kind}\u0000${resource.id}`;
