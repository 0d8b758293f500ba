import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ignore from 'ignore';
import type { Severity } from '../../engine/types.js';
import { describeAjvError } from '../../facts/documents.js';
import type { CoverageGap, Resource } from '../../facts/types.js';
import { declarationLines, knowsLines } from './lines.js';
import { purlOf } from './purl.js';
import type { OsvAffected, OsvOutput, OsvPackage, OsvValidators, OsvVulnerability } from './schema.js';
import { maxSeverity, rate, SEVERITY_RANK, type Cvss } from './severity.js';
import { smallestFix, type AffectedEntry } from './versions.js';

/** One vulnerability of a package: an osv-scanner group (an advisory and its aliases), as a place for evidence. */
export type PackageVulnerability = {
  id: string;
  aliases: string[];
  summary: string;
  severity: Severity;
  severityBasis: string;
  rated: boolean;
  cvss: Cvss | null;
  fixed: string[];
  references: { type: string; url: string }[];
  /** The package's declaration line in its lockfile, when posture could find it. */
  line?: number;
};

/** How many references are kept per vulnerability: enough to act on, not the advisory's whole link list. */
const MAX_REFERENCES = 8;
const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

/** Package names as the ecosystem compares them (advisories sometimes differ in case: "Axios"). */
const sameName = (ecosystem: string, a: string, b: string): boolean => {
  if (ecosystem === 'PyPI') return a.toLowerCase().replace(/[-_.]+/g, '-') === b.toLowerCase().replace(/[-_.]+/g, '-');
  if (ecosystem === 'Go' || ecosystem === 'Maven') return a === b;
  return a.toLowerCase() === b.toLowerCase();
};

const baseEcosystem = (ecosystem: string): string => ecosystem.split(':')[0] ?? ecosystem;

/** The advisory's affected entries for this package. */
const entriesFor = (vulnerability: OsvVulnerability, pkg: OsvPackage['package']): OsvAffected[] =>
  (vulnerability.affected ?? []).filter(
    (a) => a.package?.name !== undefined && baseEcosystem(a.package.ecosystem ?? '') === baseEcosystem(pkg.ecosystem) && sameName(baseEcosystem(pkg.ecosystem), a.package.name, pkg.name),
  );

const asEntries = (affected: OsvAffected[]): AffectedEntry[] =>
  affected.map((a) => ({ ranges: (a.ranges ?? []).map((r) => ({ type: r.type, events: r.events ?? [] })), versions: a.versions ?? [] }));

const firstLine = (text: string | undefined): string => (text ?? '').split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'))?.slice(0, 200) ?? '';

export type ParseInput = {
  output: OsvOutput;
  validators: OsvValidators;
  root: string;
  treeId: string;
  excludes: string[];
  unratedSeverity: Severity;
};

export type ParseResult = { resources: Resource[]; gaps: CoverageGap[]; notes: string[]; excluded: string[] };

type Merged = { lockfile: string; pkg: OsvPackage['package']; vulnerabilities: Map<string, OsvVulnerability>; groups: NonNullable<OsvPackage['groups']>; dependencyGroups: Set<string> };

/** The lockfile's path relative to the scanned root, POSIX; osv-scanner prints absolute paths. */
const relativeLockfile = (root: string, reported: string): { path: string; inside: boolean } => {
  const absolute = path.resolve(root, reported);
  const relative = path.relative(root, absolute);
  const inside = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  return { path: (inside ? relative : reported).split(path.sep).join('/'), inside };
};

/**
 * Turns osv-scanner's report into `dependency.package` resources: one per package version per
 * lockfile, its vulnerabilities grouped as osv-scanner groups them (an advisory and its aliases
 * are one vulnerability), each rated, and the smallest version that leaves them all behind.
 */
export const toResources = (input: ParseInput): ParseResult => {
  const { root, treeId } = input;
  const gaps: CoverageGap[] = [];
  const notes: string[] = [];
  const excluded = new Set<string>();
  const excludes = ignore().add(input.excludes);
  const merged = new Map<string, Merged>();

  for (const result of input.output.results ?? []) {
    const lockfile = relativeLockfile(root, result.source.path);
    if (!lockfile.inside) notes.push(`osv-scanner reported ${lockfile.path}, which is outside the scanned tree; its packages keep the path as printed`);
    if (lockfile.inside && excludes.ignores(lockfile.path)) {
      excluded.add(lockfile.path);
      continue;
    }
    (result.packages ?? []).forEach((entry, index) => {
      if (!input.validators.package(entry)) {
        const error = input.validators.package.errors?.[0];
        gaps.push({
          resource: `${treeId}/${lockfile.path}`,
          attributes: ['vulnerabilities'],
          reason: `osv-scanner's entry ${index} for this file does not have the expected shape (${error ? describeAjvError(error) : 'invalid'}); it was not read`,
        });
        return;
      }
      const pkg = { ...entry.package, name: entry.package.name || lockfile.path };
      const version = pkg.version || pkg.commit || '';
      const key = `${lockfile.path}\0${pkg.ecosystem}\0${pkg.name}\0${version}`;
      const target: Merged = merged.get(key) ?? { lockfile: lockfile.path, pkg: { ...pkg, version }, vulnerabilities: new Map(), groups: [], dependencyGroups: new Set() };
      for (const vulnerability of entry.vulnerabilities ?? []) target.vulnerabilities.set(vulnerability.id, vulnerability);
      target.groups.push(...(entry.groups ?? []));
      for (const group of entry.dependency_groups ?? []) target.dependencyGroups.add(group);
      merged.set(key, target);
    });
  }

  // Lines, one read per lockfile.
  const lines = new Map<string, Map<string, number>>();
  const byLockfile = new Map<string, Merged[]>();
  for (const entry of merged.values()) byLockfile.set(entry.lockfile, [...(byLockfile.get(entry.lockfile) ?? []), entry]);
  for (const [lockfile, entries] of byLockfile) {
    if (!knowsLines(lockfile)) continue;
    const absolute = path.resolve(root, lockfile);
    try {
      if (statSync(absolute).size > MAX_LOCKFILE_BYTES) continue;
      lines.set(lockfile, declarationLines(lockfile, readFileSync(absolute, 'utf8'), entries.map((e) => ({ name: e.pkg.name, version: e.pkg.version ?? '', ecosystem: e.pkg.ecosystem }))));
    } catch {
      // The lockfile moved or cannot be read: its packages simply have no line.
    }
  }
  const unplaced = [...byLockfile.keys()].filter((l) => !knowsLines(l));
  if (unplaced.length > 0) notes.push(`no declaration lines for packages in ${unplaced.join(', ')} (a format posture does not locate packages in)`);

  const resources: Resource[] = [];
  for (const entry of merged.values()) {
    const { pkg, lockfile } = entry;
    const version = pkg.version ?? '';
    const line = lines.get(lockfile)?.get(`${pkg.name}@${version}`);
    // Each osv-scanner group is one vulnerability; advisories in no group stand alone.
    const remaining = new Set(entry.vulnerabilities.keys());
    const groups: { ids: string[]; maxSeverity: string | number | null | undefined }[] = [];
    for (const group of entry.groups) {
      const ids = (group.ids ?? []).filter((id) => remaining.has(id));
      if (ids.length === 0) continue;
      for (const id of ids) remaining.delete(id);
      groups.push({ ids, maxSeverity: group.max_severity });
    }
    for (const id of remaining) groups.push({ ids: [id], maxSeverity: undefined });

    const advisoryEntries: AffectedEntry[][] = [];
    const vulnerabilities: PackageVulnerability[] = groups.map((group) => {
      const members = group.ids.map((id) => entry.vulnerabilities.get(id)).filter((v): v is OsvVulnerability => v !== undefined);
      // A group's severity is its highest rated member's; unrated only when no member is rated.
      const ratings = members.map((m) => rate({ maxSeverity: group.maxSeverity, severity: m.severity, databaseSeverity: m.database_specific?.severity }, input.unratedSeverity));
      const rating =
        ratings.filter((r) => r.rated).sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])[0] ??
        ratings[0] ??
        rate({ maxSeverity: group.maxSeverity }, input.unratedSeverity);
      const affected = members.flatMap((m) => entriesFor(m, pkg));
      for (const member of members) advisoryEntries.push(asEntries(entriesFor(member, pkg)));
      const fixed = [...new Set(affected.flatMap((a) => (a.ranges ?? []).flatMap((r) => (r.events ?? []).flatMap((e) => (e.fixed ? [e.fixed] : [])))))];
      const aliases = [...new Set([...group.ids.slice(1), ...members.flatMap((m) => m.aliases ?? [])])].filter((a) => a !== group.ids[0]).sort();
      const references = [...new Map(members.flatMap((m) => m.references ?? []).filter((r) => typeof r.url === 'string' && r.url !== '').map((r) => [r.url as string, { type: r.type ?? 'WEB', url: r.url as string }])).values()].slice(0, MAX_REFERENCES);
      return {
        id: group.ids[0] as string,
        aliases,
        summary: members.map((m) => m.summary?.trim() || firstLine(m.details)).find((s) => s !== '') ?? '',
        severity: rating.severity,
        severityBasis: rating.basis,
        rated: rating.rated,
        cvss: rating.cvss,
        fixed,
        references,
        ...(line !== undefined ? { line } : {}),
      };
    });

    const severity = vulnerabilities.reduce<Severity | null>((acc, v) => (acc === null ? v.severity : maxSeverity(acc, v.severity)), null);
    const search = vulnerabilities.length > 0 ? smallestFix(version, advisoryEntries, pkg.ecosystem) : undefined;
    const fix = search?.version ? { version: search.version } : null;
    const fixAdvice = !search
      ? 'no known vulnerabilities'
      : search.version !== null
        ? `upgrade to ${search.version}`
        : search.reason === 'undecidable'
          ? 'no fixed version could be determined'
          : 'no fixed version';
    const purl = purlOf(pkg.ecosystem, pkg.name, version);
    const allIds = [...new Set(groups.flatMap((g) => g.ids))].sort();
    resources.push({
      kind: 'dependency.package',
      id: `${treeId}/${lockfile}#${purl}`,
      name: `${pkg.name}@${version} (${lockfile})`,
      source: 'osv',
      scope: { tree: treeId },
      location: { path: lockfile, ...(line !== undefined ? { line } : {}) },
      discriminator: allIds.join(','),
      attributes: {
        ecosystem: pkg.ecosystem,
        name: pkg.name,
        version,
        purl,
        dependencyGroups: [...entry.dependencyGroups].sort(),
        vulnerabilities: vulnerabilities.sort((a, b) => a.id.localeCompare(b.id)),
        severity,
        fix,
        fixAdvice,
      },
    });
  }
  resources.sort((a, b) => a.id.localeCompare(b.id));
  return { resources, gaps, notes, excluded: [...excluded].sort() };
};
