import type { GithubClient } from '../github/client.js';

/** The hidden first line that identifies posture's sticky comment on a pull request. */
export const PR_COMMENT_MARKER = '<!-- posture:pr-comment -->';

/** The marker of one comment; a key (such as the scanned path) keeps several scans of one pull request apart. */
export const prCommentMarker = (key?: string): string => (key ? `<!-- posture:pr-comment:${key.replace(/--+|[<>\s]/g, '_')} -->` : PR_COMMENT_MARKER);

export type PrCommentInput = { owner: string; repo: string; pullRequest: number; body: string; marker: string };

export type PrCommentReport = { action: 'created' | 'updated' | 'unchanged'; id: number; url?: string };

type Comment = { id: number; body?: string; html_url?: string; user?: { type?: string } | null };

/**
 * Keeps one comment per marker on a pull request: finds the comment whose body starts with the
 * marker (preferring one written by a bot, as Actions' token writes them) and updates it in place,
 * or creates it. An unchanged body is not written again.
 */
export const upsertPrComment = async (octokit: GithubClient, input: PrCommentInput): Promise<PrCommentReport> => {
  const body = input.body.startsWith(input.marker) ? input.body : `${input.marker}\n${input.body}`;
  const comments = (await octokit.paginate(octokit.rest.issues.listComments, { owner: input.owner, repo: input.repo, issue_number: input.pullRequest, per_page: 100 })) as Comment[];
  const mine = comments.filter((c) => c.body?.startsWith(input.marker));
  const existing = mine.find((c) => c.user?.type === 'Bot') ?? mine[0];
  if (existing) {
    if (existing.body === body) return { action: 'unchanged', id: existing.id, ...(existing.html_url ? { url: existing.html_url } : {}) };
    const updated = await octokit.rest.issues.updateComment({ owner: input.owner, repo: input.repo, comment_id: existing.id, body });
    return { action: 'updated', id: updated.data.id, url: updated.data.html_url };
  }
  const created = await octokit.rest.issues.createComment({ owner: input.owner, repo: input.repo, issue_number: input.pullRequest, body });
  return { action: 'created', id: created.data.id, url: created.data.html_url };
};
