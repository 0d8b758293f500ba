import type { CoverageGap, Unknown } from '../../facts/types.js';

/** Package ecosystems, named as purl types. */
export type Ecosystem = 'npm' | 'pypi' | 'golang' | 'cargo' | 'gem' | 'composer';

/** A dependency manifest and the lockfile that pins it (its own, or its workspace root's). */
export type Manifest = {
  path: string;
  ecosystem: Ecosystem;
  /** The lockfile that covers it; `null` when there is none. */
  lockfile: string | null | Unknown;
  hasDependencies: boolean | Unknown;
  /** Manifests are places for evidence; the whole file is the place. */
  line: 1;
};

export type EnvFile = {
  path: string;
  line: 1;
  /** Whether the tree's .gitignore files ignore it. */
  ignored: boolean | Unknown;
  /** Whether git tracks it; `null` when the tree is not a git work tree. */
  tracked: boolean | null | Unknown;
};

export type IacKind = 'terraform' | 'cloudformation' | 'cdk' | 'pulumi' | 'kubernetes' | 'helm';

export type DependencyUpdates = { tool: 'dependabot' | 'renovate'; path: string };

export type RepositoryAttributes = {
  securityPolicy: string | null | Unknown;
  codeowners: string | null | Unknown;
  dependencyUpdates: DependencyUpdates | null | Unknown;
  manifests: (Manifest | Unknown)[] | Unknown;
  iac: Record<IacKind, string[]> | Unknown;
  envFiles: (EnvFile | Unknown)[] | Unknown;
};

/** A `permissions` declaration (or its absence) of a workflow or a job. */
export type PermissionsDeclaration = {
  /** `workflow`, or `job <id>`. */
  scope: string;
  /** `read-all`, `write-all`, a map of scopes to levels, or `null` when not set. */
  value: string | Record<string, unknown> | null;
  line: number;
};

export type WorkflowJob = { id: string; line: number; permissions: PermissionsDeclaration; usesReusable: boolean };

export type WorkflowAction = {
  uses: string;
  line: number;
  job: string;
  /** Pinned to a full 40-hex commit SHA. */
  pinned: boolean;
  /** `./path`: code in the same repository. */
  local: boolean;
  /** Owned by the `actions` or `github` organisations. */
  githubOwned: boolean;
  /** A reusable workflow called at job level. */
  reusable: boolean;
};

/** A step that checks out a pull request's code: `ref` is the expression or argument naming it. */
export type UntrustedCheckout = { line: number; job: string; ref: string; how: 'actions/checkout' | 'gh pr checkout' | 'git' };

export type WorkflowAttributes = {
  name: string | null | Unknown;
  triggers: string[] | Unknown;
  permissions: PermissionsDeclaration | Unknown;
  jobs: WorkflowJob[] | Unknown;
  actions: WorkflowAction[] | Unknown;
  untrustedCheckouts: UntrustedCheckout[] | Unknown;
};

/** What a part of the collector found besides its facts: files it could not use. */
export type Problems = { gaps: CoverageGap[]; notes: string[] };
