import { isUnknown, type Resource, type ResourceKind } from '../facts/types.js';
import type { Exposure } from './types.js';

export type ExposureVerdict = { exposure: Exposure; reason: string };

type Probe = (attributes: Record<string, unknown>) => ExposureVerdict | undefined;

const describeUnknown = (path: string, value: unknown): string => {
  const marker = isUnknown(value) ? value.$unknown : undefined;
  return `${path} could not be read${marker ? ` (${marker.reason}${marker.permission ? `, needs ${marker.permission}` : ''})` : ''}`;
};

const list = (value: unknown): Record<string, unknown>[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object') : undefined;

/**
 * An S3 bucket: `public` as the S3 collector decides it (a grant or statement that Block Public
 * Access does not neutralise). When it could not be decided, one unblocked public grant or
 * statement that was read still makes the bucket public.
 */
const s3Bucket: Probe = (attributes) => {
  const value = attributes.public;
  if (value === true) return { exposure: 'public', reason: 'public is true: a public ACL grant or policy statement is not blocked' };
  if (value === false) return undefined;
  for (const path of ['publicAclGrants', 'publicPolicyStatements']) {
    const open = list(attributes[path])?.find((item) => item.blocked === false);
    if (open) return { exposure: 'public', reason: `${path} has an entry that Block Public Access does not neutralise` };
  }
  if (isUnknown(value)) return { exposure: 'unknown', reason: describeUnknown('public', value) };
  return { exposure: 'unknown', reason: 'whether it is public was not collected' };
};

/** An IAM role whose trust policy lets anyone assume it: any AWS principal, or any identity of a web-identity provider. */
const iamRole: Probe = (attributes) => {
  const value = attributes.trustedPrincipals;
  if (isUnknown(value)) return { exposure: 'unknown', reason: describeUnknown('trustedPrincipals', value) };
  const principals = list(value);
  if (!principals) return undefined;
  const anyone = principals.find((p) => p.type === 'any' && p.orgCondition !== true && p.externalId !== true);
  if (anyone) return { exposure: 'public', reason: 'the trust policy lets any AWS principal assume it' };
  const federated = principals.find((p) => p.type === 'web-identity' && p.subCondition !== true);
  if (federated) return { exposure: 'public', reason: `the trust policy lets any identity of ${String(federated.principal)} assume it` };
  return undefined;
};

const githubRepository: Probe = (attributes) => {
  const visibility = attributes.visibility;
  if (isUnknown(visibility)) return { exposure: 'unknown', reason: describeUnknown('visibility', visibility) };
  if (visibility === 'public') return { exposure: 'public', reason: 'visibility is public' };
  if (typeof visibility === 'string') return { exposure: 'internet-facing', reason: `visibility is ${visibility}; reachable on the internet with an account` };
  return { exposure: 'unknown', reason: 'visibility was not collected' };
};

const PROBES: Partial<Record<ResourceKind, Probe>> = { 'aws.s3.bucket': s3Bucket, 'aws.iam.role': iamRole, 'github.repository': githubRepository };

/** Kinds reachable from the internet by whoever holds credentials (cloud and SaaS control planes). */
const INTERNET_FACING: ReadonlySet<ResourceKind> = new Set<ResourceKind>(['aws.account', 'aws.region', 'aws.iam.user', 'aws.iam.role', 'aws.s3.bucket', 'github.organization']);

const SOURCE_KINDS: ReadonlySet<ResourceKind> = new Set<ResourceKind>(['source.repository', 'source.workflow', 'source.secret', 'dependency.package']);

/** The attributes exposure reads per kind, so collectors fetch them even when no rule needs them. */
export const exposureAttributes = (): Partial<Record<ResourceKind, string[]>> => ({
  'aws.s3.bucket': ['public', 'publicAclGrants', 'publicPolicyStatements'],
  'aws.iam.role': ['trustedPrincipals'],
  'github.repository': ['visibility'],
});

/** Exposure that follows from the resource alone (no other resources consulted). */
const ownExposure = (resource: Pick<Resource, 'kind' | 'attributes'>): ExposureVerdict | undefined => {
  const probed = PROBES[resource.kind]?.(resource.attributes);
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
