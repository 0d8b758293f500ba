import type { GithubClient } from '../github/client.js';
import { annotationBatches, type CheckAnnotation, type CheckConclusion, type CheckOutput } from '../reporters/github-annotations.js';

export type CheckRunInput = {
  owner: string;
  repo: string;
  sha: string;
  name: string;
  output: CheckOutput;
  annotations: CheckAnnotation[];
  conclusion: CheckConclusion;
  detailsUrl?: string;
  /** The time the check run is completed at (the scan's end); now by default. */
  now?: () => Date;
};

export type CheckRunReport = { id: number; url?: string; requests: number; annotations: number };

/** The token may not create check runs: only GitHub App tokens, such as Actions' GITHUB_TOKEN, can. */
export class CheckRunForbidden extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'CheckRunForbidden';
    this.status = status;
  }
}

const statusOf = (error: unknown): number | undefined => {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
};

const isRateLimit = (error: unknown): boolean => /rate limit/i.test((error as Error).message ?? '');

/**
 * Publishes a check run on a commit: created with the first 50 annotations, updated with each
 * further batch of 50 (the Checks API's limit per request), the last request carrying the
 * conclusion. With 50 annotations or fewer it is one request. A 403 or 404 on creation means the
 * token may not create check runs there and is raised as CheckRunForbidden; if an update fails,
 * the run is still completed with its conclusion before the error is raised, so no check is left
 * in progress for ever.
 */
export const publishCheckRun = async (octokit: GithubClient, input: CheckRunInput): Promise<CheckRunReport> => {
  const now = input.now ?? (() => new Date());
  const [first = [], ...rest] = annotationBatches(input.annotations);
  const single = rest.length === 0;
  let created;
  try {
    created = await octokit.rest.checks.create({
      owner: input.owner,
      repo: input.repo,
      name: input.name,
      head_sha: input.sha,
      ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
      ...(single ? { status: 'completed' as const, conclusion: input.conclusion, completed_at: now().toISOString() } : { status: 'in_progress' as const }),
      output: { ...input.output, annotations: first },
    });
  } catch (error) {
    const status = statusOf(error);
    if ((status === 403 || status === 404) && !isRateLimit(error)) throw new CheckRunForbidden(status, (error as Error).message);
    throw error;
  }
  const id = created.data.id;
  let requests = 1;
  for (const [index, batch] of rest.entries()) {
    const last = index === rest.length - 1;
    try {
      await octokit.rest.checks.update({
        owner: input.owner,
        repo: input.repo,
        check_run_id: id,
        ...(last ? { status: 'completed' as const, conclusion: input.conclusion, completed_at: now().toISOString() } : {}),
        output: { ...input.output, annotations: batch },
      });
      requests++;
    } catch (error) {
      requests++;
      await octokit.rest.checks
        .update({
          owner: input.owner,
          repo: input.repo,
          check_run_id: id,
          status: 'completed',
          conclusion: input.conclusion,
          completed_at: now().toISOString(),
          output: { title: input.output.title, summary: `${input.output.summary}\n\n**Some annotations could not be sent** (${(error as Error).message}).` },
        })
        .catch(() => undefined);
      throw error;
    }
  }
  return { id, ...(created.data.html_url ? { url: created.data.html_url } : {}), requests, annotations: input.annotations.length };
};
