import { createHash } from 'node:crypto';

/**
 * This process's share of a sharded collection. A unit of work (the scanned tree, an AWS account,
 * an account's region, an S3 bucket, a GitHub organisation, a repository) has a stable id; it
 * belongs to shard 1 + (sha256(id) mod n), so a unit created during the run moves no other unit.
 */
export type Shard = {
  /** This shard, from 1. */
  k: number;
  n: number;
  /**
   * Whether this shard collects the unit. A unit granted here is recorded as covered: call it
   * only for units the collector then collects.
   */
  owns: (unitId: string) => boolean;
  /** The units granted so far, sorted. */
  covered: () => string[];
};

/** The shard (1..n) that a unit belongs to. */
export const shardOfUnit = (unitId: string, n: number): number => {
  const digest = createHash('sha256').update(unitId).digest();
  // The digest as a big-endian integer, reduced mod n without losing bits.
  let remainder = 0;
  for (const byte of digest) remainder = (remainder * 256 + byte) % n;
  return 1 + remainder;
};

/** A shard that records the units it grants. */
export const createShard = (k: number, n: number): Shard => {
  const covered = new Set<string>();
  return {
    k,
    n,
    owns: (unitId) => {
      if (shardOfUnit(unitId, n) !== k) return false;
      covered.add(unitId);
      return true;
    },
    covered: () => [...covered].sort(),
  };
};

/** Unit ids, one place for their spelling. */
export const unitIds = {
  tree: (treeId: string) => `tree:${treeId}`,
  awsAccount: (account: string) => `aws:${account}`,
  awsRegion: (account: string, region: string) => `aws:${account}:${region}`,
  s3Bucket: (name: string) => `aws-s3-bucket:${name}`,
  githubOrg: (url: string) => `github-org:${url}`,
  githubRepo: (url: string) => `github-repo:${url}`,
};

/** What a sharded run was asked to do; every shard of one run must compute the same plan id. */
export type ShardPlanInput = {
  configHash: string;
  rulesHash: string;
  /** The selected collectors' ids. */
  sources: string[];
  treeId: string;
  /** The collectors' own command-line options (targets such as --github-org, --aws-regions). */
  options: Record<string, unknown>;
};

/**
 * The static plan's units, before any API call: the tree, the selected sources, and the
 * collectors' target options as given. Accounts behind a role and repositories of an
 * organisation are discovered by calling the APIs, so the plan names what leads to them.
 */
export const planUnits = (input: ShardPlanInput): string[] =>
  [
    unitIds.tree(input.treeId),
    ...input.sources.map((id) => `source:${id}`),
    ...Object.entries(input.options)
      .filter(([, value]) => value !== undefined && value !== false)
      .map(([key, value]) => `option:${key}=${JSON.stringify(value)}`),
  ].sort();

/** sha256 of the config hash, the rules hash and the sorted plan units, as canonical JSON. */
export const planIdOf = (input: ShardPlanInput): string =>
  createHash('sha256').update(JSON.stringify({ configHash: input.configHash, rulesHash: input.rulesHash, units: planUnits(input) })).digest('hex');
