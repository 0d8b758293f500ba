import { MultiBar, type SingleBar } from 'cli-progress';
import type { CollectorId, SourceStatus } from '../facts/types.js';
import type { CollectProgress } from '../collectors/types.js';

/** A progress display on stderr: one line per source with its resources and calls. */
export type ProgressDisplay = {
  source: (id: CollectorId) => CollectProgress;
  done: (id: CollectorId, status: SourceStatus) => void;
  /** Draws the final state and releases the terminal. */
  stop: () => void;
};

/**
 * Whether to show progress: `--progress` and `--no-progress` decide; otherwise only on a terminal,
 * and never in CI, where the redrawn lines would clutter the job log.
 */
export const progressWanted = (flag: boolean | undefined, env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): boolean => {
  if (flag !== undefined) return flag;
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return Boolean(stream.isTTY) && !ci;
};

/** Builds the display over `stream` (stderr). Lines are redrawn at most `fps` times a second. */
export const createProgressDisplay = (stream: NodeJS.WritableStream & { isTTY?: boolean }, options: { fps?: number } = {}): ProgressDisplay => {
  const bars = new MultiBar({
    format: '{source} {state} | {resources} resources | {calls} calls',
    stream,
    fps: options.fps ?? 10,
    hideCursor: true,
    clearOnComplete: false,
    // Forced on (--progress) without a terminal: print the lines now and then instead of redrawing.
    noTTYOutput: !stream.isTTY,
    notTTYSchedule: 5000,
    emptyOnZero: true,
  });
  const lines = new Map<CollectorId, { bar: SingleBar; resources: number; calls: number }>();
  const width = 12;
  const payload = (id: CollectorId, state: string, line: { resources: number; calls: number }) => ({
    source: id.padEnd(width),
    state: state.padEnd(9),
    resources: line.resources,
    calls: line.calls,
  });
  return {
    source: (id) => {
      const line = { bar: bars.create(0, 0, payload(id, 'running', { resources: 0, calls: 0 })), resources: 0, calls: 0 };
      lines.set(id, line);
      return {
        resources: (n) => {
          line.resources = n;
          line.bar.update(payload(id, 'running', line));
        },
        call: () => {
          line.calls++;
          line.bar.update(payload(id, 'running', line));
        },
      };
    },
    done: (id, status) => {
      const line = lines.get(id);
      if (line) line.bar.update(payload(id, status, line));
    },
    stop: () => bars.stop(),
  };
};
