import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyFixture, findingOf, scanTree, statusesOf } from './scan.js';

const TREE = 'https://github.com/acme/sample';
const NO_IAC = { terraform: [], cloudformation: [], cdk: [], pulumi: [], kubernetes: [], helm: [] };

const gitAvailable = (() => {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('local-repo collector', () => {
  const cleanups: (() => void)[] = [];
  const fixture = (name: string): string => {
    const copy = copyFixture(name);
    cleanups.push(copy.cleanup);
    return copy.dir;
  };
  after(() => cleanups.forEach((cleanup) => cleanup()));

  it('emits one source.repository resource named after the tree id', async () => {
    const scan = await scanTree(fixture('go-module'));
    const { id, name, kind, source, scope } = scan.repository;
    assert.deepEqual({ id, name, kind, source, scope }, { id: TREE, name: 'sample', kind: 'source.repository', source: 'local-repo', scope: { tree: TREE } });
    assert.equal(scan.facts.sources[0]?.status, 'complete');
    assert.deepEqual(scan.facts.sources[0]?.gaps, []);
  });

  describe('a workspace monorepo', () => {
    it('covers workspace members with the root lockfile and flags the package outside the workspace', async () => {
      const scan = await scanTree(fixture('workspace-monorepo'));
      assert.deepEqual(scan.repository.attributes, {
        securityPolicy: '.github/security.md',
        codeowners: '.github/CODEOWNERS',
        dependencyUpdates: { tool: 'dependabot', path: '.github/dependabot.yml' },
        manifests: [
          { path: 'crates/Cargo.toml', ecosystem: 'cargo', lockfile: 'crates/Cargo.lock', hasDependencies: false, line: 1 },
          { path: 'crates/cli/Cargo.toml', ecosystem: 'cargo', lockfile: 'crates/Cargo.lock', hasDependencies: true, line: 1 },
          { path: 'crates/core/Cargo.toml', ecosystem: 'cargo', lockfile: 'crates/Cargo.lock', hasDependencies: true, line: 1 },
          { path: 'docs/package.json', ecosystem: 'npm', lockfile: null, hasDependencies: false, line: 1 },
          { path: 'package.json', ecosystem: 'npm', lockfile: 'package-lock.json', hasDependencies: true, line: 1 },
          { path: 'packages/api/package.json', ecosystem: 'npm', lockfile: 'package-lock.json', hasDependencies: true, line: 1 },
          { path: 'packages/web/package.json', ecosystem: 'npm', lockfile: 'package-lock.json', hasDependencies: true, line: 1 },
          { path: 'tools/release/package.json', ecosystem: 'npm', lockfile: null, hasDependencies: true, line: 1 },
        ],
        iac: {
          terraform: ['infra/main.tf', 'infra/modules/vpc/variables.tf'],
          cloudformation: ['cfn/bucket.yaml'],
          cdk: [],
          pulumi: [],
          // The chart's templates are Helm, not plain Kubernetes manifests.
          kubernetes: ['k8s/deployment.yaml'],
          helm: ['charts/app/Chart.yaml'],
        },
        envFiles: [],
      });
      assert.deepEqual(statusesOf(scan, TREE), {
        'source-codeowners-present': 'pass',
        'source-dependency-updates-automated': 'pass',
        'source-env-files-not-committed': 'pass',
        'source-infrastructure-as-code-present': 'pass',
        'source-lockfile-committed': 'fail',
        'source-security-policy-present': 'pass',
      });
      assert.deepEqual(findingOf(scan, 'source-lockfile-committed', TREE).evidence, [
        { path: 'manifests[7]', file: 'tools/release/package.json', line: 1, detail: 'tools/release/package.json declares npm dependencies but no lockfile covers it' },
      ]);
    });
  });

  describe('a go module', () => {
    it('counts go.sum as the lockfile and skips a module without requirements', async () => {
      const scan = await scanTree(fixture('go-module'));
      const a = scan.repository.attributes;
      assert.deepEqual(a.manifests, [
        { path: 'go.mod', ecosystem: 'golang', lockfile: 'go.sum', hasDependencies: true, line: 1 },
        { path: 'tools/gen/go.mod', ecosystem: 'golang', lockfile: null, hasDependencies: false, line: 1 },
      ]);
      assert.equal(a.securityPolicy, 'docs/SECURITY.rst');
      assert.equal(a.codeowners, null);
      assert.equal(a.dependencyUpdates, null);
      assert.deepEqual(a.iac, NO_IAC);
      assert.deepEqual(statusesOf(scan, TREE), {
        'source-codeowners-present': 'fail',
        'source-dependency-updates-automated': 'fail',
        'source-env-files-not-committed': 'pass',
        'source-infrastructure-as-code-present': 'fail',
        'source-lockfile-committed': 'pass',
        'source-security-policy-present': 'pass',
      });
    });
  });

  describe('python projects', () => {
    it('flags a pyproject without a lock and an unpinned requirements file, not a pinned one', async () => {
      const scan = await scanTree(fixture('python-no-lock'));
      assert.deepEqual(scan.repository.attributes.manifests, [
        { path: 'legacy/Pipfile', ecosystem: 'pypi', lockfile: 'legacy/Pipfile.lock', hasDependencies: true, line: 1 },
        { path: 'pyproject.toml', ecosystem: 'pypi', lockfile: null, hasDependencies: true, line: 1 },
        { path: 'requirements-dev.txt', ecosystem: 'pypi', lockfile: null, hasDependencies: true, line: 1 },
        // Every requirement pinned with == (hashes and markers allowed): the file is its own lockfile.
        { path: 'requirements.txt', ecosystem: 'pypi', lockfile: 'requirements.txt', hasDependencies: true, line: 1 },
        // Only `python` under tool.poetry.dependencies and an empty list: no dependencies.
        { path: 'service/pyproject.toml', ecosystem: 'pypi', lockfile: null, hasDependencies: false, line: 1 },
      ]);
      assert.deepEqual(scan.repository.attributes.dependencyUpdates, { tool: 'renovate', path: 'renovate.json' });
      const finding = findingOf(scan, 'source-lockfile-committed', TREE);
      assert.equal(finding.status, 'fail');
      assert.deepEqual(
        finding.evidence.map((e) => e.detail),
        ['pyproject.toml declares pypi dependencies but no lockfile covers it', 'requirements-dev.txt declares pypi dependencies but no lockfile covers it'],
      );
      assert.equal(findingOf(scan, 'source-security-policy-present', TREE).status, 'fail');
    });
  });

  describe('env files', () => {
    it('passes env files that .gitignore ignores, outside a git work tree, and ignores templates', async () => {
      const scan = await scanTree(fixture('env-ignored'));
      assert.deepEqual(scan.repository.attributes.envFiles, [
        { path: '.env', line: 1, ignored: true, tracked: null },
        { path: 'services/api/.env.local', line: 1, ignored: true, tracked: null },
      ]);
      assert.equal(findingOf(scan, 'source-env-files-not-committed', TREE).status, 'pass');
      assert.equal(scan.facts.sources[0]?.calls.total, 0, 'git is not run outside a work tree');
    });

    it('fails env files not ignored, honouring a nested .gitignore that re-includes one', async () => {
      const scan = await scanTree(fixture('env-not-ignored'));
      assert.deepEqual(scan.repository.attributes.envFiles, [
        { path: '.env', line: 1, ignored: true, tracked: null },
        { path: 'services/api/.env', line: 1, ignored: false, tracked: null },
        { path: 'services/worker/.env.production', line: 1, ignored: false, tracked: null },
      ]);
      const finding = findingOf(scan, 'source-env-files-not-committed', TREE);
      assert.equal(finding.status, 'fail');
      assert.equal(finding.message, 'sample: 2 environment file(s) are committed or not ignored');
      assert.deepEqual(
        finding.evidence.map((e) => [e.line, e.detail]),
        [
          [1, 'services/api/.env (ignored by .gitignore: false; tracked by git: null)'],
          [1, 'services/worker/.env.production (ignored by .gitignore: false; tracked by git: null)'],
        ],
      );
    });

    it('asks git whether an ignored env file is tracked anyway', async function () {
      if (!gitAvailable) this.skip();
      const dir = fixture('env-ignored');
      const git = (...args: string[]) => execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd: dir, stdio: 'ignore' });
      git('init', '-q');
      git('add', '-f', '.env');
      const scan = await scanTree(dir);
      assert.deepEqual(scan.repository.attributes.envFiles, [
        { path: '.env', line: 1, ignored: true, tracked: true },
        { path: 'services/api/.env.local', line: 1, ignored: true, tracked: false },
      ]);
      const finding = findingOf(scan, 'source-env-files-not-committed', TREE);
      assert.equal(finding.status, 'fail');
      assert.deepEqual(finding.evidence.map((e) => e.detail), ['.env (ignored by .gitignore: true; tracked by git: true)']);
      assert.equal(scan.facts.sources[0]?.calls.byApi['git ls-files']?.calls, 1);
    });

    it('records tracking as unknown when the tree is a work tree but git cannot run', async () => {
      const dir = fixture('env-ignored');
      mkdirSync(path.join(dir, '.git'));
      const scan = await scanTree(dir, { env: { PATH: path.join(dir, 'no-such-bin') } });
      const envFiles = scan.repository.attributes.envFiles as { tracked: unknown }[];
      assert.match(JSON.stringify(envFiles[0]?.tracked), /git is not on PATH/);
      const finding = findingOf(scan, 'source-env-files-not-committed', TREE);
      assert.equal(finding.status, 'unknown');
      assert.match(finding.message, /git is not on PATH/);
    });
  });

  describe('workflows', () => {
    it('emits one source.workflow per file directly under .github/workflows, with its path as location', async () => {
      const scan = await scanTree(fixture('workflows'));
      assert.deepEqual([...scan.workflows.keys()], [
        '.github/workflows/broken.yml',
        '.github/workflows/ci.yml',
        '.github/workflows/pr-target.yml',
        '.github/workflows/safe.yaml',
      ]);
      const ci = scan.workflows.get('.github/workflows/ci.yml');
      assert.equal(ci?.id, `${TREE}/.github/workflows/ci.yml`);
      assert.equal(ci?.name, '.github/workflows/ci.yml');
      assert.deepEqual(ci?.location, { path: '.github/workflows/ci.yml' });
    });

    it('reads permissions, jobs, actions and reusable workflows with their lines', async () => {
      const scan = await scanTree(fixture('workflows'));
      assert.deepEqual(scan.workflows.get('.github/workflows/ci.yml')?.attributes, {
        name: 'CI',
        triggers: ['push', 'pull_request'],
        permissions: { scope: 'workflow', value: null, line: 1 },
        jobs: [
          { id: 'build', line: 9, permissions: { scope: 'job build', value: null, line: 9 }, usesReusable: false },
          { id: 'release', line: 21, permissions: { scope: 'job release', value: 'write-all', line: 23 }, usesReusable: false },
          { id: 'deploy', line: 27, permissions: { scope: 'job deploy', value: null, line: 27 }, usesReusable: true },
        ],
        // docker:// images are out of scope and not listed.
        actions: [
          { uses: 'actions/checkout@v4', line: 12, job: 'build', pinned: false, local: false, githubOwned: true, reusable: false },
          { uses: './.github/actions/setup', line: 13, job: 'build', pinned: false, local: true, githubOwned: false, reusable: false },
          { uses: 'actions/setup-node@1d0ff469b7ec7b3cb9d8673fde0c81c44821de2a', line: 14, job: 'build', pinned: true, local: false, githubOwned: true, reusable: false },
          { uses: 'some-org/lint-action@v1.2.0', line: 17, job: 'build', pinned: false, local: false, githubOwned: false, reusable: false },
          { uses: 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683', line: 25, job: 'release', pinned: true, local: false, githubOwned: true, reusable: false },
          { uses: 'acme-labs/shared-workflows/.github/workflows/deploy.yml@main', line: 28, job: 'deploy', pinned: false, local: false, githubOwned: false, reusable: true },
        ],
        untrustedCheckouts: [],
      });
      assert.deepEqual((scan.workflows.get('.github/workflows/pr-target.yml')?.attributes as { untrustedCheckouts: unknown }).untrustedCheckouts, [
        { line: 13, job: 'preview', ref: '${{ github.event.pull_request.head.sha }}', how: 'actions/checkout' },
        { line: 18, job: 'comment', ref: '${{ github.event.pull_request.number }}', how: 'gh pr checkout' },
      ]);
    });

    it('fails each workflow problem at its lines, one finding per rule and file', async () => {
      const scan = await scanTree(fixture('workflows'));
      const id = (file: string) => `${TREE}/.github/workflows/${file}`;
      const permissions = findingOf(scan, 'workflow-permissions-restricted', id('ci.yml'));
      assert.equal(permissions.status, 'fail');
      // Not set at the top, not set on two jobs, and write-all on a job.
      assert.deepEqual(permissions.evidence.map((e) => e.line), [1, 9, 23, 27]);
      assert.deepEqual(permissions.location, { path: '.github/workflows/ci.yml', line: 1 });
      assert.equal(permissions.evidence[2]?.detail, 'job release permissions are write-all; expected read-all, {} or a map of scopes (null means not set)');

      const pinned = findingOf(scan, 'workflow-actions-pinned', id('ci.yml'));
      assert.deepEqual(pinned.evidence.map((e) => [e.line, e.detail]), [
        [12, 'actions/checkout@v4 (job build) is not pinned to a full commit SHA'],
        [17, 'some-org/lint-action@v1.2.0 (job build) is not pinned to a full commit SHA'],
        [28, 'acme-labs/shared-workflows/.github/workflows/deploy.yml@main (job deploy) is not pinned to a full commit SHA'],
      ]);
      assert.deepEqual(pinned.location, { path: '.github/workflows/ci.yml', line: 12 });

      const checkout = findingOf(scan, 'workflow-no-untrusted-checkout', id('pr-target.yml'));
      assert.equal(checkout.status, 'fail');
      assert.equal(checkout.severity, 'critical');
      assert.deepEqual(checkout.evidence.map((e) => e.line), [13, 18]);
      assert.deepEqual(checkout.location, { path: '.github/workflows/pr-target.yml', line: 13 });

      assert.deepEqual(statusesOf(scan, id('ci.yml'))['workflow-no-untrusted-checkout'], 'not_applicable');
      assert.deepEqual(statusesOf(scan, id('pr-target.yml')), {
        'workflow-actions-pinned': 'pass',
        'workflow-no-untrusted-checkout': 'fail',
        'workflow-permissions-restricted': 'pass',
      });
      assert.deepEqual(statusesOf(scan, id('safe.yaml')), {
        'workflow-actions-pinned': 'pass',
        'workflow-no-untrusted-checkout': 'pass',
        'workflow-permissions-restricted': 'pass',
      });
    });

    it('exempts GitHub-owned actions only when the parameter says so', async () => {
      const scan = await scanTree(fixture('workflows'), { params: new Map([['workflow-actions-pinned', { exemptGithubOwned: true }]]) });
      const pinned = findingOf(scan, 'workflow-actions-pinned', `${TREE}/.github/workflows/ci.yml`);
      assert.deepEqual(pinned.evidence.map((e) => e.line), [17, 28]);
    });

    it('makes an invalid YAML workflow unknown for every rule, naming the line', async () => {
      const scan = await scanTree(fixture('workflows'));
      const broken = `${TREE}/.github/workflows/broken.yml`;
      assert.deepEqual(statusesOf(scan, broken), {
        'workflow-actions-pinned': 'unknown',
        'workflow-no-untrusted-checkout': 'unknown',
        'workflow-permissions-restricted': 'unknown',
      });
      assert.match(findingOf(scan, 'workflow-actions-pinned', broken).unknown?.reason ?? '', /^invalid YAML at line \d+: /);
    });
  });

  describe('bad input', () => {
    it('lists excluded paths and never reads them', async () => {
      const dir = fixture('go-module');
      mkdirSync(path.join(dir, 'node_modules', 'left-pad'), { recursive: true });
      writeFileSync(path.join(dir, 'node_modules', 'left-pad', 'package.json'), '{"dependencies":{"x":"1"}}');
      mkdirSync(path.join(dir, 'build'));
      writeFileSync(path.join(dir, 'build', '.env'), 'A=1\n');
      const scan = await scanTree(dir, { excludes: ['node_modules', 'build/'] });
      assert.deepEqual(scan.facts.excluded, ['build/', 'node_modules/']);
      assert.deepEqual((scan.repository.attributes.manifests as { path: string }[]).map((m) => m.path), ['go.mod', 'tools/gen/go.mod']);
      assert.deepEqual(scan.repository.attributes.envFiles, []);
    });

    it('skips an oversized or binary manifest with a coverage gap, never a pass or fail', async () => {
      const dir = fixture('go-module');
      mkdirSync(path.join(dir, 'web'));
      const big = JSON.stringify({ dependencies: { react: '18.3.1' }, description: 'x'.repeat(4096) });
      writeFileSync(path.join(dir, 'web', 'package.json'), big);
      mkdirSync(path.join(dir, 'blob'));
      writeFileSync(path.join(dir, 'blob', 'package.json'), Buffer.from([0x7b, 0x00, 0x7d]));
      const scan = await scanTree(dir, { limits: { timeoutMs: 10_000, concurrency: (_s, f) => f, maxFileBytes: 1024 } });
      const source = scan.facts.sources[0];
      assert.equal(source?.status, 'partial');
      assert.deepEqual(
        source?.gaps.map((g) => [g.resource, g.attributes, g.reason]),
        [
          [`${TREE}/blob/package.json`, ['manifests'], 'blob/package.json: binary file'],
          [`${TREE}/web/package.json`, ['manifests'], `web/package.json: larger than the 1024-byte file limit (${Buffer.byteLength(big)} bytes)`],
        ],
      );
      const finding = findingOf(scan, 'source-lockfile-committed', TREE);
      assert.equal(finding.status, 'unknown');
      assert.match(finding.message, /blob\/package\.json: binary file/);
    });

    it('turns a tree root that cannot be listed into unknowns and a gap', async () => {
      const scan = await scanTree(path.join(fixture('go-module'), 'no-such-dir'));
      assert.equal(scan.facts.sources[0]?.status, 'partial');
      assert.deepEqual(scan.facts.sources[0]?.gaps.map((g) => g.reason), ['. could not be listed (ENOENT)']);
      const statuses = statusesOf(scan, TREE);
      for (const rule of ['source-security-policy-present', 'source-codeowners-present', 'source-lockfile-committed', 'source-infrastructure-as-code-present', 'source-env-files-not-committed']) {
        assert.equal(statuses[rule], 'unknown', rule);
      }
    });

    it('treats a workflow that is not a mapping, or has no jobs, as unknown', async () => {
      const dir = fixture('go-module');
      mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
      writeFileSync(path.join(dir, '.github', 'workflows', 'list.yml'), '- just\n- a list\n');
      writeFileSync(path.join(dir, '.github', 'workflows', 'empty.yml'), 'name: nothing\non: push\n');
      const scan = await scanTree(dir);
      for (const file of ['list.yml', 'empty.yml']) {
        assert.deepEqual(Object.values(statusesOf(scan, `${TREE}/.github/workflows/${file}`)), ['unknown', 'unknown', 'unknown'], file);
      }
    });
  });
});
