import { createCallRecorder, type CollectContext } from '../../src/collectors/types.js';
import { createLogger } from '../../src/util/logger.js';

/** A collector context for tests: quiet logger (lines kept), no rules' needs, default limits. */
export const testContext = (root: string, overrides: Partial<CollectContext> = {}): CollectContext & { logged: string[] } => {
  const logged: string[] = [];
  return {
    root,
    treeId: 'acme/tree',
    scanTime: new Date('2026-01-15T12:00:00Z'),
    logger: createLogger({ level: 'debug', write: (line) => logged.push(line) }),
    calls: createCallRecorder(),
    needs: () => new Set<string>(),
    config: {},
    options: {},
    excludes: ['.git', 'node_modules', 'vendor'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, POSTURE_FINGERPRINT_KEY: 'test-fingerprint-key-0123456789' },
    signal: new AbortController().signal,
    limits: { timeoutMs: 30_000, concurrency: (_service, fallback) => fallback, maxFileBytes: 1024 * 1024 },
    ...overrides,
    logged,
  };
};
