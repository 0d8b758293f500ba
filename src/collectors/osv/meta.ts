import type { CollectorMeta } from '../types.js';

/** What the CLI needs to know of the collector without loading it (its SDKs load only when it runs). */
export const osvMeta = {
  id: 'osv',
  description: 'Known vulnerabilities (OSV.dev) of the packages in lockfiles, from the osv-scanner binary',
  needsCredentials: false,
  kinds: ['dependency.package'],
  cliOptions: [
    { flags: '--osv-scanner <path>', description: 'the osv-scanner binary to run (default: osv-scanner on PATH)' },
    { flags: '--osv-offline', description: 'match against the local OSV databases only (OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY)' },
  ],
} satisfies CollectorMeta;
