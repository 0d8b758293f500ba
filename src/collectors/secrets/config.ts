import type { SecretLintConfigDescriptor } from '@secretlint/types';
import type { CollectContext } from '../types.js';
import { allowMatcher } from './classify.js';

/** posture.yaml `secrets:` (schemas/config/secrets.schema.json). */
export type SecretsConfig = {
  maxFileBytes?: number;
  timeoutPerFileMs?: number;
  allow?: string[];
  generic?: boolean;
  patterns?: { name: string; pattern: string }[];
  workers?: number;
};

export type SecretsSettings = {
  maxFileBytes: number;
  timeoutPerFileMs: number;
  allow: ((value: string) => boolean)[];
  generic: boolean;
  /** The organisation's own detectors; their matches are reported with type `secret`. */
  patterns: { name: string; pattern: string }[];
  workers: number;
};

export const DEFAULT_TIMEOUT_PER_FILE_MS = 10_000;

/** The collector's settings: posture.yaml's `secrets:` section over the scan's limits. */
export const settingsOf = (ctx: Pick<CollectContext, 'config' | 'limits'>): SecretsSettings => {
  const section: SecretsConfig = ctx.config.secrets ?? {};
  return {
    maxFileBytes: section.maxFileBytes ?? ctx.limits.maxFileBytes,
    timeoutPerFileMs: section.timeoutPerFileMs ?? DEFAULT_TIMEOUT_PER_FILE_MS,
    allow: (section.allow ?? []).map(allowMatcher),
    generic: section.generic ?? true,
    patterns: section.patterns ?? [],
    workers: section.workers ?? ctx.limits.concurrency('secrets', 1),
  };
};

/**
 * The generic credential detector secretlint's preset lacks: a literal value of at least 8
 * characters assigned to a key that announces a credential (`password`, `passwd`, `pwd`,
 * `secret`, `api_key`, `access_token`, `auth_token`, `secret_key`, with any prefix such as
 * `DB_PASSWORD`, `smtp.password` or `clientSecret`): `password = "..."`, `secret: ...`,
 * `"apiKey": "..."`. The lookbehind makes the match the value alone, so that the range secretlint
 * reports is exactly what is fingerprinted. Values that start like a reference (`$`, `{`, `<`,
 * `%`) or run into a call never match; the bounded quantifiers keep the cost linear.
 */
const GENERIC_CREDENTIAL =
  /(?<=(?:^|[^A-Za-z0-9])[A-Za-z0-9_.-]{0,40}(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|secret[_-]?key)["']?[ \t]{0,8}(?::=|=>|:|=)[ \t]{0,8}["'`]?)(?![$<{%([])[^\s"'`,;()]{8,200}(?=["'`,;\s]|$)/i;

/** The generic detector in secretlint's "RegExp-like string" form. */
export const GENERIC_CREDENTIAL_PATTERN = `/${GENERIC_CREDENTIAL.source}/i`;

/**
 * Whether a pattern-rule match is the generic detector's. secretlint masks the pattern's name in
 * its messages, so the generic pattern is tried again, anchored at the match.
 */
export const isGenericMatch = (content: string, range: [number, number]): boolean => {
  const anchored = new RegExp(GENERIC_CREDENTIAL.source, 'iuy');
  anchored.lastIndex = range[0];
  const match = anchored.exec(content);
  return match !== null && match[0].length === range[1] - range[0];
};

/**
 * The secretlint configuration: the recommended preset with AWS key ids on, plus the generic
 * detector and the organisation's own patterns (which run in the same time-bounded worker, so a
 * pattern that backtracks without end costs one file's time budget, not the scan).
 */
export const secretlintConfig = (settings: Pick<SecretsSettings, 'generic' | 'patterns'>): SecretLintConfigDescriptor => {
  const patterns = [
    ...(settings.generic ? [{ name: 'generic-credential', patterns: [GENERIC_CREDENTIAL_PATTERN] }] : []),
    ...settings.patterns.map((p) => ({ name: p.name, patterns: [p.pattern] })),
  ];
  return {
    rules: [
      {
        id: '@secretlint/secretlint-rule-preset-recommend',
        // The AWS rule reports access key ids only when asked; an id with its key is a live credential.
        rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }],
      },
      ...(patterns.length > 0 ? [{ id: '@secretlint/secretlint-rule-pattern', options: { patterns } }] : []),
    ],
  };
};
