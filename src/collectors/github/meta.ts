import type { CollectorMeta } from '../types.js';

/** What the CLI needs to know of the collector without loading it (its SDKs load only when it runs). */
export const githubMeta = {
  id: 'github',
  description: 'GitHub organisations and repositories: two-factor and base permission, code security features, deploy keys, outside admins, workflow token, branch protection and rulesets',
  needsCredentials: true,
  isolated: true,
  shardsItself: true,
  kinds: ['github.organization', 'github.repository'],
  cliOptions: [
    { flags: '--github-org <org>', description: 'a GitHub organisation to scan (repeatable)', repeatable: true },
    { flags: '--github-repo <owner/name>', description: 'a GitHub repository to scan (repeatable)', repeatable: true },
    { flags: '--github-api-url <url>', description: 'the GitHub API root: https://HOST/api/v3 for GitHub Enterprise Server (default https://api.github.com)' },
    { flags: '--github-token-file <path>', description: 'read the GitHub token from this file (default: POSTURE_GITHUB_TOKEN, then GITHUB_TOKEN)' },
    { flags: '--github-include-archived', description: 'also scan the archived repositories of the organisations' },
  ],
} satisfies CollectorMeta;
