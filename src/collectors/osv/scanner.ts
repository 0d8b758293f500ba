import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

/**
 * The environment osv-scanner runs with: what it needs to find itself, its cache and offline
 * databases, and a proxy with its certificates. Nothing else: posture's cloud credentials and
 * tokens (AWS_*, GITHUB_TOKEN, POSTURE_*) never reach it.
 */
export const CHILD_ENV_ALLOW_LIST = [
  'PATH',
  'HOME',
  'USERPROFILE',
  'SYSTEMROOT',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LC_ALL',
  'XDG_CACHE_HOME',
  'LOCALAPPDATA',
  'OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
] as const;

/** The child's environment, taken from posture's by the allow-list. */
export const childEnv = (env: NodeJS.ProcessEnv): Record<string, string> => {
  const allowed: Record<string, string> = {};
  for (const name of CHILD_ENV_ALLOW_LIST) {
    const value = env[name];
    if (value !== undefined) allowed[name] = value;
  }
  return allowed;
};

const isExecutableFile = (file: string): boolean => {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Looks a program up on a PATH, as a shell would. */
export const findOnPath = (name: string, pathVariable: string | undefined): string | undefined => {
  const extensions = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = path.join(dir, `${name}${ext}`);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
};

export type Located = { binary: string } | { missing: string; explicit: boolean };

/** The osv-scanner binary: the one named by --osv-scanner or osv.binary, else the first on PATH. */
export const locateBinary = (explicit: string | undefined, env: NodeJS.ProcessEnv): Located => {
  if (explicit) {
    const resolved = path.resolve(explicit);
    return isExecutableFile(resolved) ? { binary: resolved } : { missing: resolved, explicit: true };
  }
  const found = findOnPath('osv-scanner', env.PATH);
  return found ? { binary: found } : { missing: 'osv-scanner', explicit: false };
};

export type ScannerVersion = { major: 1 | 2; version: string; detail: string; guessed: boolean };

/**
 * Reads `osv-scanner --version` ("osv-scanner version: 2.2.2", then commit and build date, on
 * stdout or stderr depending on the release). An unreadable answer is taken for the current
 * major version, 2, and says so.
 */
export const readVersion = async (
  binary: string,
  env: Record<string, string>,
  signal: AbortSignal,
): Promise<ScannerVersion | { error: string }> => {
  const result = await execa(binary, ['--version'], { env, extendEnv: false, reject: false, timeout: 15_000, cancelSignal: signal, stdin: 'ignore', maxBuffer: 64 * 1024 });
  if (result.failed && result.exitCode === undefined) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    return { error: result.timedOut ? 'osv-scanner --version did not answer within 15 s' : `cannot run ${binary} (${code ?? result.signal ?? 'error'})` };
  }
  const text = `${String(result.stdout ?? '')}\n${String(result.stderr ?? '')}`;
  const version = /osv-scanner version:\s*v?(\d+)\.(\d+)\.(\d+)([^\s]*)/i.exec(text);
  const detail = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(?:osv-scanner version|commit|built at):/i.test(l))
    .join('; ');
  if (!version) return { major: 2, version: 'unknown', detail: detail || 'no version in the answer to --version', guessed: true };
  const major = Number(version[1]);
  return { major: major <= 1 ? 1 : 2, version: `${version[1]}.${version[2]}.${version[3]}${version[4] ?? ''}`, detail, guessed: false };
};

/**
 * The command line for a scan of a directory. v2: `scan source --format json --recursive PATH`
 * (offline: `--offline-vulnerabilities`, and `--download-offline-databases` to fetch them);
 * v1: `--format json -r PATH` (`--experimental-offline`, `--experimental-download-offline-databases`).
 * Both read the offline databases from OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY.
 */
export const scanArguments = (major: 1 | 2, root: string, options: { offline: boolean; downloadDatabases: boolean }): string[] =>
  major === 2
    ? [
        'scan',
        'source',
        '--format',
        'json',
        ...(options.offline ? ['--offline-vulnerabilities'] : []),
        ...(options.offline && options.downloadDatabases ? ['--download-offline-databases'] : []),
        '--recursive',
        root,
      ]
    : [
        '--format',
        'json',
        ...(options.offline ? ['--experimental-offline'] : []),
        ...(options.offline && options.downloadDatabases ? ['--experimental-download-offline-databases'] : []),
        '-r',
        root,
      ];

export type RunOutcome =
  | { kind: 'exited'; exitCode: number; stderr: string }
  | { kind: 'timeout'; stderr: string }
  | { kind: 'cancelled' }
  | { kind: 'signal'; signal: string; stderr: string }
  | { kind: 'spawn-failed'; code: string };

/**
 * Runs the scan with stdout going straight to a file: a large report is written to disk by the
 * child and read once afterwards, instead of being buffered by the pipe and then copied again.
 */
export const runScan = async (options: {
  binary: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  stdoutFile: string;
  timeoutMs: number;
  signal: AbortSignal;
}): Promise<RunOutcome> => {
  const result = await execa(options.binary, options.args, {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    reject: false,
    stdin: 'ignore',
    stdout: { file: options.stdoutFile },
    timeout: options.timeoutMs,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: 5_000,
    cancelSignal: options.signal,
    // osv-scanner reports progress on stderr; keep plenty, since reaching the limit stops the child.
    maxBuffer: { stderr: 16 * 1024 * 1024 },
  });
  const stderr = String(result.stderr ?? '');
  if (result.timedOut) return { kind: 'timeout', stderr };
  if (result.isCanceled) return { kind: 'cancelled' };
  if (result.exitCode === undefined) {
    if (result.signal) return { kind: 'signal', signal: result.signal, stderr };
    return { kind: 'spawn-failed', code: (result.cause as NodeJS.ErrnoException | undefined)?.code ?? 'error' };
  }
  return { kind: 'exited', exitCode: result.exitCode, stderr };
};
