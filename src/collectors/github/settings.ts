import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PostureError } from '../../cli/errors.js';
import type { GithubAuth } from '../../github/client.js';
import type { CollectContext } from '../types.js';

/** posture.yaml `github:` (schemas/config/github.schema.json). */
export type GithubConfig = {
  orgs?: string[];
  repos?: string[];
  apiUrl?: string;
  includeArchived?: boolean;
  tokenFile?: string;
  app?: { appId: number | string; installationId: number; privateKeyFile: string };
};

export type RepositoryName = { owner: string; name: string };

export type GithubSettings = {
  orgs: string[];
  repos: RepositoryName[];
  apiUrl: string;
  includeArchived: boolean;
  /** Undefined when no credentials were found. */
  auth?: GithubAuth;
  /** Where the credentials came from, for the report (never the credentials themselves). */
  authSource?: string;
};

export const DEFAULT_API_URL = 'https://api.github.com';

const MAX_SECRET_FILE_BYTES = 64 * 1024;

const REPOSITORY_PATTERN = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : []);

const readSecretFile = async (file: string, what: string): Promise<string> => {
  const absolute = path.resolve(file);
  try {
    const info = await stat(absolute);
    if (!info.isFile()) throw new PostureError('file-unreadable', `${what} is not a file`, { file });
    if (info.size > MAX_SECRET_FILE_BYTES) throw new PostureError('file-unreadable', `${what} is ${info.size} bytes; a ${what} is far smaller`, { file });
    const text = (await readFile(absolute, 'utf8')).trim();
    if (!text) throw new PostureError('file-unreadable', `${what} is empty`, { file });
    return text;
  } catch (error) {
    if (error instanceof PostureError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new PostureError(code === 'ENOENT' ? 'path-missing' : 'file-unreadable', `cannot read the ${what} (${code ?? 'error'})`, { file });
  }
};

/**
 * Resolves targets and credentials. Command-line flags replace the posture.yaml lists. Tokens come
 * from files or the environment, never from the command line: `--github-token-file`, then
 * POSTURE_GITHUB_TOKEN, then a GitHub App installation or `tokenFile` from posture.yaml, then
 * GITHUB_TOKEN (the ambient token of a GitHub Actions job, tried last because it rarely has admin).
 */
export const resolveSettings = async (ctx: Pick<CollectContext, 'options' | 'config' | 'env'>): Promise<GithubSettings> => {
  const config = (ctx.config.github ?? {}) as GithubConfig;
  const option = (name: string): unknown => ctx.options[name];
  const cliOrgs = list(option('githubOrg'));
  const cliRepos = list(option('githubRepo'));
  const orgs = [...new Set(cliOrgs.length > 0 ? cliOrgs : (config.orgs ?? []))];
  const repoNames = [...new Set(cliRepos.length > 0 ? cliRepos : (config.repos ?? []))];
  const repos = repoNames.map((full): RepositoryName => {
    const match = REPOSITORY_PATTERN.exec(full.trim());
    if (!match) throw new PostureError('usage', `--github-repo takes owner/name, got "${full}"`);
    return { owner: match[1] as string, name: match[2] as string };
  });
  for (const org of orgs) {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(org)) throw new PostureError('usage', `--github-org takes an organisation login, got "${org}"`);
  }
  const apiUrl = String(option('githubApiUrl') ?? config.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  try {
    const url = new URL(apiUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http');
  } catch {
    throw new PostureError('usage', `--github-api-url must be an http(s) URL, got "${apiUrl}"`);
  }
  const includeArchived = option('githubIncludeArchived') === true || config.includeArchived === true;
  const base = { orgs, repos, apiUrl, includeArchived };

  const tokenFile = option('githubTokenFile');
  if (typeof tokenFile === 'string' && tokenFile) {
    return { ...base, auth: { kind: 'token', token: await readSecretFile(tokenFile, 'token file') }, authSource: '--github-token-file' };
  }
  const posture = ctx.env.POSTURE_GITHUB_TOKEN?.trim();
  if (posture) return { ...base, auth: { kind: 'token', token: posture }, authSource: 'POSTURE_GITHUB_TOKEN' };
  if (config.app) {
    const privateKey = await readSecretFile(config.app.privateKeyFile, 'GitHub App private key');
    return {
      ...base,
      auth: { kind: 'app', appId: config.app.appId, installationId: config.app.installationId, privateKey },
      authSource: `GitHub App ${config.app.appId}, installation ${config.app.installationId}`,
    };
  }
  if (config.tokenFile) return { ...base, auth: { kind: 'token', token: await readSecretFile(config.tokenFile, 'token file') }, authSource: 'github.tokenFile' };
  const ambient = ctx.env.GITHUB_TOKEN?.trim();
  if (ambient) return { ...base, auth: { kind: 'token', token: ambient }, authSource: 'GITHUB_TOKEN' };
  return base;
};
