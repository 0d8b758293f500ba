/** Identifiers of the collectors; each is the name of a folder under src/collectors/. */
export type CollectorId = 'local-repo' | 'secrets' | 'osv' | 'aws-iam' | 'aws-s3' | 'github';

/** Resource kinds a collector can emit. Each has a JSON Schema under schemas/kinds/. */
export type ResourceKind =
  | 'source.repository'
  | 'source.workflow'
  | 'source.secret'
  | 'dependency.package'
  | 'aws.account'
  | 'aws.region'
  | 'aws.iam.user'
  | 'aws.iam.role'
  | 'aws.s3.bucket'
  | 'github.organization'
  | 'github.repository';

/**
 * The marker for an attribute a collector could not read. It is never `null` and never a
 * default: rules that need it evaluate to `unknown` unless the known inputs decide them.
 */
export type Unknown = {
  $unknown: {
    reason: string;
    /** The IAM action, GitHub permission or file access that was missing. */
    permission?: string;
    message?: string;
  };
};

export type SourceStatus = 'complete' | 'partial' | 'failed' | 'skipped';

export type Location = { path: string; line?: number };

export type Resource = {
  kind: ResourceKind;
  id: string;
  name: string;
  /** Which collector emitted it. */
  source: CollectorId;
  scope?: { account?: string; region?: string; org?: string; tree?: string };
  tags?: Record<string, string>;
  attributes: Record<string, unknown>;
  /** Where the resource lives in a scanned tree (workflows, lockfiles, secrets). */
  location?: Location;
  /** Distinguishes findings of one rule on one resource (advisory id, keyed secret hash). */
  discriminator?: string;
};

export type CoverageGap = {
  /** The resource id, or a description of what was not seen. */
  resource: string;
  attributes: string[];
  reason: string;
  /** The IAM action or GitHub permission, not the API operation name. */
  permission?: string;
};

export type ApiStats = { calls: number; retries: number; throttles: number; errors: number; ms: number };

export type SourceReport = {
  id: CollectorId;
  status: SourceStatus;
  endpoint?: string;
  identity?: string;
  gaps: CoverageGap[];
  calls: { total: number; byApi: Record<string, ApiStats> };
  durationMs: number;
  notes: string[];
  /** Why a source failed or was skipped. */
  reason?: string;
};

export type FactsDocument = {
  schemaVersion: '1';
  tool: { name: string; version: string };
  scan: {
    startedAt: string;
    targets: { path?: string; treeId?: string };
    demo?: boolean;
  };
  sources: SourceReport[];
  resources: Resource[];
  /** Paths inside the scanned tree that were not looked at, so nobody takes them for clean. */
  excluded: string[];
  /** Present on one shard's document (`posture collect --shard K/N`), absent once merged. */
  shard?: ShardRecord;
};

/** Which share of a sharded collection a facts document holds. */
export type ShardRecord = {
  /** This shard, from 1. */
  k: number;
  n: number;
  /** Identical on every shard of one run: see docs/sharding.md for what it hashes. */
  planId: string;
  /** The units of work this shard collected, sorted. */
  units: string[];
};

export const isUnknown = (value: unknown): value is Unknown =>
  typeof value === 'object' && value !== null && '$unknown' in value && Object.keys(value).length === 1;

export const unknown = (reason: string, permission?: string, message?: string): Unknown => ({
  $unknown: { reason, ...(permission ? { permission } : {}), ...(message ? { message } : {}) },
});
