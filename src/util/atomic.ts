import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PostureError } from '../cli/errors.js';

/** Characters encoded and written at a time. */
const WRITE_SLICE = 1 << 16;

/** A file written beside its destination, waiting to be renamed into place or thrown away. */
export type StagedFile = { file: string; commit: () => void; discard: () => void };

const outputFailed = (file: string, error: unknown): PostureError =>
  new PostureError('output-failed', `cannot write output (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { file });

/**
 * Writes content (one string, or pieces of text produced one after another) to a temporary file
 * beside `file`. Nothing is visible at `file` until `commit`; a failure, while writing or while
 * producing the pieces, removes the temporary file and is thrown.
 */
export const stageFile = (file: string, content: string | Buffer | Iterable<string>): StagedFile => {
  const dir = path.dirname(file);
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    try {
      mkdirSync(dir, { recursive: true });
      fd = openSync(temporary, 'w');
    } catch (error) {
      throw outputFailed(file, error);
    }
    const write = (data: string | Buffer): void => {
      try {
        // A write may take less than it was given: loop until every byte is written.
        const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd as number, bytes, offset);
      } catch (error) {
        throw outputFailed(file, error);
      }
    };
    if (Buffer.isBuffer(content)) write(content);
    else for (const piece of typeof content === 'string' ? [content] : content) {
      // A long text is encoded a slice at a time, not copied whole into one more buffer.
      for (let offset = 0; offset < piece.length; ) {
        let end = Math.min(piece.length, offset + WRITE_SLICE);
        // Never between the two halves of a surrogate pair: each would be written as U+FFFD.
        const last = piece.charCodeAt(end - 1);
        if (end < piece.length && last >= 0xd800 && last <= 0xdbff) end++;
        write(piece.slice(offset, end));
        offset = end;
      }
    }
    closeSync(fd);
    fd = undefined;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  return {
    file,
    commit: () => {
      try {
        renameSync(temporary, file);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw outputFailed(file, error);
      }
    },
    discard: () => rmSync(temporary, { force: true }),
  };
};

/**
 * Writes a file by writing a temporary file beside it and renaming it into place, so a failure
 * never leaves a half-written report over the last good one.
 */
export const writeFileAtomic = (file: string, content: string | Buffer | Iterable<string>): void => stageFile(file, content).commit();

/** Writes text to a file, or to stdout when the file is `-`. */
export const writeOutput = (file: string, content: string | Iterable<string>): void => {
  if (file !== '-') writeFileAtomic(file, content);
  else if (typeof content === 'string') process.stdout.write(content);
  else for (const piece of content) process.stdout.write(piece);
};
