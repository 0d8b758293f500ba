import { createRequire } from 'node:module';
import type * as CvssCalculator from 'ae-cvss-calculator';
import type { Severity } from '../../engine/types.js';

/**
 * The CVSS calculator. It ships as a webpack UMD bundle whose ESM interop differs between Node's
 * loader and tsx's; `require` gives its `module.exports` in both.
 */
const loadCvss = (): typeof CvssCalculator => createRequire(import.meta.url)('ae-cvss-calculator') as typeof CvssCalculator;

export type Cvss = { version: '3.0' | '3.1' | '4.0'; vector: string; score: number };

export type Rating = {
  severity: Severity;
  /** How the severity was decided, for the evidence: "CVSS 7.5 (CVSS:3.1/...)", "unrated"... */
  basis: string;
  rated: boolean;
  cvss: Cvss | null;
};

/** CVSS bands: 9.0 and above critical, 7.0 high, 4.0 medium, anything else low. */
export const bandOf = (score: number): Severity => (score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low');

/** Severities in increasing order of weight. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** The higher of two severities. */
export const maxSeverity = (a: Severity, b: Severity): Severity => (SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b);

/** The base score of a CVSS v3.x or v4.0 vector, or undefined for anything incomplete or malformed. */
export const cvssScore = (vector: string): Cvss | undefined => {
  const cvss = loadCvss();
  const trimmed = vector.trim();
  try {
    const [version, instance] = trimmed.startsWith('CVSS:4.0/')
      ? (['4.0', new cvss.Cvss4P0(trimmed)] as const)
      : trimmed.startsWith('CVSS:3.1/')
        ? (['3.1', new cvss.Cvss3P1(trimmed)] as const)
        : trimmed.startsWith('CVSS:3.0/')
          ? (['3.0', new cvss.Cvss3P0(trimmed)] as const)
          : [undefined, undefined];
    if (!version || !instance) return undefined;
    const score = instance.calculateScores().base;
    return typeof score === 'number' && Number.isFinite(score) && score >= 0 && score <= 10 ? { version, vector: trimmed, score } : undefined;
  } catch {
    // The library throws on unknown metrics; such a vector gives no score.
    return undefined;
  }
};

const DATABASE_SEVERITY: Record<string, Severity> = { CRITICAL: 'critical', HIGH: 'high', MODERATE: 'medium', MEDIUM: 'medium', LOW: 'low' };

export type RatingInput = {
  /** The osv-scanner group's max_severity for this advisory ("" when it has none). */
  maxSeverity?: string | number | null;
  /** The advisory's `severity[]`. */
  severity?: { type?: string; score?: string }[] | null;
  /** The advisory's `database_specific.severity` (GitHub's CRITICAL/HIGH/MODERATE/LOW). */
  databaseSeverity?: string | null;
};

/**
 * An advisory's severity, in this order: osv-scanner's numeric group max_severity; else the base
 * score of the highest CVSS v3 or v4 vector, computed (OSV records carry vectors, not scores);
 * else the advisory database's own severity (MODERATE is medium); else the configured severity
 * for unrated advisories, marked as such.
 */
export const rate = (input: RatingInput, unratedSeverity: Severity): Rating => {
  const vectors = (input.severity ?? [])
    .filter((s) => (s.type === 'CVSS_V3' || s.type === 'CVSS_V4') && typeof s.score === 'string')
    .map((s) => cvssScore(s.score as string))
    .filter((c): c is Cvss => c !== undefined)
    .sort((a, b) => b.score - a.score);
  const best = vectors[0] ?? null;
  const max = typeof input.maxSeverity === 'number' ? input.maxSeverity : typeof input.maxSeverity === 'string' && input.maxSeverity.trim() !== '' ? Number(input.maxSeverity) : NaN;
  if (Number.isFinite(max) && max >= 0 && max <= 10) {
    return { severity: bandOf(max), basis: `osv-scanner max severity ${max}`, rated: true, cvss: best };
  }
  if (best) return { severity: bandOf(best.score), basis: `CVSS ${best.score.toFixed(1)} (${best.vector})`, rated: true, cvss: best };
  const database = input.databaseSeverity ? DATABASE_SEVERITY[input.databaseSeverity.toUpperCase()] : undefined;
  if (database) return { severity: database, basis: `advisory database severity ${input.databaseSeverity}`, rated: true, cvss: null };
  return { severity: unratedSeverity, basis: `unrated: no CVSS vector or database severity (osv.unratedSeverity is ${unratedSeverity})`, rated: false, cvss: null };
};
