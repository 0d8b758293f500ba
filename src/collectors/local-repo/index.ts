import type { Collector } from '../types.js';

/** Placeholder replaced by the real local-repo collector. */
export const localRepoCollector: Collector = {
  id: 'local-repo',
  description: 'Security files, dependency automation, lockfiles, GitHub Actions workflows, infrastructure as code and env files in a source tree',
  needsCredentials: false,
  kinds: ['source.repository', 'source.workflow'],
  collect: async () => ({ resources: [] }),
};
