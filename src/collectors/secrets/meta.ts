import type { CollectorMeta } from '../types.js';

/** What the CLI needs to know of the collector without loading it (its SDKs load only when it runs). */
export const secretsMeta = {
  id: 'secrets',
  description: 'Hard-coded credentials and committed key files in a source tree (secretlint recommended rules plus a generic credential detector)',
  needsCredentials: false,
  kinds: ['source.secret'],
} satisfies CollectorMeta;
