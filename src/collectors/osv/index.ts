import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Severity } from '../../engine/types.js';
import { describeAjvError } from '../../facts/documents.js';
import { createRedactor, type Redactor } from '../../util/redact.js';
import type { CollectContext, Collector, CollectorOutput } from '../types.js';
import { osvMeta } from './meta.js';
import { toResources } from './parse.js';
import { createOsvValidators, type OsvOutput } from './schema.js';
import { childEnv, locateBinary, readVersion, runScan, scanArguments } from './scanner.js';

/** posture.yaml `osv:` (schemas/config/osv.schema.json). */
export type OsvConfig = {
  binary?: string;
  offline?: boolean;
  downloadDatabases?: boolean;
  timeoutMs?: number;
  unratedSeverity?: Severity;
  maxOutputBytes?: number;
};

export const DEFAULT_OSV_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

export const INSTALL_HINT =
  'install osv-scanner (https://google.github.io/osv-scanner/installation/: a release binary, `brew install osv-scanner` or `go install github.com/google/osv-scanner/v2/cmd/osv-scanner@latest`) or point --osv-scanner at it';

/** How much of osv-scanner's stderr goes into a coverage gap: its last lines, where the error is. */
const STDERR_TAIL_LINES = 12;
const STDERR_TAIL_CHARS = 2000;

const isRedactor = (value: unknown): value is Redactor => typeof value === 'object' && value !== null && typeof (value as Redactor).redact === 'function';

/** The scan's redactor when the CLI provides one, else one for posture's own tokens. */
const redactorFor = (ctx: CollectContext): Redactor => ('redactor' in ctx && isRedactor(ctx.redactor) ? ctx.redactor : createRedactor({ env: ctx.env }));

const tail = (stderr: string, redactor: Redactor): string => {
  const lines = stderr.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l !== '');
  const text = lines.slice(-STDERR_TAIL_LINES).join(' | ');
  return redactor.redact(text.length > STDERR_TAIL_CHARS ? `...${text.slice(-STDERR_TAIL_CHARS)}` : text) || '(nothing on stderr)';
};

const stringOption = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Known vulnerabilities of the packages in a tree's lockfiles, from the osv-scanner binary. */
export const osvCollector: Collector = {
  ...osvMeta,
  collect: async (ctx): Promise<CollectorOutput> => {
    const config: OsvConfig = ctx.config.osv ?? {};
    const redactor = redactorFor(ctx);
    const explicit = stringOption(ctx.options.osvScanner) ?? config.binary;
    const located = locateBinary(explicit, ctx.env);
    if ('missing' in located) {
      if (located.explicit) {
        const reason = `osv-scanner not found or not executable at ${located.missing}`;
        return { status: 'failed', resources: [], gaps: [{ resource: ctx.treeId, attributes: ['*'], reason }], reason };
      }
      return { status: 'skipped', resources: [], reason: `osv-scanner is not on PATH; ${INSTALL_HINT}`, notes: [INSTALL_HINT] };
    }
    const env = childEnv(ctx.env);
    const started = performance.now();
    const version = await readVersion(located.binary, env, ctx.signal);
    ctx.calls.record('osv-scanner --version', { ms: performance.now() - started, error: 'error' in version });
    if ('error' in version) {
      const reason = redactor.redact(version.error);
      return { status: 'failed', resources: [], gaps: [{ resource: ctx.treeId, attributes: ['*'], reason }], reason, endpoint: located.binary };
    }
    const offline = ctx.options.osvOffline === true || config.offline === true;
    const args = scanArguments(version.major, ctx.root, { offline, downloadDatabases: config.downloadDatabases === true });
    const timeoutMs = config.timeoutMs ?? Math.max(ctx.limits.timeoutMs, DEFAULT_OSV_TIMEOUT_MS);
    const endpoint = `${located.binary} (osv-scanner ${version.version})`;
    const notes = [
      `osv-scanner ${version.version}${version.detail ? ` (${version.detail})` : ''}${version.guessed ? '; version not recognised, ran the v2 command line' : ''}`,
      `ran: osv-scanner ${args.join(' ')}`,
      ...(offline ? ['offline: vulnerabilities matched against the local databases only'] : []),
    ];
    const gap = (reason: string): CollectorOutput => ({
      status: 'failed',
      resources: [],
      gaps: [{ resource: ctx.treeId, attributes: ['*'], reason }],
      reason,
      notes,
      endpoint,
    });

    const scratch = mkdtempSync(path.join(os.tmpdir(), 'posture-osv-'));
    try {
      const stdoutFile = path.join(scratch, 'osv-scanner.json');
      const scanStarted = performance.now();
      const outcome = await runScan({ binary: located.binary, args, env, cwd: ctx.root, stdoutFile, timeoutMs, signal: ctx.signal });
      ctx.calls.record('osv-scanner scan', { ms: performance.now() - scanStarted, error: !(outcome.kind === 'exited' && [0, 1, 128].includes(outcome.exitCode)) });
      switch (outcome.kind) {
        case 'timeout':
          return gap(`osv-scanner did not finish within ${timeoutMs} ms and was stopped; raise osv.timeoutMs (stderr: ${tail(outcome.stderr, redactor)})`);
        case 'cancelled':
          return gap('the scan was cancelled while osv-scanner was running');
        case 'signal':
          return gap(`osv-scanner was killed by ${outcome.signal} (stderr: ${tail(outcome.stderr, redactor)})`);
        case 'spawn-failed':
          return gap(`cannot run ${located.binary} (${outcome.code})`);
        case 'exited':
          break;
      }
      if (outcome.exitCode === 128) {
        // osv-scanner's documented "no packages found": nothing to scan is a complete answer.
        return { status: 'complete', resources: [], notes: [...notes, 'osv-scanner found no lockfiles or manifests to scan (exit 128)'], endpoint };
      }
      if (outcome.exitCode !== 0 && outcome.exitCode !== 1) {
        const meaning = outcome.exitCode === 127 ? 'general error' : outcome.exitCode < 127 ? 'an error with the vulnerability results' : 'an error';
        return gap(`osv-scanner exited with ${outcome.exitCode} (${meaning}): ${tail(outcome.stderr, redactor)}`);
      }

      const size = statSync(stdoutFile).size;
      const maxOutputBytes = config.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
      if (size > maxOutputBytes) return gap(`osv-scanner's report is ${size} bytes, more than osv.maxOutputBytes (${maxOutputBytes}); it was not read`);
      let output: unknown;
      try {
        output = JSON.parse(readFileSync(stdoutFile, 'utf8'));
      } catch (error) {
        return gap(`osv-scanner exited with ${outcome.exitCode} but its output is not JSON (${(error as Error).message.slice(0, 200)})`);
      }
      const validators = createOsvValidators();
      if (!validators.output(output)) {
        const first = validators.output.errors?.[0];
        return gap(`osv-scanner's output does not have the expected shape (${first ? describeAjvError(first) : 'invalid'})`);
      }
      const parsed = toResources({
        output: output satisfies OsvOutput,
        validators,
        root: ctx.root,
        treeId: ctx.treeId,
        excludes: ctx.excludes,
        unratedSeverity: config.unratedSeverity ?? 'high',
      });
      const vulnerable = parsed.resources.filter((r) => Array.isArray(r.attributes.vulnerabilities) && r.attributes.vulnerabilities.length > 0).length;
      return {
        resources: parsed.resources,
        gaps: parsed.gaps,
        notes: [...notes, ...parsed.notes, `${parsed.resources.length} packages reported, ${vulnerable} with known vulnerabilities (exit ${outcome.exitCode})`],
        excluded: parsed.excluded,
        endpoint,
      };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
