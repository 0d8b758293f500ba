import type { components } from '@octokit/openapi-types';
import type { FakeOrganization, FakeRepository } from './fixtures.js';

type Schemas = components['schemas'];

/** fnmatch as rulesets use it: `*` within a segment, `**` across segments. */
const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('**')
      .map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
      .join('.*')}$`,
  );

const matchesAny = (value: string, patterns: string[], special: Record<string, boolean>): boolean =>
  patterns.some((pattern) => (pattern in special ? special[pattern] : globToRegExp(pattern).test(value)));

/** Whether an organisation ruleset's repository_name condition selects the repository. */
const selectsRepository = (ruleset: Schemas['repository-ruleset'], repo: FakeRepository): boolean => {
  const conditions = ruleset.conditions as { repository_name?: { include?: string[]; exclude?: string[] } } | null | undefined;
  const target = conditions?.repository_name;
  if (!target) return true;
  const name = repo.repository.name;
  return matchesAny(name, target.include ?? [], { '~ALL': true }) && !matchesAny(name, target.exclude ?? [], { '~ALL': true });
};

/** Every ruleset configured for a repository, its own and its organisation's, in any enforcement. */
export const rulesetsOf = (repo: FakeRepository, org: FakeOrganization | undefined): Schemas['repository-ruleset'][] => [
  ...repo.rulesets,
  ...(org?.rulesets ?? []).filter((ruleset) => selectsRepository(ruleset, repo)),
];

const refMatches = (ruleset: Schemas['repository-ruleset'], ref: string, defaultBranch: string): boolean => {
  const target = (ruleset.conditions as { ref_name?: { include?: string[]; exclude?: string[] } } | null | undefined)?.ref_name;
  const special = { '~ALL': true, '~DEFAULT_BRANCH': ref === `refs/heads/${defaultBranch}` };
  return matchesAny(ref, target?.include ?? [], special) && !matchesAny(ref, target?.exclude ?? [], special);
};

/**
 * GET /repos/{owner}/{repo}/rules/branches/{branch}: the rules of `active` rulesets that apply to
 * the branch; rulesets in `evaluate` or `disabled` enforcement are not returned (as documented).
 */
export const effectiveBranchRules = (repo: FakeRepository, org: FakeOrganization | undefined, branch: string): Schemas['repository-rule-detailed'][] =>
  rulesetsOf(repo, org)
    .filter((ruleset) => ruleset.enforcement === 'active' && (ruleset.target ?? 'branch') === 'branch')
    .filter((ruleset) => refMatches(ruleset, `refs/heads/${branch}`, repo.repository.default_branch))
    .flatMap((ruleset) =>
      (ruleset.rules ?? []).map(
        (rule) =>
          ({
            ...rule,
            ruleset_source_type: ruleset.source_type === 'Organization' ? 'Organization' : 'Repository',
            ruleset_source: ruleset.source,
            ruleset_id: ruleset.id,
          }) as Schemas['repository-rule-detailed'],
      ),
    );
