import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import ignore from 'ignore';


export const DEFAULT_EXCLUDES = ['.git', 'node_modules', 'vendor'];

export type TreeFile = { path: string; absolute: string; size: number };

export type TreeListing = {
  files: TreeFile[];
  /** Directories and files skipped by the exclude patterns, POSIX and relative to the root. */
  excluded: string[];
  /** Paths that could not be read, with the reason. */
  unreadable: { path: string; reason: string }[];
};

/**
 * Lists the files of a tree with POSIX paths relative to its root, skipping what the exclude
 * patterns (gitignore syntax) name. Symbolic links are not followed, so a tree cannot lead the
 * scan outside itself or into a loop.
 */
export const listTree = (root: string, excludes: string[]): TreeListing => {
  const matcher = ignore().add(excludes);
  const listing: TreeListing = { files: [], excluded: [], unreadable: [] };
  const visit = (relative: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(root, relative), { withFileTypes: true });
    } catch (error) {
      listing.unreadable.push({ path: relative || '.', reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (matcher.ignores(`${child}/`)) listing.excluded.push(`${child}/`);
        else visit(child);
      } else if (entry.isFile()) {
        if (matcher.ignores(child)) {
          listing.excluded.push(child);
          continue;
        }
        const absolute = path.join(root, child);
        try {
          listing.files.push({ path: child, absolute, size: statSync(absolute).size });
        } catch (error) {
          listing.unreadable.push({ path: child, reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' });
        }
      }
    }
  };
  visit('');
  return listing;
};

/** True when a buffer looks binary (a NUL byte in its first 8 KiB), as git decides it. */
export const looksBinary = (buffer: Buffer): boolean => buffer.subarray(0, 8192).includes(0);

/** Reads the origin URL of a git work tree without running git, minus any credentials. */
export const treeIdOf = (root: string): string => {
  try {
    const config = readFileSync(path.join(root, '.git', 'config'), 'utf8');
    const section = /\[remote "origin"\]([^[]*)/.exec(config)?.[1];
    const url = section && /^\s*url\s*=\s*(\S+)\s*$/m.exec(section)?.[1];
    if (url) return normaliseRemote(url);
  } catch {
    // Not a git work tree, or unreadable: the directory name is the id.
  }
  return path.basename(path.resolve(root));
};

/** `git@host:o/r.git` and `https://user:token@host/o/r.git` both become `https://host/o/r`. */
export const normaliseRemote = (url: string): string => {
  const scp = /^[\w.-]+@([\w.-]+):(.+)$/.exec(url);
  if (scp) return `https://${scp[1]}/${scp[2]}`.replace(/\.git$/, '');
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\.git$/, '').replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//').replace(/\.git$/, '');
  }
};
