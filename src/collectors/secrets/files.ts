import { lstatSync, readdirSync, readFileSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import ignore, { type Ignore } from 'ignore';

export type ListedFile = { path: string; absolute: string; size: number };

export type FileListing = {
  /** `git`: the files git tracks; `walk`: the tree on disk, minus what .gitignore files ignore. */
  mode: 'git' | 'walk';
  files: ListedFile[];
  /** Paths skipped by posture's exclude patterns. */
  excluded: string[];
  unreadable: { path: string; reason: string }[];
  /** Why git was not used, when it was not. */
  gitReason?: string;
};

/** posture's own state directory in a scanned tree (it holds the fingerprint key). */
const POSTURE_DIR = '.posture';

/** The environment git runs with: enough to find itself and its user config, nothing else. */
const gitEnv = (env: NodeJS.ProcessEnv): Record<string, string> => {
  const allowed: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  for (const name of ['PATH', 'HOME', 'SYSTEMROOT', 'USERPROFILE', 'XDG_CONFIG_HOME']) {
    const value = env[name];
    if (value !== undefined) allowed[name] = value;
  }
  return allowed;
};

/**
 * Lists the files git tracks under the root, or undefined (with the reason) when the root is not
 * in a git work tree or git cannot be run. Tracked files are what was committed: a file ignored
 * after it was committed is still leaked, so .gitignore does not apply here.
 */
const gitTrackedFiles = async (
  root: string,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
  record: (api: string, outcome: { ms: number; error?: boolean }) => void,
): Promise<{ paths: string[] } | { reason: string }> => {
  const started = performance.now();
  // core.fsmonitor off: a repository's own config must not make posture run a program.
  const result = await execa('git', ['-c', 'core.fsmonitor=false', '-c', 'core.quotepath=off', 'ls-files', '-z', '--cached'], {
    cwd: root,
    env: gitEnv(env),
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    cancelSignal: signal,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
  });
  record('git ls-files', { ms: performance.now() - started, error: result.exitCode !== 0 });
  if (result.failed) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') return { reason: 'git is not installed' };
    const stderr = String(result.stderr ?? '');
    if (/not a git repository/i.test(stderr)) return { reason: 'not a git work tree' };
    if (/dubious ownership/i.test(stderr)) return { reason: 'git refuses the repository (dubious ownership)' };
    return { reason: `git ls-files failed (exit ${result.exitCode ?? 'signal'})` };
  }
  return { paths: String(result.stdout).split('\0').filter((p) => p !== '') };
};

/** The excluded directory (with a trailing slash) or file a path falls under, if any. */
const excludedAs = (matcher: Ignore, relative: string): string | undefined => {
  const segments = relative.split('/');
  for (let i = 1; i < segments.length; i++) {
    const dir = `${segments.slice(0, i).join('/')}/`;
    if (matcher.ignores(dir)) return dir;
  }
  return matcher.ignores(relative) ? relative : undefined;
};

/**
 * The files to scan for secrets. In a git work tree, the tracked files; elsewhere the tree on
 * disk, honouring every .gitignore in it. posture's exclude patterns apply in both cases, and
 * symbolic links are never followed out of the tree.
 */
export const listSourceFiles = async (options: {
  root: string;
  excludes: string[];
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  record: (api: string, outcome: { ms: number; error?: boolean }) => void;
}): Promise<FileListing> => {
  const { root } = options;
  const excludes = ignore().add(options.excludes).add(`${POSTURE_DIR}/`);
  const excluded = new Set<string>();
  const unreadable: FileListing['unreadable'] = [];
  const files: ListedFile[] = [];
  const consider = (relative: string): void => {
    const absolute = path.join(root, relative);
    try {
      const stat = lstatSync(absolute);
      if (stat.isFile()) files.push({ path: relative, absolute, size: stat.size });
    } catch (error) {
      unreadable.push({ path: relative, reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' });
    }
  };

  const tracked = await gitTrackedFiles(root, options.env, options.signal, options.record);
  if ('paths' in tracked) {
    for (const relative of tracked.paths.sort()) {
      const skipped = excludedAs(excludes, relative);
      if (skipped) excluded.add(skipped);
      else consider(relative);
    }
    return { mode: 'git', files, excluded: [...excluded].sort(), unreadable };
  }

  const walk = (relative: string, gitignores: { base: string; matcher: Ignore }[]): void => {
    const dir = path.join(root, relative);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      unreadable.push({ path: relative || '.', reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' });
      return;
    }
    const scopes = [...gitignores];
    if (entries.some((entry) => entry.name === '.gitignore' && entry.isFile())) {
      try {
        scopes.push({ base: relative, matcher: ignore().add(readFileSync(path.join(dir, '.gitignore'), 'utf8')) });
      } catch {
        // An unreadable .gitignore ignores nothing; the files it would hide are scanned.
      }
    }
    const ignoredByGit = (child: string, isDir: boolean): boolean =>
      scopes.some(({ base, matcher }) => {
        const inner = base ? child.slice(base.length + 1) : child;
        return matcher.ignores(isDir ? `${inner}/` : inner);
      });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name === '.git') continue;
        if (excludes.ignores(`${child}/`)) excluded.add(`${child}/`);
        else if (!ignoredByGit(child, true)) walk(child, scopes);
      } else if (entry.isFile()) {
        if (excludes.ignores(child)) excluded.add(child);
        else if (!ignoredByGit(child, false)) consider(child);
      }
    }
  };
  walk('', []);
  return { mode: 'walk', files, excluded: [...excluded].sort(), unreadable, gitReason: tracked.reason };
};
