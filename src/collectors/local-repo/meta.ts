import type { CollectorMeta } from '../types.js';

/** What the CLI needs to know of the collector without loading it (its SDKs load only when it runs). */
export const localRepoMeta = {
  id: 'local-repo',
  description: 'Security files, dependency automation, lockfiles, GitHub Actions workflows, infrastructure as code and env files in a source tree',
  needsCredentials: false,
  kinds: ['source.repository', 'source.workflow'],
} satisfies CollectorMeta;
