import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Resource } from '../../src/facts/types.js';
import { createLogger } from '../../src/util/logger.js';
import { fixturesFromScenario } from './fake-github/fixtures.js';
import { startFakeGithub, type FakeGithub, type FakeGithubOptions } from './fake-github/server.js';

export const HEAD_SHA = 'a'.repeat(40);
export const MERGE_SHA = 'b'.repeat(40);
export const TOKEN = 'ghs_testtokenforthefakeapi000000000000';

/** Workflows with one unpinned action each: one failing, located finding per workflow. */
export const unpinnedWorkflows = (count: number): Resource[] =>
  Array.from({ length: count }, (_, i) => ({
    kind: 'source.workflow' as const,
    id: `https://github.com/acme/rockets/.github/workflows/w${String(i).padStart(3, '0')}.yml`,
    name: `.github/workflows/w${String(i).padStart(3, '0')}.yml`,
    source: 'local-repo' as const,
    location: { path: `.github/workflows/w${String(i).padStart(3, '0')}.yml` },
    attributes: { actions: [{ uses: `actions/checkout@v${i}`, line: 7, pinned: false }] },
  }));

/** A fake GitHub holding acme/rockets with the given visibility. */
export const startCiFakeGithub = (visibility: 'public' | 'private' = 'private', options: FakeGithubOptions = {}): Promise<FakeGithub> =>
  startFakeGithub(fixturesFromScenario({ repositories: [{ owner: 'acme', name: 'rockets', visibility }] }), options);

/** A logger that keeps its lines, for assertions on what posture said. */
export const memoryLogger = () => {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
};

/** A GitHub Actions environment: a pull-request event whose head is HEAD_SHA while GITHUB_SHA is the merge commit. */
export const actionsEnv = (fake: FakeGithub, options: { event?: Record<string, unknown>; eventName?: string; token?: string | null } = {}) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'posture-actions-'));
  const eventPath = path.join(dir, 'event.json');
  const summary = path.join(dir, 'step-summary.md');
  writeFileSync(summary, '');
  writeFileSync(
    eventPath,
    JSON.stringify(options.event ?? { number: 7, pull_request: { number: 7, head: { sha: HEAD_SHA }, base: { sha: 'c'.repeat(40), ref: 'main' } }, repository: { full_name: 'acme/rockets', private: true } }),
  );
  const env: NodeJS.ProcessEnv = {
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: fake.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/rockets',
    GITHUB_SHA: MERGE_SHA,
    GITHUB_EVENT_NAME: options.eventName ?? 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_RUN_ID: '42',
    GITHUB_STEP_SUMMARY: summary,
    ...(options.token === null ? {} : { GITHUB_TOKEN: options.token ?? TOKEN }),
  };
  return { env, dir, summary, eventPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};
