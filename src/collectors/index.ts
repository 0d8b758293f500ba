import type { CollectorId } from '../facts/types.js';
import { awsIamMeta } from './aws-iam/meta.js';
import { awsS3Meta } from './aws-s3/meta.js';
import { githubMeta } from './github/meta.js';
import { localRepoMeta } from './local-repo/meta.js';
import { osvMeta } from './osv/meta.js';
import { secretsMeta } from './secrets/meta.js';
import type { Collector, CollectorMeta } from './types.js';

/** A registry entry: the description now, the implementation (and its SDKs) when the collector runs. */
const lazy = (meta: CollectorMeta, load: () => Promise<Collector>): Collector => ({
  ...meta,
  collect: async (ctx) => (await load()).collect(ctx),
});

/**
 * The explicit registry of collectors, in the order they run and are reported. Parity tests check
 * it against the folders under src/collectors/ and each entry against the collector it loads.
 */
export const collectorRegistry = (): Collector[] => [
  lazy(localRepoMeta, async () => (await import('./local-repo/index.js')).localRepoCollector),
  lazy(secretsMeta, async () => (await import('./secrets/index.js')).secretsCollector),
  lazy(osvMeta, async () => (await import('./osv/index.js')).osvCollector),
  lazy(awsIamMeta, async () => (await import('./aws-iam/index.js')).awsIamCollector),
  lazy(awsS3Meta, async () => (await import('./aws-s3/index.js')).awsS3Collector),
  lazy(githubMeta, async () => (await import('./github/index.js')).githubCollector),
];

/** The contract's default set: the collectors that need no credentials. */
export const DEFAULT_SOURCES: CollectorId[] = ['local-repo', 'secrets', 'osv'];
