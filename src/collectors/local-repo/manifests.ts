import path from 'node:path';
import { parse as parseYamlText } from 'yaml';
import { unknown, type Unknown } from '../../facts/types.js';
import { nonEmpty, outlineToml, stringsOf } from './toml-lines.js';
import { ancestorsOf, dirOf, joinPath, type ReadResult, type TreeFiles } from './tree-files.js';
import type { Ecosystem, Manifest } from './types.js';
import { isWorkspaceMember } from './workspace-globs.js';

const NPM_LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb'];
const PYTHON_LOCKFILES = ['poetry.lock', 'uv.lock', 'pdm.lock', 'pylock.toml'];

type Failure = Extract<ReadResult, { ok: false }>;
/** What a manifest's own text says: whether it declares dependencies, or why that is unknown. */
type Declared = { hasDependencies: boolean } | { failure: Failure };

type ManifestType = {
  ecosystem: Ecosystem;
  matches: (name: string) => boolean;
  declared: (text: string) => Declared;
  /** The lockfile in the manifest's own directory, if any. */
  lockfile: (files: TreeFiles, manifest: string, text: string | undefined) => string | null;
  /** The workspace root's lockfile that covers the manifest, if it is a workspace member. */
  workspace?: (files: TreeFiles, manifest: string, text: string | undefined) => string | null | Unknown;
};

const sibling = (files: TreeFiles, manifest: string, names: string[]): string | null => {
  for (const name of names) {
    const candidate = joinPath(dirOf(manifest), name);
    if (files.has(candidate)) return candidate;
  }
  return null;
};

const invalid = (reason: string): Declared => ({ failure: { ok: false, reason } });

const parseJsonObject = (text: string): Record<string, unknown> | undefined => {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

const hasKeys = (value: unknown, keep: (key: string) => boolean = () => true): boolean =>
  value !== null && typeof value === 'object' && Object.keys(value).some(keep);

/** npm, yarn, pnpm and bun: the nearest enclosing workspace root whose globs include the package. */
const npmWorkspace = (files: TreeFiles, manifest: string): string | null | Unknown => {
  const dir = dirOf(manifest);
  for (const root of ancestorsOf(dir)) {
    const relative = root ? dir.slice(root.length + 1) : dir;
    let patterns: string[] | undefined;
    let failed: Unknown | undefined;
    const pnpm = joinPath(root, 'pnpm-workspace.yaml');
    if (files.has(pnpm)) {
      const read = files.read(pnpm);
      if (!read.ok) failed = files.gap(pnpm, ['manifests'], read);
      else {
        try {
          const doc = parseYamlText(read.text) as { packages?: unknown } | null;
          patterns = Array.isArray(doc?.packages) ? doc.packages.filter((p): p is string => typeof p === 'string') : [];
        } catch {
          failed = files.gap(pnpm, ['manifests'], { ok: false, reason: 'not valid YAML' });
        }
      }
    }
    const rootManifest = joinPath(root, 'package.json');
    if (!patterns && !failed && files.has(rootManifest)) {
      const read = files.read(rootManifest);
      if (!read.ok) failed = files.gap(rootManifest, ['manifests'], read);
      else {
        const json = parseJsonObject(read.text);
        if (!json) failed = files.gap(rootManifest, ['manifests'], { ok: false, reason: 'not valid JSON' });
        else {
          const declared = Array.isArray(json.workspaces) ? json.workspaces : (json.workspaces as { packages?: unknown } | undefined)?.packages;
          if (Array.isArray(declared)) patterns = declared.filter((p): p is string => typeof p === 'string');
        }
      }
    }
    const lockfile = sibling(files, rootManifest, NPM_LOCKFILES);
    // An unreadable root matters only if its lockfile could cover the package.
    if (failed && lockfile) return failed;
    if (patterns && isWorkspaceMember(relative, patterns)) return lockfile;
  }
  return null;
};

/** Cargo and uv: the nearest enclosing workspace root that lists the member. */
const tomlWorkspace =
  (manifestName: string, workspaceTable: string, lockfiles: string[], memberMarker?: RegExp) =>
  (files: TreeFiles, manifest: string, text: string | undefined): string | null | Unknown => {
    const dir = dirOf(manifest);
    for (const root of ancestorsOf(dir)) {
      const rootManifest = joinPath(root, manifestName);
      if (!files.has(rootManifest)) continue;
      const lockfile = sibling(files, rootManifest, lockfiles);
      const read = files.read(rootManifest);
      if (!read.ok) {
        if (lockfile) return files.gap(rootManifest, ['manifests'], read);
        continue;
      }
      const outline = outlineToml(read.text);
      if (!outline.tables.has(workspaceTable)) continue;
      const entry = (key: string) => outline.entries.find((e) => e.table === workspaceTable && e.key === key);
      const members = stringsOf(entry('members')?.value ?? '[]');
      const exclude = stringsOf(entry('exclude')?.value ?? '[]');
      const relative = root ? dir.slice(root.length + 1) : dir;
      const declaresMembership = memberMarker !== undefined && text !== undefined && memberMarker.test(text);
      if (isWorkspaceMember(relative, members, exclude) || declaresMembership) return lockfile;
    }
    return null;
  };

const PYPROJECT_DEPENDENCY_TABLES = /^tool\.poetry(\.group\.[^.]+)?\.(dev-)?dependencies$/;

const pyprojectDeclared = (text: string): Declared => {
  const { entries } = outlineToml(text);
  return {
    hasDependencies: entries.some(
      (e) =>
        (e.table === 'project' && e.key === 'dependencies' && nonEmpty(e.value)) ||
        (e.table === 'project.optional-dependencies' && nonEmpty(e.value)) ||
        (e.table === 'dependency-groups' && nonEmpty(e.value)) ||
        (e.table === 'tool.pdm.dev-dependencies' && nonEmpty(e.value)) ||
        (e.table === 'tool.uv' && e.key === 'dev-dependencies' && nonEmpty(e.value)) ||
        (PYPROJECT_DEPENDENCY_TABLES.test(e.table) && e.key !== 'python'),
    ),
  };
};

/**
 * The requirement lines of a requirements file: not blank, not comments, not options, and not the
 * project itself installed from a local path (`-e .`, `./pkg`), which no lockfile pins.
 */
const requirementLines = (text: string): string[] =>
  text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '' && !/^-(r|c|i|f|-requirement|-constraint|-index-url|-extra-index-url|-find-links|-trusted-host|-pre|-prefer-binary|-no-binary|-only-binary)\b/.test(line))
    .filter((line) => !/^(-e\s+|--editable[=\s]+)?(\.{1,2}(\/\S*)?|file:\S*)$/.test(line));

// `name==1.2.3` or `name[extra]===1.2.3`, optionally with an environment marker and hashes.
const PINNED = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*[^\s;,*]+(\s*;[^,]*)?(\s+--hash=\S+)*$/;

const MANIFEST_TYPES: ManifestType[] = [
  {
    ecosystem: 'npm',
    matches: (name) => name === 'package.json',
    declared: (text) => {
      const json = parseJsonObject(text);
      if (!json) return invalid('not valid JSON');
      return { hasDependencies: ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'].some((k) => hasKeys(json[k])) };
    },
    lockfile: (files, manifest) => sibling(files, manifest, NPM_LOCKFILES),
    workspace: (files, manifest) => npmWorkspace(files, manifest),
  },
  {
    ecosystem: 'pypi',
    matches: (name) => name === 'pyproject.toml',
    declared: pyprojectDeclared,
    lockfile: (files, manifest) => sibling(files, manifest, PYTHON_LOCKFILES),
    workspace: tomlWorkspace('pyproject.toml', 'tool.uv.workspace', ['uv.lock']),
  },
  {
    ecosystem: 'pypi',
    matches: (name) => name === 'Pipfile',
    declared: (text) => ({ hasDependencies: outlineToml(text).entries.some((e) => e.table === 'packages' || e.table === 'dev-packages') }),
    lockfile: (files, manifest) => sibling(files, manifest, ['Pipfile.lock']),
  },
  {
    // A requirements file pins itself when every requirement is `name==version`.
    ecosystem: 'pypi',
    matches: (name) => /^requirements.*\.txt$/i.test(name),
    declared: (text) => ({ hasDependencies: requirementLines(text).length > 0 }),
    lockfile: (_files, manifest, text) => (text !== undefined && requirementLines(text).every((line) => PINNED.test(line)) ? manifest : null),
  },
  {
    // pip-tools: requirements.in is compiled into the requirements .txt of the same stem.
    ecosystem: 'pypi',
    matches: (name) => /^requirements.*\.in$/i.test(name),
    declared: (text) => ({ hasDependencies: requirementLines(text).length > 0 }),
    lockfile: (files, manifest) => sibling(files, manifest, [path.posix.basename(manifest).replace(/\.in$/i, '.txt')]),
  },
  {
    ecosystem: 'golang',
    matches: (name) => name === 'go.mod',
    declared: (text) => ({ hasDependencies: /^\s*require\s+(\([^)]*[^\s)][^)]*\)|[^\s(])/m.test(text) }),
    lockfile: (files, manifest) => sibling(files, manifest, ['go.sum']),
  },
  {
    ecosystem: 'cargo',
    matches: (name) => name === 'Cargo.toml',
    declared: (text) => ({
      hasDependencies: outlineToml(text).entries.some((e) => /(^|\.)(dev-|build-)?dependencies(\.|$)/.test(e.table)),
    }),
    lockfile: (files, manifest) => sibling(files, manifest, ['Cargo.lock']),
    workspace: tomlWorkspace('Cargo.toml', 'workspace', ['Cargo.lock'], /^\s*workspace\s*=|\.workspace\s*=\s*true/m),
  },
  {
    ecosystem: 'gem',
    matches: (name) => name === 'Gemfile' || name === 'gems.rb',
    declared: (text) => ({ hasDependencies: /^\s*(gem|gemspec)\b/m.test(text) }),
    lockfile: (files, manifest) => sibling(files, manifest, [path.posix.basename(manifest) === 'gems.rb' ? 'gems.locked' : 'Gemfile.lock']),
  },
  {
    ecosystem: 'composer',
    matches: (name) => name === 'composer.json',
    declared: (text) => {
      const json = parseJsonObject(text);
      if (!json) return invalid('not valid JSON');
      // Platform requirements (php, ext-*, lib-*) are not installed packages.
      const real = (key: string) => !/^(php(-64bit)?|hhvm|composer(-plugin|-runtime)?-api|ext-.+|lib-.+)$/i.test(key);
      return { hasDependencies: hasKeys(json.require, real) || hasKeys(json['require-dev'], real) };
    },
    lockfile: (files, manifest) => sibling(files, manifest, ['composer.lock']),
  },
];

/**
 * Every dependency manifest in the tree with the lockfile that covers it: its own, or its
 * workspace root's (npm/yarn/pnpm/bun workspaces, Cargo and uv workspaces); `go.sum` covers
 * `go.mod`; a requirements file whose every line is `name==version` is its own lockfile.
 */
export const findManifests = (files: TreeFiles): (Manifest | Unknown)[] => {
  const manifests: (Manifest | Unknown)[] = [];
  for (const file of files.files) {
    const name = path.posix.basename(file.path);
    const type = MANIFEST_TYPES.find((t) => t.matches(name));
    if (!type) continue;
    const read = files.read(file.path);
    const text = read.ok ? read.text : undefined;
    const declared: Declared = read.ok ? type.declared(read.text) : { failure: read };
    let lockfile: string | null | Unknown = type.lockfile(files, file.path, text);
    if (lockfile === null && type.workspace) lockfile = type.workspace(files, file.path, text);
    if (lockfile === null && !read.ok && type.ecosystem === 'pypi' && /\.txt$/i.test(name)) {
      // Whether a requirements file pins itself needs its text.
      lockfile = files.gap(file.path, ['manifests'], read);
    }
    manifests.push({
      path: file.path,
      ecosystem: type.ecosystem,
      lockfile,
      hasDependencies: 'failure' in declared ? files.gap(file.path, ['manifests'], declared.failure) : declared.hasDependencies,
      line: 1,
    });
  }
  for (const hidden of files.unlisted) {
    manifests.push(unknown(`${hidden.path} could not be listed (${hidden.reason}); manifests in it were not seen`, 'read'));
  }
  return manifests;
};
