import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import ignore, { type Ignore } from 'ignore';
import { unknown, type Unknown } from '../../facts/types.js';
import type { CollectContext } from '../types.js';
import { dirOf, joinPath, type TreeFiles } from './tree-files.js';
import type { EnvFile } from './types.js';

/** Templates meant to be committed: they document the variables, not their values. */
const TEMPLATES = new Set(['.env.example', '.env.sample', '.env.template']);

export const isEnvFile = (name: string): boolean => name === '.env' || (name.startsWith('.env.') && !TEMPLATES.has(name.toLowerCase()));

type GitContext = Pick<CollectContext, 'root' | 'env' | 'signal' | 'limits' | 'calls'>;

/** The directory holding `.git` (a directory, or a file in worktrees and submodules), if any. */
const gitWorkTreeOf = (root: string): string | undefined => {
  let current = path.resolve(root);
  for (;;) {
    if (existsSync(path.join(current, '.git'))) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
};

/**
 * Which of the paths git tracks, or why that could not be told. Runs `git ls-files` with an
 * allow-listed environment, a timeout and literal pathspecs.
 */
const trackedPaths = async (ctx: GitContext, paths: string[]): Promise<Set<string> | Unknown> => {
  const tracked = new Set<string>();
  for (let i = 0; i < paths.length; i += 500) {
    const started = performance.now();
    const result = await execa('git', ['--literal-pathspecs', 'ls-files', '-z', '--', ...paths.slice(i, i + 500)], {
      cwd: ctx.root,
      reject: false,
      timeout: ctx.limits.timeoutMs,
      cancelSignal: ctx.signal,
      extendEnv: false,
      env: { PATH: ctx.env.PATH ?? '', HOME: ctx.env.HOME ?? '', LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' },
      stripFinalNewline: false,
    });
    ctx.calls.record('git ls-files', { ms: performance.now() - started, error: result.failed });
    if (result.failed) {
      if (result.code === 'ENOENT') return unknown('the tree is a git work tree but git is not on PATH, so whether git tracks the file is unknown');
      const detail = result.timedOut ? 'timed out' : String(result.stderr).split('\n')[0] || `exit code ${result.exitCode ?? '?'}`;
      return unknown(`git ls-files failed: ${detail}`);
    }
    for (const entry of String(result.stdout).split('\0')) if (entry) tracked.add(entry);
  }
  return tracked;
};

/**
 * `.env` and `.env.*` files (but not `.env.example`, `.env.sample`, `.env.template`), each with
 * whether the tree's .gitignore files ignore it and whether git tracks it. `tracked` is `null`
 * when the tree is not inside a git work tree (an exported archive): then only the ignore rules
 * tell whether the file would be committed.
 */
export const findEnvFiles = async (files: TreeFiles, ctx: GitContext): Promise<(EnvFile | Unknown)[]> => {
  const envPaths = files.files.map((f) => f.path).filter((p) => isEnvFile(path.posix.basename(p)));
  const hidden = files.unlisted.map((u) => unknown(`${u.path} could not be listed (${u.reason}); env files in it were not seen`, 'read'));
  if (envPaths.length === 0) return hidden;

  const matchers = new Map<string, Ignore | Unknown>();
  const matcherOf = (dir: string): Ignore | Unknown | undefined => {
    const file = joinPath(dir, '.gitignore');
    if (!files.has(file)) return undefined;
    let matcher = matchers.get(dir);
    if (!matcher) {
      const read = files.read(file);
      matcher = read.ok ? ignore().add(read.text) : files.gap(file, ['envFiles'], read);
      matchers.set(dir, matcher);
    }
    return matcher;
  };
  const ignoredOf = (p: string): boolean | Unknown => {
    const dirs: string[] = [];
    for (let dir = dirOf(p); ; dir = dirOf(dir)) {
      dirs.unshift(dir);
      if (dir === '') break;
    }
    let ignored = false;
    // Deeper .gitignore files override shallower ones, as git applies them.
    for (const dir of dirs) {
      const matcher = matcherOf(dir);
      if (!matcher) continue;
      if ('$unknown' in matcher) return matcher;
      const verdict = matcher.test(dir ? p.slice(dir.length + 1) : p);
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    return ignored;
  };

  const tracked = gitWorkTreeOf(ctx.root) === undefined ? null : await trackedPaths(ctx, envPaths);
  return [
    ...envPaths.map((p): EnvFile => ({
      path: p,
      line: 1,
      ignored: ignoredOf(p),
      tracked: tracked === null ? null : tracked instanceof Set ? tracked.has(p) : tracked,
    })),
    ...hidden,
  ];
};
