import { GenerateCredentialReportCommand, GetCredentialReportCommand, type IAMClient } from '@aws-sdk/client-iam';
import { parse } from 'csv-parse/sync';
import type { AwsFailure } from '../../aws/errors.js';
import type { AwsSession } from '../../aws/session.js';

/** One row of the credential report, keyed by the column names AWS documents. */
export type ReportRow = Record<string, string>;

export type CredentialReport = { generatedAt: string; rows: ReportRow[] };

export type ReportOutcome = { ok: true; report: CredentialReport; notes: string[] } | { ok: false; failure: AwsFailure; notes: string[] };

/** The columns posture reads; a report without them is not one it understands. */
const REQUIRED_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
];

/** Parses the report's CSV; throws when it lacks a column posture relies on. */
export const parseCredentialReport = (csv: string): ReportRow[] => {
  const rows = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as ReportRow[];
  const header = parse(csv, { to_line: 1, bom: true }) as string[][];
  const missing = REQUIRED_COLUMNS.filter((c) => !(header[0] ?? []).includes(c));
  if (missing.length > 0) throw new Error(`credential report lacks the column(s) ${missing.join(', ')}`);
  return rows;
};

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

const isCode = (failure: AwsFailure, ...codes: string[]): boolean => codes.some((c) => failure.code === c || failure.code === `${c}Exception`);

/**
 * Asks IAM for a credential report and downloads it. GenerateCredentialReport is repeated until
 * it says COMPLETE, within `maxWaitMs` (AWS's documented way to wait for a report); when
 * posture may not request a report, an existing one (up to four hours old) is still used.
 */
export const fetchCredentialReport = async (
  session: AwsSession,
  iam: IAMClient,
  options: { pollIntervalMs: number; maxWaitMs: number; signal: AbortSignal },
): Promise<ReportOutcome> => {
  const notes: string[] = [];
  const deadline = Date.now() + options.maxWaitMs;
  let generateFailure: AwsFailure | undefined;
  let notReady = false;
  for (;;) {
    const generated = await session.call('iam', 'GenerateCredentialReport', () => iam.send(new GenerateCredentialReportCommand({})));
    if (!generated.ok) {
      generateFailure = generated.failure;
      break;
    }
    if (generated.value.State === 'COMPLETE') break;
    if (Date.now() + options.pollIntervalMs > deadline) {
      notReady = true;
      break;
    }
    try {
      await sleep(options.pollIntervalMs, options.signal);
    } catch {
      // Cancelled (the scan's deadline) while IAM was still generating: the report's attributes are gaps.
      return { ok: false, failure: { reason: 'Aborted', code: 'AbortError', message: 'the scan was cancelled while IAM was generating the credential report' }, notes };
    }
  }
  const got = await session.call('iam', 'GetCredentialReport', () => iam.send(new GetCredentialReportCommand({})));
  if (!got.ok) {
    if (isCode(got.failure, 'ReportInProgress', 'CredentialReportNotReady') || (notReady && isCode(got.failure, 'ReportNotPresent', 'CredentialReportNotPresent'))) {
      return {
        ok: false,
        failure: { reason: 'NotReady', code: got.failure.code, message: `the credential report was not ready within ${Math.round(options.maxWaitMs / 1000)} s` },
        notes,
      };
    }
    if (generateFailure && isCode(got.failure, 'ReportNotPresent', 'CredentialReportNotPresent', 'ReportExpired', 'CredentialReportExpired')) return { ok: false, failure: generateFailure, notes };
    return { ok: false, failure: got.failure, notes };
  }
  const content = got.value.Content;
  const generatedAt = got.value.GeneratedTime?.toISOString();
  if (!content || !generatedAt) return { ok: false, failure: { reason: 'Unparseable', code: 'EmptyReport', message: 'GetCredentialReport returned no content' }, notes };
  if (generateFailure) {
    notes.push(`could not request a fresh credential report (${generateFailure.reason}${generateFailure.permission ? `, needs ${generateFailure.permission}` : ''}); used the report generated at ${generatedAt}`);
  }
  try {
    const rows = parseCredentialReport(Buffer.from(content).toString('utf8'));
    return { ok: true, report: { generatedAt, rows }, notes };
  } catch (error) {
    return { ok: false, failure: { reason: 'Unparseable', code: 'Unparseable', message: (error as Error).message }, notes };
  }
};

const SPECIAL = new Set(['N/A', 'no_information', 'not_supported']);

/** A timestamp column's value: an ISO date-time, or one of the report's special values kept as written. */
export const isTimestamp = (value: string | undefined): value is string => value !== undefined && !SPECIAL.has(value) && !Number.isNaN(Date.parse(value));

/** `true`/`false` (either case) as booleans; special values such as `not_supported` stay strings. */
export const reportBoolean = (value: string | undefined): boolean | string => {
  const lower = (value ?? '').toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : (value ?? 'N/A');
};

export type AccessKeyFacts = {
  slot: 1 | 2;
  active: boolean;
  lastRotated: string;
  lastUsed: string;
  lastUsedService: string;
  lastUsedRegion: string;
};

export type ActiveCredential = { credential: 'password' | 'access_key_1' | 'access_key_2'; lastUsed: string; lastActivity: string; neverUsed: boolean };

/** The access keys a row shows: a slot counts when its key is active or has a rotation date. */
export const accessKeysOf = (row: ReportRow): AccessKeyFacts[] =>
  ([1, 2] as const).flatMap((slot) => {
    const active = reportBoolean(row[`access_key_${slot}_active`]) === true;
    const lastRotated = row[`access_key_${slot}_last_rotated`] ?? 'N/A';
    if (!active && !isTimestamp(lastRotated)) return [];
    return [
      {
        slot,
        active,
        lastRotated,
        lastUsed: row[`access_key_${slot}_last_used_date`] ?? 'N/A',
        lastUsedService: row[`access_key_${slot}_last_used_service`] ?? 'N/A',
        lastUsedRegion: row[`access_key_${slot}_last_used_region`] ?? 'N/A',
      },
    ];
  });

/**
 * The credentials of a row that can be used now, with the moment each was last used or, never
 * used, issued (the password's last change, the key's rotation, else the user's creation): a
 * credential created yesterday and not used yet is not "unused for 45 days".
 */
export const activeCredentialsOf = (row: ReportRow): ActiveCredential[] => {
  const created = row.user_creation_time ?? 'N/A';
  const out: ActiveCredential[] = [];
  if (reportBoolean(row.password_enabled) === true) {
    const lastUsed = row.password_last_used ?? 'N/A';
    const issued = isTimestamp(row.password_last_changed) ? row.password_last_changed : created;
    out.push({ credential: 'password', lastUsed, lastActivity: isTimestamp(lastUsed) ? lastUsed : issued, neverUsed: !isTimestamp(lastUsed) });
  }
  for (const key of accessKeysOf(row)) {
    if (!key.active) continue;
    const issued = isTimestamp(key.lastRotated) ? key.lastRotated : created;
    out.push({ credential: `access_key_${key.slot}`, lastUsed: key.lastUsed, lastActivity: isTimestamp(key.lastUsed) ? key.lastUsed : issued, neverUsed: !isTimestamp(key.lastUsed) });
  }
  return out;
};
