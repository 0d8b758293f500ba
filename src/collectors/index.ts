import type { CollectorId } from '../facts/types.js';
import { awsIamCollector } from './aws-iam/index.js';
import { awsS3Collector } from './aws-s3/index.js';
import { githubCollector } from './github/index.js';
import { localRepoCollector } from './local-repo/index.js';
import { osvCollector } from './osv/index.js';
import { secretsCollector } from './secrets/index.js';
import type { Collector } from './types.js';

/**
 * The explicit registry of collectors, in the order they run and are reported. A parity test
 * checks it against the folders under src/collectors/.
 */
export const collectorRegistry = (): Collector[] => [localRepoCollector, secretsCollector, osvCollector, awsIamCollector, awsS3Collector, githubCollector];

/** The contract's default set: the collectors that need no credentials. */
export const DEFAULT_SOURCES: CollectorId[] = ['local-repo', 'secrets', 'osv'];
