import type { GithubClient } from '../github/client.js';
import type { EventPayload } from './github-context.js';

export type Visibility = { value: 'public' | 'private' | 'internal' | 'unknown'; source: string };

const fromRepository = (repository: { private?: boolean; visibility?: string } | undefined): Visibility['value'] | undefined => {
  if (!repository) return undefined;
  if (repository.visibility === 'public' || repository.visibility === 'private' || repository.visibility === 'internal') return repository.visibility;
  if (typeof repository.private === 'boolean') return repository.private ? 'private' : 'public';
  return undefined;
};

/**
 * Whether a repository is public: from the event payload's `repository` when it describes this
 * repository (free, no request), else from GET /repos/{owner}/{repo}, else unknown.
 */
export const repositoryVisibility = async (input: {
  owner: string;
  repo: string;
  event?: EventPayload;
  octokit?: GithubClient;
}): Promise<Visibility> => {
  const fullName = `${input.owner}/${input.repo}`.toLowerCase();
  if (input.event?.repository?.full_name?.toLowerCase() === fullName) {
    const value = fromRepository(input.event.repository);
    if (value) return { value, source: 'the event payload' };
  }
  if (!input.octokit) return { value: 'unknown', source: 'no event payload names the repository and there is no token to ask the API' };
  try {
    const { data } = await input.octokit.rest.repos.get({ owner: input.owner, repo: input.repo });
    return { value: fromRepository(data) ?? 'unknown', source: 'GET /repos/{owner}/{repo}' };
  } catch (error) {
    return { value: 'unknown', source: `GET /repos/{owner}/{repo} failed: ${(error as Error).message}` };
  }
};
