import assert from 'node:assert/strict';
import type { components } from '@octokit/openapi-types';
import { classicFromGraphql, classicFromRest, rulesetInfoFrom, rulesetProtection } from '../../../src/collectors/github/protection.js';

type BranchRule = components['schemas']['repository-rule-detailed'];

const pullRequest = (count: number, rulesetId: number, source = 'acme-rockets', sourceType: 'Organization' | 'Repository' = 'Organization'): BranchRule => ({
  type: 'pull_request',
  parameters: {
    required_approving_review_count: count,
    dismiss_stale_reviews_on_push: false,
    require_code_owner_review: false,
    require_last_push_approval: false,
    required_review_thread_resolution: false,
  },
  ruleset_source_type: sourceType,
  ruleset_source: source,
  ruleset_id: rulesetId,
});
const plain = (type: 'non_fast_forward' | 'deletion', rulesetId: number, source = 'acme-rockets/hangar'): BranchRule => ({
  type,
  ruleset_source_type: 'Repository',
  ruleset_source: source,
  ruleset_id: rulesetId,
});

describe('github default branch protection', () => {
  it('merges rules of several active rulesets, the strictest approval count winning, and names the sources', () => {
    const info = rulesetInfoFrom([
      { databaseId: 1, name: 'Org reviews', enforcement: 'ACTIVE', target: 'BRANCH', source: { __typename: 'Organization', login: 'acme-rockets' } },
      { databaseId: 2, name: 'Keep history', enforcement: 'ACTIVE', target: 'BRANCH', source: { __typename: 'Repository', nameWithOwner: 'acme-rockets/hangar' } },
    ]);
    const merged = rulesetProtection([pullRequest(1, 1), pullRequest(3, 2, 'acme-rockets/hangar', 'Repository'), plain('non_fast_forward', 2), plain('deletion', 2)], info);
    assert.equal(merged.pullRequestRequired, true);
    assert.equal(merged.requiredApprovals, 3);
    assert.equal(merged.forcePushesBlocked, true);
    assert.equal(merged.deletionsBlocked, true);
    assert.deepEqual(merged.pullRequestFrom, ['ruleset "Org reviews" (organization acme-rockets)', 'ruleset "Keep history" (repository acme-rockets/hangar)']);
    assert.deepEqual(merged.deletionsBlockedBy, ['ruleset "Keep history" (repository acme-rockets/hangar)']);
  });

  it('drops the rules of a ruleset GraphQL reports in evaluate mode', () => {
    const info = rulesetInfoFrom([{ databaseId: 7, name: 'Dry run', enforcement: 'EVALUATE', target: 'BRANCH', source: { __typename: 'Repository', nameWithOwner: 'a/b' } }]);
    const merged = rulesetProtection([pullRequest(2, 7), plain('deletion', 7)], info);
    assert.deepEqual({ pr: merged.pullRequestRequired, approvals: merged.requiredApprovals, deletions: merged.deletionsBlocked, rulesets: merged.rulesets }, { pr: false, approvals: 0, deletions: false, rulesets: [] });
  });

  it('keeps a rule whose ruleset GraphQL did not list, naming it by id', () => {
    const merged = rulesetProtection([plain('non_fast_forward', 99)], new Map());
    assert.equal(merged.forcePushesBlocked, true);
    assert.deepEqual(merged.forcePushesBlockedBy, ['ruleset 99 (repository acme-rockets/hangar)']);
  });

  it('reads classic protection from GraphQL and REST alike', () => {
    const fromGraphql = classicFromGraphql({ pattern: 'main', requiresApprovingReviews: true, requiredApprovingReviewCount: 2, allowsForcePushes: false, allowsDeletions: true, isAdminEnforced: true });
    assert.deepEqual(
      { pr: fromGraphql.pullRequestRequired, n: fromGraphql.requiredApprovals, fp: fromGraphql.forcePushesBlocked, del: fromGraphql.deletionsBlocked },
      { pr: true, n: 2, fp: true, del: false },
    );
    const fromRest = classicFromRest(
      { url: 'u', allow_force_pushes: { enabled: true }, allow_deletions: { enabled: false }, required_pull_request_reviews: { dismiss_stale_reviews: false, require_code_owner_reviews: false, required_approving_review_count: 1 } },
      'main',
    );
    assert.deepEqual({ pr: fromRest.pullRequestRequired, n: fromRest.requiredApprovals, fp: fromRest.forcePushesBlocked, del: fromRest.deletionsBlocked }, { pr: true, n: 1, fp: false, del: true });
    const noReviews = classicFromRest({ url: 'u' }, 'main');
    assert.deepEqual({ pr: noReviews.pullRequestRequired, n: noReviews.requiredApprovals, fp: noReviews.forcePushesBlocked }, { pr: false, n: 0, fp: true });
  });
});
