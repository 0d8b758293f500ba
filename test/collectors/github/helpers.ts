import Bottleneck from 'bottleneck';
import { loadCsfCatalogue } from '../../../src/engine/csf.js';
import { loadRules, neededAttributes } from '../../../src/engine/rules.js';
import type { Rule } from '../../../src/engine/types.js';
import { createSchemaSet } from '../../../src/facts/documents.js';
import type { ResourceKind } from '../../../src/facts/types.js';
import { createCallRecorder, type CollectContext } from '../../../src/collectors/types.js';
import { createGithubCollector, type GithubCollectorOptions } from '../../../src/collectors/github/index.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { createLogger } from '../../../src/util/logger.js';
import path from 'node:path';

/** The github rules, loaded once per test file that asks. */
export const githubRules = (): Rule[] => loadRules([{ dir: path.join(packageRoot, 'rules', 'github'), builtin: true }], createSchemaSet(), loadCsfCatalogue());

/** Client settings that keep tests fast: millisecond back-off and no spacing between GraphQL requests. */
export const fastClient = (): NonNullable<GithubCollectorOptions['client']> => ({
  retries: 2,
  retryAfterBaseMs: 1,
  maxRateLimitWaitSeconds: 5,
  throttle: { write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) },
});

export const fastCollector = (overrides: NonNullable<GithubCollectorOptions['client']> = {}) => createGithubCollector({ client: { ...fastClient(), ...overrides } });

/** A collect context for the github collector, needing what the github rules need. */
export const makeContext = (overrides: Partial<CollectContext> = {}, rules: Rule[] = githubRules()): CollectContext => {
  const needs = neededAttributes(rules);
  return {
    root: packageRoot,
    treeId: 'posture',
    scanTime: new Date('2026-01-15T12:00:00Z'),
    logger: createLogger({ level: 'silent' }),
    calls: createCallRecorder(),
    needs: (kind: ResourceKind) => needs.get(kind) ?? new Set<string>(),
    config: {},
    options: {},
    excludes: [],
    env: {},
    signal: new AbortController().signal,
    limits: { timeoutMs: 2000, concurrency: (_service, fallback) => fallback, maxFileBytes: 1024 * 1024 },
    ...overrides,
  };
};
