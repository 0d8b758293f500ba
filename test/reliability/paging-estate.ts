import type { Scenario, ScenarioRepository, ScenarioRuleset } from '../support/fake-github/index.js';

/** The organisation of the paging estate. */
export const PAGING_ORG = 'acme-paging';
/** GitHub's largest page, the one posture asks for everywhere. */
const PAGE = 100;
/** Items beyond the first page, so that every list the collector reads needs a second page. */
const EXTRA = 5;

/** The repository whose deploy keys, outside collaborators and branch rules each fill more than a page. */
export const CROWDED_REPO = 'crowded';

const pad = (n: number): string => String(n).padStart(3, '0');

/**
 * Rulesets whose effective rules on the default branch number more than a page: 26 rulesets of
 * four rules that leave the branch unprotected (no pull request rule), then one whose pull request
 * rule comes last, on the second page. Read in full, the branch is protected; read from the first
 * page alone it would look unprotected.
 */
const crowdedRulesets = (): ScenarioRuleset[] => [
  ...Array.from({ length: 26 }, (_, i): ScenarioRuleset => ({
    id: 9000 + i,
    name: `guard ${pad(i)}`,
    enforcement: 'active',
    rules: [{ type: 'non_fast_forward' }, { type: 'deletion' }, { type: 'required_linear_history' }, { type: 'required_signatures' }],
  })),
  { id: 9100, name: 'reviews', enforcement: 'active', rules: [{ type: 'pull_request', parameters: { required_approving_review_count: 2 } }] },
];

/**
 * A repository with more than a page of everything the collector pages through. What decides its
 * findings is on the second page: the one writable deploy key and the one outside admin come
 * last, so a scan that read only the first page would pass them wrongly.
 */
const crowded = (): ScenarioRepository => ({
  owner: PAGING_ORG,
  name: CROWDED_REPO,
  visibility: 'private',
  viewerRole: 'admin',
  securityAndAnalysis: { secret_scanning: 'enabled', secret_scanning_push_protection: 'enabled', dependabot_security_updates: 'enabled' },
  vulnerabilityAlerts: true,
  securityPolicy: true,
  workflowPermissions: 'read',
  classicProtection: null,
  rulesets: crowdedRulesets(),
  deployKeys: Array.from({ length: PAGE + EXTRA }, (_, i) => ({ title: `runner-${pad(i)}`, readOnly: i < PAGE + EXTRA - 1 })),
  collaborators: Array.from({ length: PAGE + EXTRA }, (_, i) => ({ login: `contractor-${pad(i)}`, role: i < PAGE + EXTRA - 1 ? 'write' : 'admin', outside: true })),
});

/** An ordinary repository; the settings vary so that its findings include passes and failures. */
const ordinary = (i: number): ScenarioRepository => ({
  owner: PAGING_ORG,
  name: `service-${pad(i)}`,
  visibility: i % 7 === 0 ? 'public' : 'private',
  viewerRole: i % 5 === 0 ? 'write' : 'admin',
  securityAndAnalysis: { secret_scanning: i % 2 === 0 ? 'enabled' : 'disabled', secret_scanning_push_protection: i % 3 === 0 ? 'enabled' : 'disabled', dependabot_security_updates: 'enabled' },
  vulnerabilityAlerts: i % 4 !== 0,
  privateVulnerabilityReporting: i % 2 === 0,
  securityPolicy: i % 3 !== 1,
  workflowPermissions: i % 6 === 0 ? 'write' : 'read',
  classicProtection: i % 2 === 0 ? { requiredApprovals: 1 } : null,
  deployKeys: i % 4 === 1 ? [{ title: 'deploy', readOnly: i % 8 === 1 }] : [],
  collaborators: i % 9 === 2 ? [{ login: 'consultant', role: 'admin', outside: true }] : [],
});

/**
 * An organisation with more than a page of everything the GitHub collector lists: owners,
 * repositories (so the repository page query runs twice), and one repository with more than a
 * page of deploy keys, outside collaborators and branch rules. The crowded repository comes
 * first, so it is on the first page of the listing; the last few repositories are on the second.
 */
export const pagingScenario = (): Scenario => ({
  viewer: 'posture-bot',
  organizations: [
    {
      login: PAGING_ORG,
      name: 'Acme Paging',
      viewerIsOwner: true,
      twoFactorRequired: true,
      defaultRepositoryPermission: 'read',
      owners: Array.from({ length: PAGE + EXTRA }, (_, i) => `owner-${pad(i)}`),
    },
  ],
  repositories: [crowded(), ...Array.from({ length: PAGE + EXTRA - 1 }, (_, i) => ordinary(i + 1))],
});
