import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * The one redactor. A scan creates it once, from posture's own tokens in the environment and the
 * fingerprint key; the secrets collector registers every value it detects; the logger and every
 * reporter pass their strings through it. A secret is replaced by `[secret:<type>:<first 8 of
 * its fingerprint>]`, so two mentions of the same secret read the same and can be matched against
 * the `source.secret` finding without the value ever being printed.
 */
export type Redactor = {
  /** Replaces every known and every recognisable secret in a string. */
  redact: (text: string) => string;
  /** A copy of a JSON-like value with every string (keys included) redacted. */
  redactDeep: <T>(value: T) => T;
  /**
   * For a document too large to hold, redacted a part at a time: shown every part first, it
   * registers the secret access keys that the document pairs across parts, as redactDeep of the
   * whole document would. After `commit`, redactDeep of each part gives what redactDeep of the
   * whole gave for that part.
   */
  learnPairs: () => { see: (value: unknown) => void; commit: () => void };
  /** Registers a detected secret; returns the marker that replaces it. Short values are not registered. */
  add: (value: string, type: string) => string;
  /** The keyed fingerprint of a value: hex HMAC-SHA256 with the scan's fingerprint key. */
  fingerprint: (value: string) => string;
  /** The marker that replaces a value of a type. */
  marker: (value: string, type: string) => string;
};

export type RedactorOptions = {
  /** posture's environment: the values of the tokens posture itself was given are secrets. */
  env?: NodeJS.ProcessEnv;
  /** Secrets already known (from an earlier stage). */
  secrets?: Iterable<{ value: string; type: string }>;
  /** The HMAC key; without one, a random key for this process (markers then differ between runs). */
  key?: Buffer | string;
};

/** Values shorter than this are not registered: replacing them would mangle ordinary words. */
export const MIN_SECRET_LENGTH = 6;

/** Environment variables whose values posture must never print, with the type their marker names. */
export const TOKEN_ENV_VARS: Readonly<Record<string, string>> = {
  POSTURE_GITHUB_TOKEN: 'github-token',
  GITHUB_TOKEN: 'github-token',
  GH_TOKEN: 'github-token',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-access-key',
  AWS_SESSION_TOKEN: 'aws-session-token',
  POSTURE_FINGERPRINT_KEY: 'fingerprint-key',
};

/** Documented example values (AWS's own documentation): public, never findings, never replaced. */
export const isDocumentedExample = (value: string): boolean => /EXAMPLE(?:KEY)?$/.test(value);

const AWS_KEY_ID = /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g;
/** A 40-character AWS secret access key shape: base64 alphabet, mixed case. */
const AWS_SECRET_SHAPE = /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]*[a-z])(?=[A-Za-z0-9/+=]*[A-Z0-9])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/g;
/** The same shapes for a single test, and the secret key shape with both cases (not a hex digest). */
const AWS_KEY_ID_ONE = new RegExp(AWS_KEY_ID.source);
const MIXED_CASE_SECRET_SHAPE = /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]*[a-z])(?=[A-Za-z0-9/+=]*[A-Z])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/g;
const SECRET_KEY_NAME = /secret_?access_?key/i;
/** A cheap first test: 40 characters of the secret key alphabet in a row. */
const SECRET_RUN = /[A-Za-z0-9/+=]{40}/;
const HAS_UPPER = /[A-Z]/;
const HAS_LOWER = /[a-z]/;
/** Strings up to this long are searched for a loose secret key (a tag value, a field, a short line). */
const LOOSE_SECRET_MAX = 160;
/** How far from a key id a secret key is taken to belong to it (a credentials file, a JSON blob). */
const PAIR_WINDOW = 240;

/** `scheme://user:password@` as a forward search: what every URL credential is part of. */
const URL_CREDENTIAL_SHAPE = /:\/\/[^\s/:@]{1,256}:[^\s/@]{1,256}@/;

type GenericPattern = { type: string; pattern: RegExp; group?: number };

/** Token shapes recognised in any string even when no collector reported them. */
const GENERIC_PATTERNS: GenericPattern[] = [
  { type: 'private-key', pattern: /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|[\s\S]*$)/g },
  { type: 'github-token', pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b/g },
  { type: 'github-token', pattern: /\bgithub_pat_[A-Za-z0-9_]{82}\b/g },
  { type: 'slack-token', pattern: /\bxox[abpors]-[A-Za-z0-9-]{10,}/g },
  { type: 'slack-token', pattern: /\bxapp-\d-[A-Za-z0-9-]{10,}/g },
  { type: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { type: 'stripe-key', pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { type: 'aws-secret-access-key', pattern: /(?:aws_?secret_?access_?key|secret_?access_?key|SecretAccessKey)["']?\s*(?::|=>|=)\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi, group: 1 },
  { type: 'aws-access-key-id', pattern: AWS_KEY_ID },
];

/**
 * The password of a URL with credentials: what `/(?<=\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]{1,256}:)[^\s/@]{1,256}(?=@)/gi`
 * matches, found from each `://` in one pass. The lookbehind form tries every position of the
 * text and reads up to 256 characters ahead of each, which made it the redactor's slowest pattern.
 */
export const urlCredentialSpans = (text: string): { start: number; end: number }[] => {
  const spans: { start: number; end: number }[] = [];
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 1)) {
    if (!hasScheme(text, at)) continue;
    // The user name: 1 to 256 characters other than white space, '/', ':' and '@', then ':'.
    let end = at + 3;
    while (end < text.length && !isSpace(text.charCodeAt(end)) && !'/:@'.includes(text.charAt(end))) end++;
    if (end === at + 3 || end - (at + 3) > 256 || text.charAt(end) !== ':') continue;
    // The password: 1 to 256 characters other than white space, '/' and '@', then '@'.
    const start = end + 1;
    end = start;
    while (end < text.length && !isSpace(text.charCodeAt(end)) && !'/@'.includes(text.charAt(end))) end++;
    if (end === start || end - start > 256 || text.charAt(end) !== '@') continue;
    spans.push({ start, end });
  }
  return spans;
};

const isAsciiLetter = (code: number): boolean => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
const isWordChar = (code: number): boolean => isAsciiLetter(code) || (code >= 48 && code <= 57) || code === 95;
const isSchemeChar = (code: number): boolean => isWordChar(code) ? code !== 95 : code === 43 || code === 46 || code === 45;

/** `\b[a-z][a-z0-9+.-]*` (case-insensitive) ends right before `at`. */
const hasScheme = (text: string, at: number): boolean => {
  for (let start = at - 1; start >= 0 && isSchemeChar(text.charCodeAt(start)); start--) {
    if (isAsciiLetter(text.charCodeAt(start)) && (start === 0 || !isWordChar(text.charCodeAt(start - 1)))) return true;
  }
  return false;
};

/**
 * Whether `index` falls inside a URL's host or path (from a `scheme://` to the next space): a run of
 * 40 path characters there (`com/AmazonS3/latest/userguide/ServerLogs` of a documentation link)
 * is an address, not a secret key that a key id elsewhere in the document could pair with.
 */
const insideUrl = (text: string, index: number): boolean => {
  const at = text.lastIndexOf('://', index);
  if (at === -1 || !hasScheme(text, at)) return false;
  for (let i = at + 3; i < index; i++) if (isSpace(text.charCodeAt(i))) return false;
  return true;
};

/** `\s` of a regular expression. */
const isSpace = (code: number): boolean =>
  (code >= 9 && code <= 13) || code === 32 || code === 160 || code === 5760 || (code >= 8192 && code <= 8202) ||
  code === 8232 || code === 8233 || code === 8239 || code === 8287 || code === 12288 || code === 65279;

/**
 * A substring that every match of GENERIC_PATTERNS and of urlCredentialSpans (and every AWS key
 * id, which the pairing below starts from) contains, found in one pass: most strings contain
 * none, and for them the patterns need not run one by one. Case-insensitive only where its
 * pattern is. Keep it in step with the patterns.
 */
const GENERIC_ANCHOR = new RegExp(
  [
    '-----BEGIN',
    'gh[pousr]_',
    'github_pat_',
    'xox[abpors]-',
    'xapp-',
    'npm_',
    'k_(?:live|test)_',
    'A3T|AKIA|ASIA|ABIA|ACCA',
    '[Ss][Ee][Cc][Rr][Ee][Tt]_?[Aa][Cc][Cc][Ee][Ss][Ss]_?[Kk][Ee][Yy]',
    URL_CREDENTIAL_SHAPE.source,
  ].join('|'),
);

type Span = { start: number; end: number; type: string };

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Creates the per-scan redactor. */
export const createRedactor = (options: RedactorOptions = {}): Redactor => {
  const key = options.key ?? randomBytes(32);
  const known = new Map<string, string>();
  let knownPattern: RegExp | undefined;
  let dirty = false;

  const fingerprint = (value: string): string => createHmac('sha256', key).update(value, 'utf8').digest('hex');
  const marker = (value: string, type: string): string => `[secret:${type}:${fingerprint(value).slice(0, 8)}]`;

  const add = (value: string, type: string): string => {
    if (value.length >= MIN_SECRET_LENGTH && !known.has(value)) {
      known.set(value, type);
      dirty = true;
      // The password of a `user:password` credential is a secret on its own wherever it reappears
      // (a tag, a policy, an error message), not only next to its user name.
      const password = /(?:^|\/\/)[^\s:/@]+:([^\s/@]+)(?:@|$)/.exec(value)?.[1];
      if (password && password !== value) add(password, type);
    }
    return marker(value, type);
  };

  for (const [name, type] of Object.entries(TOKEN_ENV_VARS)) {
    const value = options.env?.[name]?.trim();
    if (value) add(value, type);
  }
  for (const secret of options.secrets ?? []) add(secret.value, secret.type);

  /** The pattern of every registered value, longest first (so that a value containing another is replaced whole). */
  const knownValues = (): RegExp => {
    if (dirty || !knownPattern) {
      const values = [...known.keys()].sort((a, b) => b.length - a.length);
      knownPattern = new RegExp(values.map(escapeRegExp).join('|'), 'g');
      dirty = false;
    }
    return knownPattern;
  };

  /** False only for a text that cannot hold a registered value nor a recognisable token. */
  const mayHoldSecret = (text: string): boolean => {
    if (GENERIC_ANCHOR.test(text)) return true;
    if (known.size === 0) return false;
    const pattern = knownValues();
    pattern.lastIndex = 0;
    const found = pattern.test(text);
    // matchAll starts from a global pattern's lastIndex: leave it where knownSpans expects it.
    pattern.lastIndex = 0;
    return found;
  };

  const knownSpans = (text: string): Span[] => {
    if (known.size === 0) return [];
    const knownPattern = knownValues();
    knownPattern.lastIndex = 0;
    const spans: Span[] = [];
    for (const match of text.matchAll(knownPattern)) {
      spans.push({ start: match.index, end: match.index + match[0].length, type: known.get(match[0]) ?? 'secret' });
    }
    return spans;
  };

  const genericSpans = (text: string): Span[] => {
    const spans: Span[] = [];
    if (!GENERIC_ANCHOR.test(text)) return spans;
    for (const { type, pattern, group } of GENERIC_PATTERNS) {
      pattern.lastIndex = 0;
      for (const match of text.matchAll(pattern)) {
        const value = group === undefined ? match[0] : match[group];
        if (!value || isDocumentedExample(value)) continue;
        const start = group === undefined ? match.index : match.index + match[0].lastIndexOf(value);
        spans.push({ start, end: start + value.length, type });
      }
    }
    // After the patterns above, as in the order they were written: the first of two equal spans names the type.
    for (const span of urlCredentialSpans(text)) {
      if (!isDocumentedExample(text.slice(span.start, span.end))) spans.push({ ...span, type: 'url-credential' });
    }
    // A secret access key travels with its key id: take a key-shaped value near one as its pair.
    for (const id of text.matchAll(AWS_KEY_ID)) {
      if (isDocumentedExample(id[0])) continue;
      const from = Math.max(0, id.index - PAIR_WINDOW);
      const window = text.slice(from, Math.min(text.length, id.index + id[0].length + PAIR_WINDOW));
      for (const candidate of window.matchAll(AWS_SECRET_SHAPE)) {
        if (isDocumentedExample(candidate[0])) continue;
        spans.push({ start: from + candidate.index, end: from + candidate.index + 40, type: 'aws-secret-access-key' });
      }
    }
    return spans;
  };

  /** Replaces the secrets of a text that passed mayHoldSecret. */
  const replaceSpans = (text: string): string => {
    const spans = [...knownSpans(text), ...genericSpans(text)].sort((a, b) => a.start - b.start || b.end - a.end);
    if (spans.length === 0) return text;
    let out = '';
    let cursor = 0;
    for (const span of spans) {
      if (span.start < cursor) continue;
      out += text.slice(cursor, span.start) + marker(text.slice(span.start, span.end), span.type);
      cursor = span.end;
    }
    return out + text.slice(cursor);
  };

  const redact = (text: string): string => (text.length < MIN_SECRET_LENGTH || !mayHoldSecret(text) ? text : replaceSpans(text));

  /**
   * A key id and its secret key often sit in separate strings of one document (two tags, two
   * fields): each string alone does not pair them. Secret-key-shaped values of short strings are
   * kept aside, and registered as secrets when the document also holds a key id or names a secret
   * access key. `see` takes each string of the document and tells whether it may hold a secret.
   */
  const createPairFinder = () => {
    let pairing = false;
    const loose = new Set<string>();
    // Only strings that hold a run of the shape are remembered as looked at: a document of a large
    // estate has hundreds of thousands of short strings (fingerprints, messages), and a set of all of
    // them would cost more than testing each again.
    const looked = new Set<string>();
    const see = (input: string): boolean => {
      if (input.length >= 40 && input.length <= LOOSE_SECRET_MAX && HAS_UPPER.test(input) && HAS_LOWER.test(input) && SECRET_RUN.test(input) && !looked.has(input)) {
        looked.add(input);
        for (const match of input.matchAll(MIXED_CASE_SECRET_SHAPE)) if (!isDocumentedExample(match[0]) && !known.has(match[0]) && !insideUrl(input, match.index)) loose.add(match[0]);
      }
      if (input.length < MIN_SECRET_LENGTH || !mayHoldSecret(input)) return false;
      if (!pairing && (AWS_KEY_ID_ONE.test(input) || SECRET_KEY_NAME.test(input))) pairing = true;
      return true;
    };
    /** Registers the paired keys; false when there were none. */
    const commit = (): boolean => {
      if (!pairing || loose.size === 0) return false;
      for (const secret of loose) add(secret, 'aws-secret-access-key');
      return true;
    };
    return { see, commit };
  };

  const redactDeep = <T>(value: T): T => {
    // Documents repeat the same strings many times over (rule titles, kinds, CSF ids, statuses):
    // each distinct string is redacted once per call. The memo lives only as long as the call, so
    // a secret registered later is never missed through a stale entry.
    const memo = new Map<string, string>();
    // When the document pairs keys across strings, they are registered and the document is walked again.
    let pairs: ReturnType<typeof createPairFinder> | undefined = createPairFinder();
    const text = (input: string): string => {
      if (pairs ? !pairs.see(input) : input.length < MIN_SECRET_LENGTH || !mayHoldSecret(input)) return input;
      let out = memo.get(input);
      if (out === undefined) {
        out = replaceSpans(input);
        memo.set(input, out);
      }
      return out;
    };
    // Copy on write: a subtree without anything to redact is returned as it is, so a large
    // document is not held twice in memory only to be serialised. Only the objects that changed
    // are remembered (a shared one then has one copy), and the objects on the current path, to
    // cut a cycle (never in JSON) at its back edge: remembering every object visited would cost
    // more memory than the document's strings.
    const copies = new Map<object, unknown>();
    const path = new Set<object>();
    const visit = (input: unknown): unknown => {
      if (typeof input === 'string') return text(input);
      if (input === null || typeof input !== 'object') return input;
      if (input instanceof Date || path.has(input)) return input;
      const copied = copies.get(input);
      if (copied !== undefined) return copied;
      path.add(input);
      let out: unknown = input;
      if (Array.isArray(input)) {
        let copy: unknown[] | undefined;
        for (let index = 0; index < input.length; index++) {
          const item: unknown = input[index];
          const redacted = visit(item);
          if (copy === undefined && redacted !== item) copy = input.slice(0, index);
          copy?.push(redacted);
        }
        if (copy !== undefined) out = copy;
      } else {
        const keys = Object.keys(input);
        let copy: Record<string, unknown> | undefined;
        for (let index = 0; index < keys.length; index++) {
          const name = keys[index] as string;
          const child = (input as Record<string, unknown>)[name];
          const redactedName = text(name);
          const redacted = visit(child);
          if (copy === undefined && (redactedName !== name || redacted !== child)) {
            copy = {};
            // The members before this one came through unchanged.
            for (let earlier = 0; earlier < index; earlier++) {
              const key = keys[earlier] as string;
              copy[key] = (input as Record<string, unknown>)[key];
            }
          }
          if (copy !== undefined) copy[redactedName] = redacted;
        }
        if (copy !== undefined) out = copy;
      }
      path.delete(input);
      if (out !== input) copies.set(input, out);
      return out;
    };
    const first = visit(value) as T;
    const paired = pairs.commit();
    pairs = undefined;
    if (!paired) return first;
    memo.clear();
    copies.clear();
    return visit(value) as T;
  };

  const learnPairs = () => {
    const pairs = createPairFinder();
    const visit = (input: unknown): void => {
      if (typeof input === 'string') pairs.see(input);
      else if (Array.isArray(input)) for (const item of input) visit(item);
      else if (input !== null && typeof input === 'object' && !(input instanceof Date)) {
        for (const [name, child] of Object.entries(input)) {
          pairs.see(name);
          visit(child);
        }
      }
    };
    return { see: visit, commit: () => void pairs.commit() };
  };

  return { redact, redactDeep, learnPairs, add, fingerprint, marker };
};

/** Where the generated fingerprint key is kept, relative to the scanned root. */
export const FINGERPRINT_KEY_FILE = path.join('.posture', 'fingerprint-key');

export type FingerprintKey = {
  key: Buffer;
  /** `env`: POSTURE_FINGERPRINT_KEY; `file`: read from .posture/; `generated`: written there now; `ephemeral`: this run only. */
  source: 'env' | 'file' | 'generated' | 'ephemeral';
  file?: string;
  /** A message for the log when the key is not from the environment. */
  warning?: string;
};

/**
 * The HMAC key for secret fingerprints. `POSTURE_FINGERPRINT_KEY` wins; else the key kept in
 * `<root>/.posture/fingerprint-key` (the scanned tree, not the working directory, so a tree's
 * fingerprints do not depend on where posture runs from); else a new random key written there,
 * with a `.gitignore` beside it so it is never committed; else, for a read-only tree, a key for
 * this run only. Every case but the first comes with a warning: in CI the key belongs in the
 * secret store, or fingerprints change with every fresh checkout.
 */
export const loadFingerprintKey = (options: { env: NodeJS.ProcessEnv; root: string }): FingerprintKey => {
  const fromEnv = options.env.POSTURE_FINGERPRINT_KEY?.trim();
  if (fromEnv) return { key: Buffer.from(fromEnv, 'utf8'), source: 'env' };
  const file = path.join(options.root, FINGERPRINT_KEY_FILE);
  const read = (): Buffer | undefined => {
    try {
      const text = readFileSync(file, 'utf8').trim();
      return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  };
  const existing = read();
  if (existing) {
    return { key: existing, source: 'file', file, warning: `POSTURE_FINGERPRINT_KEY is not set; secret fingerprints use the key kept in ${file}` };
  }
  const generated = randomBytes(32).toString('hex');
  try {
    const dir = path.dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(dir, '.gitignore'), '# posture keeps its fingerprint key here; never commit it\n*\n', { flag: 'w' });
    // `wx`: a scan running alongside may have written one first; then that one is the key.
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, `${generated}\n`);
    } finally {
      closeSync(fd);
    }
    return {
      key: Buffer.from(generated, 'utf8'),
      source: 'generated',
      file,
      warning: `POSTURE_FINGERPRINT_KEY is not set; generated a fingerprint key in ${file}. Secret fingerprints stay the same only while that file is kept; in CI set POSTURE_FINGERPRINT_KEY from the secret store`,
    };
  } catch (error) {
    const raced = (error as NodeJS.ErrnoException).code === 'EEXIST' ? read() : undefined;
    if (raced) return { key: raced, source: 'file', file };
    return {
      key: Buffer.from(generated, 'utf8'),
      source: 'ephemeral',
      warning: `POSTURE_FINGERPRINT_KEY is not set and ${file} cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'}); secret fingerprints will differ between scans`,
    };
  }
};
