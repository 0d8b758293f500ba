import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import { findOnPath } from './scanner.js';

/** The stand-in osv-scanner that replays recorded outputs (tests and the offline demo). */
export const STAND_IN_PATH = path.join(packageRoot, 'test', 'support', 'osv-scanner-stand-in', 'osv-scanner');

/**
 * The osv-scanner for `posture scan fixtures/demo --demo`: the real binary when one is on PATH (a
 * live scan), else the stand-in, which replays the recording made for the demo's payments
 * lockfile; the osv source's notes then say "stand-in (replays recorded osv-scanner outputs; not
 * a live scan)". Undefined when neither exists (an installed package ships no stand-in): the
 * source is then skipped with its install hint, as in any scan.
 */
export const demoOsvScanner = (env: NodeJS.ProcessEnv): { binary: string; replayed: boolean } | undefined => {
  const real = findOnPath('osv-scanner', env.PATH);
  if (real) return { binary: real, replayed: false };
  return existsSync(STAND_IN_PATH) ? { binary: STAND_IN_PATH, replayed: true } : undefined;
};
