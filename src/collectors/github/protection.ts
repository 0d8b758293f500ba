import type { components } from '@octokit/openapi-types';
import type { BranchProtectionRuleNode, RulesetNode } from './queries.js';
import type { ClassicProtection, RulesetProtection } from './types.js';

type BranchProtection = components['schemas']['branch-protection'];
type BranchRule = components['schemas']['repository-rule-detailed'];

/** Classic protection as GraphQL's BranchProtectionRule describes it. */
export const classicFromGraphql = (rule: BranchProtectionRuleNode): ClassicProtection => ({
  pattern: rule.pattern,
  pullRequestRequired: rule.requiresApprovingReviews,
  requiredApprovals: rule.requiresApprovingReviews ? (rule.requiredApprovingReviewCount ?? 0) : 0,
  forcePushesBlocked: !rule.allowsForcePushes,
  deletionsBlocked: !rule.allowsDeletions,
  adminsEnforced: rule.isAdminEnforced,
  source: `classic branch protection rule "${rule.pattern}"`,
});

/** Classic protection as GET /repos/{owner}/{repo}/branches/{branch}/protection returns it. */
export const classicFromRest = (body: BranchProtection, branch: string): ClassicProtection => {
  const reviews = body.required_pull_request_reviews;
  return {
    pattern: branch,
    pullRequestRequired: reviews !== undefined,
    requiredApprovals: reviews ? (reviews.required_approving_review_count ?? 0) : 0,
    forcePushesBlocked: !(body.allow_force_pushes?.enabled ?? false),
    deletionsBlocked: !(body.allow_deletions?.enabled ?? false),
    adminsEnforced: body.enforce_admins?.enabled ?? false,
    source: `classic branch protection of "${branch}"`,
  };
};

/** What GraphQL says about a ruleset: its name and enforcement, by database id. */
export type RulesetInfo = Map<number, { name: string; enforcement: RulesetNode['enforcement'] }>;

export const rulesetInfoFrom = (nodes: (RulesetNode | null)[] | null | undefined): RulesetInfo =>
  new Map(
    (nodes ?? []).flatMap((node) => (node && node.databaseId !== null ? [[node.databaseId, { name: node.name, enforcement: node.enforcement }] as const] : [])),
  );

const label = (rule: BranchRule, info: RulesetInfo): string => {
  const name = rule.ruleset_id !== undefined ? info.get(rule.ruleset_id)?.name : undefined;
  const what = name ? `ruleset "${name}"` : `ruleset ${rule.ruleset_id ?? '?'}`;
  const where = rule.ruleset_source ? ` (${(rule.ruleset_source_type ?? 'Repository').toLowerCase()} ${rule.ruleset_source})` : '';
  return `${what}${where}`;
};

const uniq = (values: string[]): string[] => [...new Set(values)];

/**
 * Merges the effective rules of the default branch (GET /repos/{owner}/{repo}/rules/branches/{branch})
 * into one view. GitHub returns only the rules of `active` rulesets; a ruleset GraphQL reports in
 * `evaluate` or `disabled` enforcement is dropped all the same, since it enforces nothing.
 */
export const rulesetProtection = (rules: BranchRule[], info: RulesetInfo): RulesetProtection => {
  const enforced = rules.filter((rule) => {
    const enforcement = rule.ruleset_id !== undefined ? info.get(rule.ruleset_id)?.enforcement : undefined;
    return enforcement === undefined || enforcement === 'ACTIVE';
  });
  const pullRequests = enforced.flatMap((rule) => (rule.type === 'pull_request' ? [rule] : []));
  const forcePushes = enforced.filter((rule) => rule.type === 'non_fast_forward');
  const deletions = enforced.filter((rule) => rule.type === 'deletion');
  return {
    pullRequestRequired: pullRequests.length > 0,
    requiredApprovals: Math.max(0, ...pullRequests.map((rule) => rule.parameters?.required_approving_review_count ?? 0)),
    forcePushesBlocked: forcePushes.length > 0,
    deletionsBlocked: deletions.length > 0,
    rulesets: uniq(enforced.map((rule) => label(rule, info))),
    pullRequestFrom: uniq(pullRequests.map((rule) => label(rule, info))),
    forcePushesBlockedBy: uniq(forcePushes.map((rule) => label(rule, info))),
    deletionsBlockedBy: uniq(deletions.map((rule) => label(rule, info))),
  };
};
