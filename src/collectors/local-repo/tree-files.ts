import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { unknown, type CoverageGap, type Unknown } from '../../facts/types.js';
import { looksBinary, type TreeFile, type TreeListing } from '../../util/tree.js';

/** The text of a file, or why it could not be used. */
export type ReadResult = { ok: true; text: string } | { ok: false; reason: string; permission?: string };

/**
 * The files of the scanned tree with memoised, size-limited reads, and the record of the files
 * the collector needed but could not use. One per scan.
 */
export type TreeFiles = {
  treeId: string;
  files: TreeFile[];
  has: (relative: string) => boolean;
  get: (relative: string) => TreeFile | undefined;
  /** Reads a whole text file, refusing files over the size limit and binary files. */
  read: (relative: string) => ReadResult;
  /** Reads the first bytes of a file, for recognising its format. */
  head: (relative: string) => ReadResult;
  /** Directories (and files) that could not be listed: anything could be in them. */
  unlisted: { path: string; reason: string }[];
  /** Records a coverage gap for a file the collector needed and returns the matching unknown marker. */
  gap: (relative: string, attributes: string[], failure: Extract<ReadResult, { ok: false }>) => Unknown;
  gaps: CoverageGap[];
  notes: string[];
};

const HEAD_BYTES = 64 * 1024;

const failureOf = (error: unknown): Extract<ReadResult, { ok: false }> => {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return { ok: false, reason: `unreadable (${code})`, ...(code === 'EACCES' || code === 'EPERM' ? { permission: 'read' } : {}) };
};

const decode = (buffer: Buffer): string => buffer.toString('utf8').replace(/^\uFEFF/, '');

export const createTreeFiles = (treeId: string, listing: TreeListing, maxFileBytes: number): TreeFiles => {
  // A custom exclude list may leave .git in the walk; its internals are never part of the source.
  const files = listing.files.filter((f) => f.path !== '.git' && !f.path.startsWith('.git/'));
  const byPath = new Map(files.map((f) => [f.path, f]));
  const cache = new Map<string, ReadResult>();
  const gaps: CoverageGap[] = [];
  const gapKeys = new Set<string>();

  const read = (relative: string): ReadResult => {
    const cached = cache.get(relative);
    if (cached) return cached;
    const file = byPath.get(relative);
    let result: ReadResult;
    if (!file) result = { ok: false, reason: 'not in the tree' };
    else if (file.size > maxFileBytes) result = { ok: false, reason: `larger than the ${maxFileBytes}-byte file limit (${file.size} bytes)` };
    else {
      try {
        const buffer = readFileSync(file.absolute);
        result = looksBinary(buffer) ? { ok: false, reason: 'binary file' } : { ok: true, text: decode(buffer) };
      } catch (error) {
        result = failureOf(error);
      }
    }
    cache.set(relative, result);
    return result;
  };

  const head = (relative: string): ReadResult => {
    const whole = cache.get(relative);
    if (whole) return whole;
    const file = byPath.get(relative);
    if (!file) return { ok: false, reason: 'not in the tree' };
    if (file.size <= HEAD_BYTES) return read(relative);
    try {
      const fd = openSync(file.absolute, 'r');
      try {
        const buffer = Buffer.alloc(HEAD_BYTES);
        const bytes = readSync(fd, buffer, 0, HEAD_BYTES, 0);
        const slice = buffer.subarray(0, bytes);
        return looksBinary(slice) ? { ok: false, reason: 'binary file' } : { ok: true, text: decode(slice) };
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      return failureOf(error);
    }
  };

  return {
    treeId,
    files,
    has: (relative) => byPath.has(relative),
    get: (relative) => byPath.get(relative),
    read,
    head,
    unlisted: listing.unreadable,
    gap: (relative, attributes, failure) => {
      const key = `${relative}\0${attributes.join(',')}`;
      if (!gapKeys.has(key)) {
        gapKeys.add(key);
        gaps.push({ resource: `${treeId}/${relative}`, attributes, reason: `${relative}: ${failure.reason}`, ...(failure.permission ? { permission: failure.permission } : {}) });
      }
      return unknown(`${relative}: ${failure.reason}`, failure.permission);
    },
    gaps,
    notes: [],
  };
};

/** The directory of a POSIX relative path, `''` for the root. */
export const dirOf = (relative: string): string => {
  const dir = path.posix.dirname(relative);
  return dir === '.' ? '' : dir;
};

/** Joins a directory (possibly the root, `''`) and a name. */
export const joinPath = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);

/** The ancestors of a directory, nearest first, ending with the root `''`. */
export const ancestorsOf = (dir: string): string[] => {
  const out: string[] = [];
  let current = dir;
  while (current) {
    current = dirOf(current);
    out.push(current);
  }
  return out;
};

/** The first path that could not be listed and might hide a file in one of these directories. */
export const unlistedAmong = (files: TreeFiles, dirs: string[]): { path: string; reason: string } | undefined =>
  files.unlisted.find((u) => u.path === '.' || dirs.some((d) => d === u.path || d.startsWith(`${u.path}/`) || dirOf(u.path) === d));
