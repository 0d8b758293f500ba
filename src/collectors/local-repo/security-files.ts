import { unknown, type Unknown } from '../../facts/types.js';
import type { DependencyUpdates } from './types.js';
import { dirOf, unlistedAmong, type TreeFiles } from './tree-files.js';

const POLICY_DIRS = ['', '.github', 'docs'];
const POLICY_NAME = /^security(\.(md|markdown|rst|adoc|txt))?$/i;
// GitHub reads CODEOWNERS from .github/, the root and docs/, in that order; GitLab also from .gitlab/.
const CODEOWNERS_PLACES = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS', '.gitlab/CODEOWNERS'];

const notFound = (files: TreeFiles, dirs: string[], what: string): null | Unknown => {
  const hidden = unlistedAmong(files, dirs);
  return hidden ? unknown(`${hidden.path === '.' ? 'the tree root' : hidden.path} could not be listed (${hidden.reason}), so ${what} may be there`, 'read') : null;
};

/**
 * The security policy: SECURITY.md (any case; also .markdown, .rst, .adoc, .txt or no extension)
 * in the root, .github/ or docs/, which is where GitHub and OpenSSF Scorecard look for it.
 */
export const findSecurityPolicy = (files: TreeFiles): string | null | Unknown => {
  for (const dir of POLICY_DIRS) {
    const match = files.files.find((f) => dirOf(f.path) === dir && POLICY_NAME.test(f.path.slice(dir ? dir.length + 1 : 0)));
    if (match) return match.path;
  }
  return notFound(files, POLICY_DIRS, 'a security policy');
};

/** The CODEOWNERS file in one of the places GitHub or GitLab reads it from. */
export const findCodeowners = (files: TreeFiles): string | null | Unknown => {
  const match = CODEOWNERS_PLACES.find((p) => files.has(p));
  if (match) return match;
  return notFound(files, ['', '.github', 'docs', '.gitlab'], 'a CODEOWNERS file');
};

const DEPENDABOT = ['.github/dependabot.yml', '.github/dependabot.yaml'];
const RENOVATE = [
  'renovate.json',
  'renovate.json5',
  '.github/renovate.json',
  '.github/renovate.json5',
  '.gitlab/renovate.json',
  '.gitlab/renovate.json5',
  '.renovaterc',
  '.renovaterc.json',
  '.renovaterc.json5',
];

/**
 * Dependency update automation: a Dependabot configuration, or a Renovate one in any of the
 * places Renovate reads (including a `renovate` key in the root package.json).
 */
export const findDependencyUpdates = (files: TreeFiles): DependencyUpdates | null | Unknown => {
  const dependabot = DEPENDABOT.find((p) => files.has(p));
  if (dependabot) return { tool: 'dependabot', path: dependabot };
  const renovate = RENOVATE.find((p) => files.has(p));
  if (renovate) return { tool: 'renovate', path: renovate };
  if (files.has('package.json')) {
    const read = files.read('package.json');
    if (!read.ok) return files.gap('package.json', ['dependencyUpdates'], read);
    try {
      const json = JSON.parse(read.text) as unknown;
      if (json !== null && typeof json === 'object' && 'renovate' in json) return { tool: 'renovate', path: 'package.json' };
    } catch {
      return files.gap('package.json', ['dependencyUpdates'], { ok: false, reason: 'not valid JSON' });
    }
  }
  return notFound(files, ['', '.github', '.gitlab'], 'a Dependabot or Renovate configuration');
};
