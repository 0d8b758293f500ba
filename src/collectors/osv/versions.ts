import semver from 'semver';

/** Orders two versions of one ecosystem: negative, zero or positive. */
export type Compare = (a: string, b: string) => number;

/** Ecosystems whose versions are semantic versions (Go with its `v` and `+incompatible`). */
const SEMVER_ECOSYSTEMS = new Set(['npm', 'crates.io', 'Go', 'Hex', 'Pub', 'NuGet', 'Packagist', 'SwiftURL', 'GitHub Actions']);

/**
 * A generic ordering for versions no better rule is known for: digits compare as numbers, other
 * runs as text, and a release sorts after its pre-release (`1.0` > `1.0-rc1`).
 */
const genericCompare: Compare = (a, b) => {
  const tokens = (v: string): string[] => v.toLowerCase().replace(/^v(?=\d)/, '').match(/\d+|[a-z]+/g) ?? [];
  const left = tokens(a);
  const right = tokens(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === y) continue;
    if (x === undefined) return y !== undefined && /^\d/.test(y) ? -1 : 1;
    if (y === undefined) return /^\d/.test(x) ? 1 : -1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return Number(x) - Number(y) || x.length - y.length;
    if (xn !== yn) return xn ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return 0;
};

const toSemver = (version: string): semver.SemVer | null => {
  const cleaned = version.trim().replace(/^v(?=\d)/, '').replace(/\+incompatible$/, '');
  if (cleaned === '0') return new semver.SemVer('0.0.0');
  return semver.parse(cleaned, { loose: true }) ?? (/^\d+(\.\d+)?$/.test(cleaned) ? semver.coerce(cleaned) : null);
};

const semverCompare: Compare = (a, b) => {
  const x = toSemver(a);
  const y = toSemver(b);
  return x && y ? semver.compare(x, y) : genericCompare(a, b);
};

type Pep440 = { release: number[]; pre: [number, number] | null; post: number | null; dev: number | null };

const PRE_RANK: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

const parsePep440 = (version: string): Pep440 | undefined => {
  const match = /^v?(?:\d+!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?(?:(?:[-_.]?(?:post|rev|r)[-_.]?(\d*))|-(\d+))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+[a-z0-9.]+)?$/.exec(version.trim().toLowerCase());
  if (!match) return undefined;
  return {
    release: (match[1] as string).split('.').map(Number),
    pre: match[2] ? [PRE_RANK[match[2]] ?? 2, Number(match[3] || 0)] : null,
    post: match[4] !== undefined ? Number(match[4] || 0) : match[5] !== undefined ? Number(match[5]) : null,
    dev: match[6] !== undefined ? Number(match[6] || 0) : null,
  };
};

/** PEP 440 ordering (PyPI): release, then dev < pre < final < post. Local labels are ignored. */
const pep440Compare: Compare = (a, b) => {
  const x = parsePep440(a);
  const y = parsePep440(b);
  if (!x || !y) return genericCompare(a, b);
  for (let i = 0; i < Math.max(x.release.length, y.release.length); i++) {
    const d = (x.release[i] ?? 0) - (y.release[i] ?? 0);
    if (d !== 0) return d;
  }
  // A dev release of the final version sorts before its pre-releases; a final release after them.
  const phase = (v: Pep440): number[] => [
    v.pre ? v.pre[0] : v.dev !== null && v.post === null ? -1 : 3,
    v.pre ? v.pre[1] : 0,
    v.post ?? -1,
    v.dev ?? Number.MAX_SAFE_INTEGER,
  ];
  const px = phase(x);
  const py = phase(y);
  for (let i = 0; i < px.length; i++) {
    const d = (px[i] as number) - (py[i] as number);
    if (d !== 0) return d;
  }
  return 0;
};

const MAVEN_QUALIFIERS: Record<string, number> = { alpha: 0, a: 0, beta: 1, b: 1, milestone: 2, m: 2, rc: 3, cr: 3, snapshot: 4, '': 5, ga: 5, final: 5, release: 5, sp: 6 };

/** Maven's ordering, simplified: numeric parts, then qualifiers alpha < beta < milestone < rc < snapshot < release < sp. */
const mavenCompare: Compare = (a, b) => {
  const parts = (v: string): (number | string)[] =>
    v.toLowerCase().split(/[.-]|(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)/).filter((p) => p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const left = parts(a);
  const right = parts(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? (typeof right[i] === 'number' ? 0 : '');
    const y = right[i] ?? (typeof left[i] === 'number' ? 0 : '');
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return 1;
    if (typeof y === 'number') return -1;
    const rx = MAVEN_QUALIFIERS[x] ?? 5.5;
    const ry = MAVEN_QUALIFIERS[y] ?? 5.5;
    if (rx !== ry) return rx - ry;
    return x < y ? -1 : 1;
  }
  return 0;
};

/**
 * The version ordering of an ecosystem: semver for npm, crates.io, Go, Hex, Pub, NuGet and
 * Packagist (falling back to the generic ordering for versions that do not parse), PEP 440 for
 * PyPI, Maven's for Maven, and the generic dotted-numeric ordering for the rest (RubyGems,
 * Debian, Alpine...), which is right for plain versions and approximate for exotic ones.
 */
export const compareFor = (ecosystem: string): Compare => {
  const base = ecosystem.split(':')[0] ?? ecosystem;
  if (SEMVER_ECOSYSTEMS.has(base)) return semverCompare;
  if (base === 'PyPI') return pep440Compare;
  if (base === 'Maven') return mavenCompare;
  return genericCompare;
};

/** The major line of a version (its first number), for preferring fixes that stay on it. */
export const majorOf = (version: string): string => /\d+/.exec(version.replace(/^v/, ''))?.[0] ?? '';

/** A pre-release, as far as the common spellings tell (`-rc.1`, `b2`, `.dev0`, `-alpha`). */
export const isPrerelease = (version: string): boolean => /(?:^|[\d.+-])(?:alpha|beta|rc|pre|preview|dev|snapshot|milestone|a\d|b\d|c\d)/i.test(version.replace(/^v/, ''));

export type RangeEvent = { introduced?: string; fixed?: string; last_affected?: string; limit?: string };
export type AffectedRange = { type?: string; events?: RangeEvent[] };
export type AffectedEntry = { ranges?: AffectedRange[]; versions?: string[] };

/**
 * Whether a version lies in one OSV range: walking the events in version order, `introduced`
 * opens the range, `fixed` closes it at that version, `last_affected` after it. GIT ranges speak
 * of commits and return undefined.
 */
export const inRange = (version: string, range: AffectedRange, compare: Compare): boolean | undefined => {
  if (range.type === 'GIT') return undefined;
  const events = (range.events ?? [])
    .map((event) => {
      const [kind, at] = Object.entries(event).find(([, v]) => typeof v === 'string') ?? [];
      return kind && at !== undefined ? { kind, at } : undefined;
    })
    .filter((e): e is { kind: string; at: string } => e !== undefined && e.kind !== 'limit')
    .sort((a, b) => (a.at === '0' ? -1 : b.at === '0' ? 1 : compare(a.at, b.at)));
  let affected = false;
  for (const { kind, at } of events) {
    const order = at === '0' ? -1 : compare(at, version);
    if (order > 0) break;
    if (kind === 'introduced') affected = true;
    else if (kind === 'fixed') affected = false;
    else if (kind === 'last_affected' && order < 0) affected = false;
  }
  return affected;
};

/** Whether a version is affected by an advisory's entries for the package; undefined when no entry can tell. */
export const isAffected = (version: string, entries: AffectedEntry[], compare: Compare): boolean | undefined => {
  let decided = false;
  for (const entry of entries) {
    if (entry.versions?.some((v) => compare(v, version) === 0)) return true;
    if (entry.versions && entry.versions.length > 0) decided = true;
    for (const range of entry.ranges ?? []) {
      const result = inRange(version, range, compare);
      if (result === true) return true;
      if (result === false) decided = true;
    }
  }
  return decided ? false : undefined;
};

export type FixSearch = { version: string } | { version: null; reason: 'no fixed version' | 'undecidable' };

/**
 * The smallest version above the installed one that no advisory affects, among the versions the
 * advisories name as fixed (lodash 4.17.15 with fixes 4.17.20 and 4.17.21 needs 4.17.21: 4.17.20
 * is still inside the other advisory's range). Fixes on the installed major line come first, and
 * a stable release before a pre-release; only when none is left does a fix on a later line count.
 */
export const smallestFix = (installed: string, advisories: AffectedEntry[][], ecosystem: string): FixSearch => {
  const compare = compareFor(ecosystem);
  const candidates = new Set<string>();
  for (const entries of advisories) {
    for (const entry of entries) {
      for (const range of entry.ranges ?? []) {
        if (range.type === 'GIT') continue;
        for (const event of range.events ?? []) {
          if (event.fixed && compare(event.fixed, installed) > 0) candidates.add(event.fixed);
        }
      }
    }
  }
  const safe: string[] = [];
  // An advisory whose ranges cannot place even the installed version cannot rule a candidate out.
  let undecidable = advisories.some((entries) => isAffected(installed, entries, compare) === undefined);
  for (const candidate of [...candidates].sort(compare)) {
    const verdicts = advisories.map((entries) => isAffected(candidate, entries, compare));
    if (verdicts.includes(true)) continue;
    if (verdicts.includes(undefined)) {
      undecidable = true;
      continue;
    }
    safe.push(candidate);
  }
  const major = majorOf(installed);
  const stable = !isPrerelease(installed);
  const preferences: ((v: string) => boolean)[] = [
    (v) => majorOf(v) === major && (!stable || !isPrerelease(v)),
    (v) => majorOf(v) === major,
    (v) => !stable || !isPrerelease(v),
    () => true,
  ];
  for (const preferred of preferences) {
    const found = safe.find(preferred);
    if (found) return { version: found };
  }
  return { version: null, reason: undecidable ? 'undecidable' : 'no fixed version' };
};
