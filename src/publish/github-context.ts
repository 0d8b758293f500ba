import { readFileSync } from 'node:fs';
import { PostureError } from '../cli/errors.js';

/** What a GitHub Actions event payload tells posture (only the fields it reads). */
export type EventPayload = {
  pull_request?: { number?: number; head?: { sha?: string }; base?: { sha?: string; ref?: string } };
  repository?: { full_name?: string; private?: boolean; visibility?: string };
  number?: number;
};

/** Where and how to publish, from the environment of a GitHub Actions job and the CLI flags. */
export type GithubContext = {
  /** `owner/name` from --check-repo, else GITHUB_REPOSITORY. */
  repository?: { owner: string; repo: string };
  /** The commit under test: --check-sha, else the pull request's head SHA, else GITHUB_SHA. */
  sha?: string;
  /** Where the SHA came from, for messages. */
  shaSource?: string;
  pullRequest?: number;
  eventName?: string;
  event?: EventPayload;
  /** The REST API root (GITHUB_API_URL, default https://api.github.com). */
  apiUrl: string;
  /** The job's page, linked from the check run. */
  runUrl?: string;
  /**
   * GITHUB_TOKEN, else POSTURE_GITHUB_TOKEN; never a CLI flag, where `ps` would show it. Publishing
   * prefers GITHUB_TOKEN, unlike the collectors: only a GitHub App token (Actions' own) can create
   * check runs, while POSTURE_GITHUB_TOKEN is typically a token with read access to an organisation.
   */
  token?: string;
  tokenSource?: 'POSTURE_GITHUB_TOKEN' | 'GITHUB_TOKEN';
  stepSummary?: string;
};

const REPO = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/;
const SHA = /^[0-9a-f]{40}$/;
const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review', 'pull_request_review_comment']);

const readEvent = (file: string | undefined): EventPayload | undefined => {
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as EventPayload;
  } catch (error) {
    throw new PostureError('file-unreadable', `cannot read the GitHub event payload (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { file });
  }
};

/**
 * Reads the GitHub Actions environment. On pull-request events the head SHA comes from the event
 * payload ($GITHUB_EVENT_PATH): GITHUB_SHA is then the merge commit GitHub made, not the commit
 * the developer pushed, and a check run on it would show on no pull request.
 */
export const githubContext = (env: NodeJS.ProcessEnv, flags: { checkRepo?: string; checkSha?: string } = {}): GithubContext => {
  const event = readEvent(env.GITHUB_EVENT_PATH);
  const eventName = env.GITHUB_EVENT_NAME;
  const repoText = flags.checkRepo ?? env.GITHUB_REPOSITORY;
  let repository: GithubContext['repository'];
  if (repoText !== undefined && repoText !== '') {
    const match = REPO.exec(repoText);
    if (!match) throw new PostureError('usage', `${flags.checkRepo !== undefined ? '--check-repo' : 'GITHUB_REPOSITORY'} "${repoText}" is not OWNER/REPO`);
    repository = { owner: match[1]!, repo: match[2]! };
  }
  let sha: string | undefined;
  let shaSource: string | undefined;
  const headSha = event?.pull_request?.head?.sha;
  if (flags.checkSha !== undefined) {
    sha = flags.checkSha;
    shaSource = '--check-sha';
  } else if (eventName && PULL_REQUEST_EVENTS.has(eventName) && headSha) {
    sha = headSha;
    shaSource = 'the pull request head ($GITHUB_EVENT_PATH)';
  } else if (env.GITHUB_SHA) {
    sha = env.GITHUB_SHA;
    shaSource = 'GITHUB_SHA';
  }
  if (sha !== undefined && !SHA.test(sha)) throw new PostureError('usage', `${shaSource ?? 'the commit'} "${sha}" is not a full 40-character commit SHA`);
  const pullRequest = event?.pull_request?.number ?? (eventName && PULL_REQUEST_EVENTS.has(eventName) ? event?.number : undefined);
  const token = env.GITHUB_TOKEN || env.POSTURE_GITHUB_TOKEN || undefined;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return {
    ...(repository ? { repository } : {}),
    ...(sha ? { sha, shaSource } : {}),
    ...(pullRequest !== undefined ? { pullRequest } : {}),
    ...(eventName ? { eventName } : {}),
    ...(event ? { event } : {}),
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    ...(env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY ? { runUrl: `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` } : {}),
    ...(token ? { token, tokenSource: env.GITHUB_TOKEN ? ('GITHUB_TOKEN' as const) : ('POSTURE_GITHUB_TOKEN' as const) } : {}),
    ...(env.GITHUB_STEP_SUMMARY ? { stepSummary: env.GITHUB_STEP_SUMMARY } : {}),
  };
};

/** Fails early (exit 2) when a check run is asked for but posture cannot tell where to put it. */
export const requireCheckTarget = (context: GithubContext): { owner: string; repo: string; sha: string } => {
  if (!context.repository) throw new PostureError('usage', '--github-check needs the repository: pass --check-repo OWNER/REPO or run in GitHub Actions (GITHUB_REPOSITORY)');
  if (!context.sha) throw new PostureError('usage', '--github-check needs the commit: pass --check-sha SHA or run in GitHub Actions (GITHUB_SHA)');
  return { ...context.repository, sha: context.sha };
};
