import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PostureError } from '../cli/errors.js';

/**
 * Writes a file by writing a temporary file beside it and renaming it into place, so a failure
 * never leaves a half-written report over the last good one.
 */
export const writeFileAtomic = (file: string, content: string | Buffer): void => {
  const dir = path.dirname(file);
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temporary, content);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new PostureError('output-failed', `cannot write output (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { file });
  }
};

/** Writes text to a file, or to stdout when the file is `-`. */
export const writeOutput = (file: string, content: string): void => {
  if (file === '-') process.stdout.write(content);
  else writeFileAtomic(file, content);
};
