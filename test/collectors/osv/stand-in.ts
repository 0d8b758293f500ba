import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../../src/util/package-root.js';

/** The stand-in osv-scanner (test/support/osv-scanner-stand-in), a node script. */
export const STAND_IN = path.join(packageRoot, 'test/support/osv-scanner-stand-in/osv-scanner');

export const fixture = (relative: string): string => path.join(packageRoot, 'fixtures/osv', relative);

export type StandInOptions = {
  major?: 1 | 2;
  mode?: 'replay' | 'exit' | 'malformed' | 'hang' | 'large';
  replay?: string;
  exit?: number;
  stderr?: string;
  packages?: number;
  versionText?: string;
};

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * A directory holding an executable `osv-scanner` that runs the stand-in in one scenario. The
 * scenario is set inside the wrapper, because posture hands the binary an allow-listed
 * environment; `record` is where the stand-in writes the argv and environment it received.
 */
export const makeStandIn = (options: StandInOptions = {}): { dir: string; binary: string; record: string } => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'posture-osv-stand-in-'));
  const record = path.join(dir, 'received.json');
  const vars: Record<string, string | undefined> = {
    OSV_STAND_IN_MAJOR: options.major ? String(options.major) : undefined,
    OSV_STAND_IN_MODE: options.mode,
    OSV_STAND_IN_REPLAY: options.replay,
    OSV_STAND_IN_EXIT: options.exit === undefined ? undefined : String(options.exit),
    OSV_STAND_IN_STDERR: options.stderr,
    OSV_STAND_IN_PACKAGES: options.packages === undefined ? undefined : String(options.packages),
    OSV_STAND_IN_VERSION_TEXT: options.versionText,
    OSV_STAND_IN_RECORD: record,
  };
  const exports = Object.entries(vars)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `export ${k}=${quote(v as string)}`)
    .join('\n');
  const binary = path.join(dir, 'osv-scanner');
  writeFileSync(binary, `#!/bin/sh\n${exports}\nexec ${quote(process.execPath)} ${quote(STAND_IN)} "$@"\n`);
  chmodSync(binary, 0o755);
  return { dir, binary, record };
};
