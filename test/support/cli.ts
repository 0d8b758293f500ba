import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/posture.js', import.meta.url));

/** Runs the built CLI (`npm test` builds it first) as a user would, and never throws. */
export const runCli = async (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) => {
  const result = await execa('node', [bin, ...args], {
    cwd: options.cwd,
    env: { ...options.env, NO_COLOR: '1' },
    reject: false,
    timeout: 60_000,
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
};
