import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

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

/**
 * Runs the CLI in this process (quicker than a child, and it sees the fakes' process environment),
 * capturing what it writes to stderr.
 */
export const runInProcess = async (args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; stderr: string }> => {
  const original = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(args, env, cwd), stderr };
  } finally {
    process.stderr.write = original;
  }
};
