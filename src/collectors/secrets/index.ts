import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import type { CoverageGap, Resource } from '../../facts/types.js';
import { looksBinary } from '../../util/tree.js';
import { createRedactor, loadFingerprintKey, type Redactor } from '../../util/redact.js';
import type { CollectContext, Collector, CollectorOutput } from '../types.js';
import { secretsMeta } from './meta.js';
import { detectorOf, dismissal, previewOf, SEVERITY_BY_TYPE, typeOf, valueRange, type SecretType } from './classify.js';
import { isGenericMatch, secretlintConfig, settingsOf } from './config.js';
import { listSourceFiles } from './files.js';
import { findKeyMaterial, keyFileKind, type KeyFileFormat } from './key-files.js';
import { createSecretScanner } from './pool.js';

/** One place a secret occurs. */
type Occurrence = { line: number; column?: number };

/** A secret found in one file: the same value twice in a file is one resource with two places. */
type Found = {
  path: string;
  type: SecretType;
  fingerprint: string;
  preview: string;
  detector: string;
  keyFile: { format: KeyFileFormat; bytes: number } | null;
  occurrences: Occurrence[];
};

const isRedactor = (value: unknown): value is Redactor =>
  typeof value === 'object' && value !== null && typeof (value as Redactor).add === 'function' && typeof (value as Redactor).fingerprint === 'function';

/**
 * The scan's redactor when the CLI provides one in the context (so that detected values are
 * replaced in every log line and report), else one made here with the tree's fingerprint key.
 */
const redactorFor = (ctx: CollectContext): Redactor => {
  if ('redactor' in ctx && isRedactor(ctx.redactor)) return ctx.redactor;
  const key = loadFingerprintKey({ env: ctx.env, root: ctx.root });
  if (key.warning) ctx.logger.warn(key.warning);
  return createRedactor({ env: ctx.env, key: key.key });
};

/** Offsets of line starts, to turn a range into a line and column. */
const lineIndex = (text: string): number[] => {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
};

const positionOf = (starts: number[], offset: number): Occurrence => {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] as number) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (starts[low] as number) + 1 };
};

const overlaps = (a: [number, number], b: [number, number]): boolean => a[0] < b[1] && b[0] < a[1];

const HISTORY_NOTE =
  'git history is not scanned: a secret removed in a later commit is still in the repository history (scan it with gitleaks or trufflehog, rotate the secret, then rewrite history)';

/** Hard-coded credentials and committed key files in a source tree. */
export const secretsCollector: Collector = {
  ...secretsMeta,
  collect: async (ctx): Promise<CollectorOutput> => {
    const settings = settingsOf(ctx);
    const redactor = redactorFor(ctx);
    const listing = await listSourceFiles({ root: ctx.root, excludes: ctx.excludes, env: ctx.env, signal: ctx.signal, record: ctx.calls.record });
    const gaps: CoverageGap[] = listing.unreadable.map((u) => ({
      resource: `${ctx.treeId}/${u.path}`,
      attributes: ['*'],
      reason: `not scanned: cannot read (${u.reason})`,
      permission: 'file read',
    }));
    const excluded = [...listing.excluded];
    const found = new Map<string, Found>();
    const dismissed = new Map<string, number>();
    let scanned = 0;
    let binary = 0;
    let tooLarge = 0;
    let cancelled = 0;

    const record = (
      path: string,
      value: string,
      type: SecretType,
      detector: string,
      at: Occurrence,
      keyFile: { format: KeyFileFormat; bytes: number; preview: string } | null = null,
    ): void => {
      const fingerprint = redactor.fingerprint(value);
      // A binary keystore's bytes never turn up in a log line; its base64 is not worth matching.
      if (!keyFile || (keyFile.format !== 'pkcs12' && keyFile.format !== 'java-keystore')) redactor.add(value, type);
      const key = `${path}\0${type}\0${fingerprint}`;
      const preview = keyFile?.preview ?? previewOf(value, type);
      const entry = found.get(key) ?? { path, type, fingerprint, preview, detector, keyFile: keyFile && { format: keyFile.format, bytes: keyFile.bytes }, occurrences: [] };
      if (!entry.occurrences.some((o) => o.line === at.line && o.column === at.column)) entry.occurrences.push(at);
      found.set(key, entry);
    };

    const scanner = createSecretScanner({ config: secretlintConfig(settings), concurrency: settings.workers, timeoutPerFileMs: settings.timeoutPerFileMs });
    const limit = pLimit(Math.max(1, settings.workers) * 2);
    try {
      try {
        await scanner.warmUp();
      } catch (error) {
        const reason = `secretlint could not be started: ${redactor.redact(error instanceof Error ? error.message : String(error))}`;
        return { status: 'failed', resources: [], gaps: [{ resource: ctx.treeId, attributes: ['*'], reason }], reason };
      }
      await Promise.all(
        listing.files.map((file) =>
          limit(async () => {
            if (ctx.signal.aborted) {
              cancelled++;
              return;
            }
            if (file.size > settings.maxFileBytes) {
              tooLarge++;
              excluded.push(file.path);
              return;
            }
            let buffer: Buffer;
            try {
              buffer = readFileSync(file.absolute);
            } catch (error) {
              gaps.push({ resource: `${ctx.treeId}/${file.path}`, attributes: ['*'], reason: `not scanned: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, permission: 'file read' });
              return;
            }
            const keyKind = keyFileKind(file.path);
            const keyHits = keyKind ? findKeyMaterial(file.path, buffer) : [];
            for (const hit of keyHits) {
              const value = typeof hit.value === 'string' ? hit.value : hit.value.toString('base64');
              record(file.path, value, 'key-file', `posture:key-file#${hit.format}`, { line: hit.line, ...(hit.column ? { column: hit.column } : {}) }, {
                format: hit.format,
                bytes: typeof hit.value === 'string' ? Buffer.byteLength(hit.value) : hit.value.length,
                preview: hit.preview,
              });
            }
            if (looksBinary(buffer)) {
              binary++;
              return;
            }
            const content = buffer.toString('utf8');
            const outcome = await scanner.scan(file.absolute, content);
            scanned++;
            if (outcome.status === 'timeout') {
              gaps.push({
                resource: `${ctx.treeId}/${file.path}`,
                attributes: ['*'],
                reason: `secretlint did not finish this file within ${settings.timeoutPerFileMs} ms and was stopped; the file is not known to be free of secrets`,
              });
              return;
            }
            if (outcome.status === 'error') {
              gaps.push({ resource: `${ctx.treeId}/${file.path}`, attributes: ['*'], reason: redactor.redact(outcome.reason) });
              return;
            }
            const starts = lineIndex(content);
            const taken: [number, number][] = keyHits.flatMap((hit) => (hit.range ? [hit.range] : []));
            // The pattern rule carries both the generic detector and the organisation's patterns.
            const refine = (type: SecretType | null, range: [number, number] | undefined): SecretType | null =>
              type === 'generic-credential' && range && !(settings.generic && isGenericMatch(content, range)) ? 'secret' : type;
            const candidates = outcome.messages
              .map((message) => {
                const range = valueRange(content, message);
                return { message, type: refine(typeOf(message), range), range };
              })
              .filter((c): c is { message: typeof c.message; type: SecretType; range: [number, number] } => c.type !== null && c.range !== undefined)
              // Specific detectors first, so that the generic one does not report their matches again.
              .sort((a, b) => Number(a.type === 'generic-credential') - Number(b.type === 'generic-credential') || a.range[0] - b.range[0]);
            for (const { message, type, range } of candidates) {
              if (taken.some((t) => overlaps(t, range))) continue;
              const value = content.slice(range[0], range[1]);
              const why = dismissal(value, type, settings.allow);
              if (why) {
                dismissed.set(why, (dismissed.get(why) ?? 0) + 1);
                continue;
              }
              taken.push(range);
              record(file.path, value, type, type === 'secret' && message.ruleId.endsWith('-pattern') ? 'secretlint:pattern#secrets.patterns' : detectorOf(message), positionOf(starts, range[0]));
            }
          }),
        ),
      );
    } finally {
      await scanner.close();
    }
    if (cancelled > 0) gaps.push({ resource: ctx.treeId, attributes: ['*'], reason: `the scan was cancelled before ${cancelled} files were scanned` });

    const resources: Resource[] = [...found.values()]
      .sort((a, b) => a.path.localeCompare(b.path) || (a.occurrences[0]?.line ?? 0) - (b.occurrences[0]?.line ?? 0) || a.type.localeCompare(b.type))
      .map((entry) => {
        const occurrences = [...entry.occurrences].sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
        const first = occurrences[0];
        return {
          kind: 'source.secret',
          id: `${ctx.treeId}/${entry.path}#${entry.type}:${entry.fingerprint.slice(0, 8)}`,
          name: entry.keyFile ? `${entry.path} (${entry.keyFile.format})` : `${entry.type} in ${entry.path}`,
          source: 'secrets',
          scope: { tree: ctx.treeId },
          location: { path: entry.path, ...(first ? { line: first.line } : {}) },
          discriminator: entry.fingerprint,
          attributes: {
            type: entry.type,
            // A registry token in .npmrc publishes packages; a private key or keystore is worse.
            severity: entry.keyFile?.format === 'npmrc-auth-token' ? 'high' : SEVERITY_BY_TYPE[entry.type],
            fingerprint: entry.fingerprint,
            preview: entry.preview,
            detector: entry.detector,
            keyFile: entry.keyFile,
            occurrences: occurrences.map((o) => ({ ...o, type: entry.type, preview: entry.preview })),
          },
        } satisfies Resource;
      });

    const notes = [
      listing.mode === 'git'
        ? `scanned the ${listing.files.length} files git tracks (a committed file that is now ignored is still scanned)`
        : `git could not list tracked files (${listing.gitReason ?? 'unknown reason'}): scanned the ${listing.files.length} files on disk that .gitignore does not ignore`,
      HISTORY_NOTE,
      ...(binary > 0 ? [`${binary} binary files were not scanned for text secrets (key files among them are still reported by name)`] : []),
      ...(tooLarge > 0 ? [`${tooLarge} files larger than ${settings.maxFileBytes} bytes were not scanned (listed as excluded)`] : []),
      ...[...dismissed.entries()].sort().map(([why, count]) => `${count} detected values dismissed: ${why}`),
      `${scanned} files checked by secretlint; ${resources.length} secrets found`,
    ];
    return { resources, gaps, notes, excluded: [...new Set(excluded)].sort(), endpoint: 'secretlint (preset-recommend + generic credential pattern)' };
  },
};
