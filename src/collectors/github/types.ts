import type { Unknown } from '../../facts/types.js';

/** A value the collector read, or the marker of one it could not read. */
export type Maybe<T> = T | Unknown;

/** What one source of protection (classic rule or rulesets) enforces on the default branch. */
export type BranchRules = {
  pullRequestRequired: boolean;
  /** Approving reviews required before merging; 0 when a pull request is required without approvals or not at all. */
  requiredApprovals: number;
  forcePushesBlocked: boolean;
  deletionsBlocked: boolean;
};

/** Classic branch protection of the default branch. */
export type ClassicProtection = BranchRules & {
  /** The protection rule's branch pattern. */
  pattern: string;
  adminsEnforced: boolean;
  /** Where the settings come from, for evidence: `classic branch protection rule "main"`. */
  source: string;
};

/** The merged effect of the `active` rulesets whose rules apply to the default branch. */
export type RulesetProtection = BranchRules & {
  /** Every active ruleset with a rule on the branch: `ruleset "Protect main" (organization acme-rockets)`. */
  rulesets: string[];
  /** The rulesets each setting comes from. */
  pullRequestFrom: string[];
  forcePushesBlockedBy: string[];
  deletionsBlockedBy: string[];
};

/** Protection of the default branch from both mechanisms; either may be unknown. */
export type DefaultBranchProtection = {
  branch: string;
  /** null: no classic protection rule matches the branch. */
  classic: ClassicProtection | null | Unknown;
  rulesets: RulesetProtection | Unknown;
};

export type RepositoryRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

/** Attributes of a `github.repository` resource (schemas/kinds/github.repository.schema.json). */
export type RepositoryAttributes = {
  visibility: 'public' | 'private' | 'internal';
  archived: boolean;
  fork: boolean;
  /** null for an empty repository, whose default branch does not exist yet. */
  defaultBranch: string | null;
  /** The scanning token's role on the repository. */
  viewerPermission: Maybe<RepositoryRole | null>;
  advancedSecurity?: Maybe<boolean>;
  secretScanning?: Maybe<boolean>;
  secretScanningPushProtection?: Maybe<boolean>;
  dependabotSecurityUpdates?: Maybe<boolean>;
  dependabotAlerts?: Maybe<boolean>;
  /** null: GitHub offers private vulnerability reporting on public repositories only. */
  privateVulnerabilityReporting?: Maybe<boolean | null>;
  securityPolicy?: Maybe<boolean>;
  deployKeys?: Maybe<{ title: string; readOnly: boolean; createdAt: string }[]>;
  outsideCollaborators?: Maybe<number>;
  outsideAdmins?: Maybe<string[]>;
  workflowTokenPermission?: Maybe<'read' | 'write'>;
  workflowsCanApprovePullRequests?: Maybe<boolean>;
  defaultBranchProtection?: DefaultBranchProtection | null | Unknown;
};

/** Attributes of a `github.organization` resource (schemas/kinds/github.organization.schema.json). */
export type OrganizationAttributes = {
  twoFactorRequired: Maybe<boolean>;
  defaultRepositoryPermission: Maybe<'read' | 'write' | 'admin' | 'none'>;
  membersCanCreateRepositories: Maybe<boolean>;
  membersCanCreatePublicRepositories: Maybe<boolean>;
  ownersCount?: Maybe<number>;
  owners?: Maybe<string[]>;
};
