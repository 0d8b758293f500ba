import path from 'node:path';

/** A package as a lockfile lists it. */
export type Declared = { name: string; version: string; ecosystem: string };

/** Finds the line a package is declared on in one lockfile's text; undefined when it cannot tell. */
type LineFinder = (lines: string[], pkg: Declared) => number | undefined;

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Python's normalised project name: case-insensitive, runs of `-_.` equal. */
const pythonName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

/**
 * A block that starts on a line matching `head` and declares the version within the next `span`
 * lines, before the next block starts: the shape of package-lock.json entries, yarn.lock entries,
 * Cargo.lock and poetry.lock `[[package]]` tables.
 */
const headThenVersion = (
  lines: string[],
  head: (line: string) => boolean,
  version: (line: string) => boolean,
  stop: (line: string) => boolean,
  span = 40,
): number | undefined => {
  for (let i = 0; i < lines.length; i++) {
    if (!head(lines[i] as string)) continue;
    for (let j = i + 1; j < Math.min(lines.length, i + 1 + span); j++) {
      const line = lines[j] as string;
      if (version(line)) return i + 1;
      if (stop(line)) break;
    }
  }
  return undefined;
};

const packageLock: LineFinder = (lines, pkg) => {
  // v2/v3 "node_modules/<name>": { ... "version": "x" }, v1 "<name>": { ... "version": "x" }
  const key = new RegExp(`^(\\s*)"(?:(?:[^"]*/)?node_modules/)?${escape(pkg.name)}"\\s*:\\s*\\{\\s*$`);
  const version = new RegExp(`^\\s*"version"\\s*:\\s*"${escape(pkg.version)}"`);
  return headThenVersion(lines, (l) => key.test(l), (l) => version.test(l), (l) => /^\s*"[^"]+"\s*:\s*\{\s*$/.test(l) || /^\s*\}/.test(l));
};

const yarnLock: LineFinder = (lines, pkg) => {
  // classic: `lodash@^4.17.15, lodash@^4.17.4:` / berry: `"lodash@npm:^4.17.15":`, then `  version "x"` or `  version: x`
  const head = new RegExp(`^"?${escape(pkg.name)}@|[ ,]"?${escape(pkg.name)}@`);
  const version = new RegExp(`^\\s+version:?\\s+"?${escape(pkg.version)}"?\\s*$`);
  return headThenVersion(lines, (l) => !/^\s/.test(l) && l.trimEnd().endsWith(':') && head.test(l), (l) => version.test(l), (l) => !/^\s/.test(l) && l.trim() !== '');
};

const pnpmLock: LineFinder = (lines, pkg) => {
  // v5/v6: `  /lodash@4.17.15:` or `  /lodash/4.17.15:`; v9: `  lodash@4.17.15:` (with peer suffixes in parentheses)
  const entry = new RegExp(`^\\s+['"]?/?${escape(pkg.name)}[@/]${escape(pkg.version)}(?:\\(|_|['"]?:)`);
  const index = lines.findIndex((l) => entry.test(l));
  return index === -1 ? undefined : index + 1;
};

const goMod: LineFinder = (lines, pkg) => {
  if (pkg.name === 'stdlib') {
    const index = lines.findIndex((l) => /^\s*(?:go|toolchain)\s+\S/.test(l));
    return index === -1 ? undefined : index + 1;
  }
  const version = pkg.version.replace(/^v/, '');
  const entry = new RegExp(`(?:^|\\s)${escape(pkg.name)}\\s+v?${escape(version)}(?:\\s|$|/)`);
  const index = lines.findIndex((l) => !/^\s*(?:\/\/|replace\b|exclude\b)/.test(l) && entry.test(l));
  return index === -1 ? undefined : index + 1;
};

/** `[[package]]` tables with `name = "..."` then `version = "..."`: Cargo.lock, poetry.lock, uv.lock, pdm.lock. */
const tomlPackages = (normalise: (name: string) => string): LineFinder => (lines, pkg) => {
  const wanted = normalise(pkg.name);
  return headThenVersion(
    lines,
    (l) => {
      const name = /^\s*name\s*=\s*"([^"]+)"/.exec(l)?.[1];
      return name !== undefined && normalise(name) === wanted;
    },
    (l) => new RegExp(`^\\s*version\\s*=\\s*"${escape(pkg.version)}"`).test(l),
    (l) => /^\s*\[/.test(l),
    8,
  );
};

const requirements: LineFinder = (lines, pkg) => {
  const wanted = pythonName(pkg.name);
  const index = lines.findIndex((l) => {
    const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;#\\]+)/.exec(l);
    return match !== null && pythonName(match[1] as string) === wanted && match[2] === pkg.version;
  });
  return index === -1 ? undefined : index + 1;
};

const pipfileLock: LineFinder = (lines, pkg) => {
  const wanted = pythonName(pkg.name);
  return headThenVersion(
    lines,
    (l) => {
      const name = /^\s*"([^"]+)"\s*:\s*\{\s*$/.exec(l)?.[1];
      return name !== undefined && pythonName(name) === wanted;
    },
    (l) => new RegExp(`^\\s*"version"\\s*:\\s*"==${escape(pkg.version)}"`).test(l),
    (l) => /^\s*"[^"]+"\s*:\s*\{\s*$/.test(l),
  );
};

const gemfileLock: LineFinder = (lines, pkg) => {
  const entry = new RegExp(`^ {4}${escape(pkg.name)} \\(${escape(pkg.version)}(?:-[^)]*)?\\)\\s*$`);
  const index = lines.findIndex((l) => entry.test(l));
  return index === -1 ? undefined : index + 1;
};

const composerLock: LineFinder = (lines, pkg) => {
  const version = pkg.version.replace(/^v/, '');
  return headThenVersion(
    lines,
    (l) => new RegExp(`^\\s*"name"\\s*:\\s*"${escape(pkg.name)}"`, 'i').test(l),
    (l) => new RegExp(`^\\s*"version"\\s*:\\s*"v?${escape(version)}"`).test(l),
    (l) => /^\s*"name"\s*:/.test(l),
    6,
  );
};

const gradleLockfile: LineFinder = (lines, pkg) => {
  const index = lines.findIndex((l) => l.startsWith(`${pkg.name}:${pkg.version}=`));
  return index === -1 ? undefined : index + 1;
};

const nugetLock: LineFinder = (lines, pkg) =>
  headThenVersion(
    lines,
    (l) => new RegExp(`^\\s*"${escape(pkg.name)}"\\s*:\\s*\\{\\s*$`, 'i').test(l),
    (l) => new RegExp(`^\\s*"resolved"\\s*:\\s*"${escape(pkg.version)}"`).test(l),
    (l) => /^\s*"[^"]+"\s*:\s*\{\s*$/.test(l),
    6,
  );

const pubspecLock: LineFinder = (lines, pkg) =>
  headThenVersion(
    lines,
    (l) => new RegExp(`^ {2}${escape(pkg.name)}:\\s*$`).test(l),
    (l) => new RegExp(`^\\s+version:\\s*"?${escape(pkg.version)}"?\\s*$`).test(l),
    (l) => /^ {2}\S/.test(l),
    10,
  );

const mixLock: LineFinder = (lines, pkg) => {
  const entry = new RegExp(`^\\s*"${escape(pkg.name)}"\\s*:\\s*\\{:hex,\\s*:${escape(pkg.name)},\\s*"${escape(pkg.version)}"`);
  const index = lines.findIndex((l) => entry.test(l));
  return index === -1 ? undefined : index + 1;
};

/** The lockfile formats posture locates packages in, by file name. */
const FINDERS: { match: (base: string) => boolean; find: LineFinder }[] = [
  { match: (b) => b === 'package-lock.json' || b === 'npm-shrinkwrap.json', find: packageLock },
  { match: (b) => b === 'yarn.lock', find: yarnLock },
  { match: (b) => b === 'pnpm-lock.yaml', find: pnpmLock },
  { match: (b) => b === 'go.mod', find: goMod },
  { match: (b) => b === 'Cargo.lock', find: tomlPackages((n) => n) },
  { match: (b) => b === 'poetry.lock' || b === 'uv.lock' || b === 'pdm.lock', find: tomlPackages(pythonName) },
  { match: (b) => /requirements.*\.txt$/.test(b) || b.endsWith('.requirements.txt'), find: requirements },
  { match: (b) => b === 'Pipfile.lock', find: pipfileLock },
  { match: (b) => b === 'Gemfile.lock' || b === 'gems.locked', find: gemfileLock },
  { match: (b) => b === 'composer.lock', find: composerLock },
  { match: (b) => b === 'gradle.lockfile' || b.endsWith('.lockfile'), find: gradleLockfile },
  { match: (b) => b === 'packages.lock.json', find: nugetLock },
  { match: (b) => b === 'pubspec.lock', find: pubspecLock },
  { match: (b) => b === 'mix.lock', find: mixLock },
];

/** Whether posture knows how to find lines in a lockfile of this name. */
export const knowsLines = (lockfile: string): boolean => FINDERS.some((f) => f.match(path.posix.basename(lockfile)));

/**
 * The line each package is declared on in a lockfile's text, keyed `name@version`; packages it
 * cannot place are left out (osv-scanner's JSON carries no lines, and a guessed line would mislead).
 */
export const declarationLines = (lockfile: string, text: string, packages: Declared[]): Map<string, number> => {
  const found = new Map<string, number>();
  const finder = FINDERS.find((f) => f.match(path.posix.basename(lockfile)));
  if (!finder) return found;
  const lines = text.split(/\r?\n/);
  for (const pkg of packages) {
    const line = finder.find(lines, pkg);
    if (line !== undefined) found.set(`${pkg.name}@${pkg.version}`, line);
  }
  return found;
};
