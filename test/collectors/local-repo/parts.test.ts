import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findManifests } from '../../../src/collectors/local-repo/manifests.js';
import { findCodeowners, findSecurityPolicy } from '../../../src/collectors/local-repo/security-files.js';
import { outlineToml } from '../../../src/collectors/local-repo/toml-lines.js';
import { createTreeFiles } from '../../../src/collectors/local-repo/tree-files.js';
import { classifyUses, collectWorkflows, parseWorkflow } from '../../../src/collectors/local-repo/workflows.js';
import { isWorkspaceMember } from '../../../src/collectors/local-repo/workspace-globs.js';
import { isEnvFile } from '../../../src/collectors/local-repo/env-files.js';
import { listTree } from '../../../src/util/tree.js';

describe('local-repo parts', () => {
  it('classifies uses: references', () => {
    assert.deepEqual(classifyUses('actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683'), { pinned: true, local: false, githubOwned: true });
    assert.deepEqual(classifyUses('GitHub/codeql-action/init@v3'), { pinned: false, local: false, githubOwned: true });
    // A 40-character tag that is not hex, and a short SHA, are not pins.
    assert.equal(classifyUses('acme/x@release-2024-01-01-0000000000000000000')?.pinned, false);
    assert.equal(classifyUses('acme/x@11bd719')?.pinned, false);
    assert.equal(classifyUses('acme/x')?.pinned, false);
    assert.deepEqual(classifyUses('./.github/workflows/reuse.yml'), { pinned: false, local: true, githubOwned: false });
    assert.equal(classifyUses('docker://ghcr.io/acme/tool:1'), undefined);
  });

  it('matches workspace globs, with negations and excludes', () => {
    assert.ok(isWorkspaceMember('packages/api', ['packages/*']));
    assert.ok(!isWorkspaceMember('packages/api/nested', ['packages/*']));
    assert.ok(isWorkspaceMember('packages/api/nested', ['packages/**']));
    assert.ok(isWorkspaceMember('apps/web', ['./apps/*/']));
    assert.ok(!isWorkspaceMember('apps/legacy', ['apps/*', '!apps/legacy']));
    assert.ok(!isWorkspaceMember('crates/old', ['crates/*'], ['crates/old']));
    assert.ok(!isWorkspaceMember('tools', ['packages/*']));
  });

  it('outlines TOML tables, dotted keys, multi-line arrays and comments', () => {
    const { tables, entries } = outlineToml(
      ['[project]', 'name = "x"', 'dependencies = [', '  "a>=1", # ] not the end', '  "b",', ']', 'tool.uv.dev-dependencies = []', '', "[tool.poetry.dependencies]", 'python = "^3.12"', 'description = """', 'dependencies = [1]', '"""'].join('\n'),
    );
    assert.deepEqual([...tables], ['project', 'tool.poetry.dependencies']);
    assert.deepEqual(
      entries.map((e) => [e.table, e.key, e.line]),
      [
        ['project', 'name', 2],
        ['project', 'dependencies', 3],
        ['project.tool.uv', 'dev-dependencies', 7],
        ['tool.poetry.dependencies', 'python', 10],
        ['tool.poetry.dependencies', 'description', 11],
      ],
    );
  });

  it('knows env files from their templates', () => {
    assert.deepEqual(
      ['.env', '.env.local', '.env.production', '.env.example', '.env.sample', '.env.template', '.envrc', 'env', '.environment'].map(isEnvFile),
      [true, true, true, false, false, false, false, false, false],
    );
  });

  it('records a gap naming the file when a needed file cannot be read, and unknowns where a directory could not be listed', () => {
    const files = createTreeFiles(
      'https://github.com/acme/x',
      {
        files: [
          { path: '.github/workflows/ci.yml', absolute: '/nonexistent/posture/ci.yml', size: 10 },
          { path: 'package.json', absolute: '/nonexistent/posture/package.json', size: 10 },
        ],
        excluded: [],
        unreadable: [{ path: 'docs', reason: 'EACCES' }],
      },
      1024,
    );
    const [workflow] = collectWorkflows(files);
    assert.deepEqual(workflow?.attributes.actions, { $unknown: { reason: '.github/workflows/ci.yml: unreadable (ENOENT)' } });
    assert.deepEqual(findSecurityPolicy(files), { $unknown: { reason: 'docs could not be listed (EACCES), so a security policy may be there', permission: 'read' } });
    assert.deepEqual(findCodeowners(files), { $unknown: { reason: 'docs could not be listed (EACCES), so a CODEOWNERS file may be there', permission: 'read' } });
    assert.deepEqual(findManifests(files), [
      { path: 'package.json', ecosystem: 'npm', lockfile: null, hasDependencies: { $unknown: { reason: 'package.json: unreadable (ENOENT)' } }, line: 1 },
      { $unknown: { reason: 'docs could not be listed (EACCES); manifests in it were not seen', permission: 'read' } },
    ]);
    assert.deepEqual(
      files.gaps.map((g) => [g.resource, g.attributes]),
      [
        ['https://github.com/acme/x/.github/workflows/ci.yml', ['name', 'triggers', 'permissions', 'jobs', 'actions', 'untrustedCheckouts']],
        ['https://github.com/acme/x/package.json', ['manifests']],
      ],
    );
  });

  it('reads every form of on: and treats permissions: {} as set', () => {
    const jobs = 'jobs:\n  a:\n    runs-on: x\n    steps: []\n';
    assert.deepEqual(parseWorkflow(`on: push\n${jobs}`).triggers, ['push']);
    assert.deepEqual(parseWorkflow(`on: [push, pull_request_target]\n${jobs}`).triggers, ['push', 'pull_request_target']);
    assert.deepEqual(parseWorkflow(`on:\n  workflow_run:\n    workflows: [x]\n${jobs}`).triggers, ['workflow_run']);
    assert.deepEqual(parseWorkflow(`on: push\npermissions: {}\n${jobs}`).permissions, { scope: 'workflow', value: {}, line: 2 });
  });

  it('finds head checkouts by git in run steps and through the fork repository', () => {
    const attributes = parseWorkflow(
      [
        'on: pull_request_target',
        'jobs:',
        '  a:',
        '    runs-on: x',
        '    steps:',
        '      - uses: actions/checkout@v4',
        '        with:',
        '          repository: ${{ github.event.pull_request.head.repo.full_name }}',
        '      - run: git fetch origin ${{ github.event.pull_request.head.ref }} && git checkout FETCH_HEAD',
        '      - run: echo ${{ github.event.pull_request.head.sha }}',
      ].join('\n'),
    );
    assert.deepEqual(attributes.untrustedCheckouts, [
      { line: 8, job: 'a', ref: '${{ github.event.pull_request.head.repo.full_name }}', how: 'actions/checkout' },
      { line: 9, job: 'a', ref: 'github.event.pull_request.head.ref', how: 'git' },
    ]);
  });
});

describe('local-repo workflow aliases', () => {
  it('resolves YAML aliases, so an aliased action or step is still seen', () => {
    const attributes = parseWorkflow(
      [
        'on: pull_request_target',
        'jobs:',
        '  a:',
        '    runs-on: x',
        '    steps:',
        '      - &checkout',
        '        uses: &co actions/checkout@v4',
        '        with: { ref: "${{ github.head_ref }}" }',
        '  b:',
        '    runs-on: x',
        '    steps:',
        '      - *checkout',
        '      - uses: *co',
      ].join('\n'),
    );
    assert.deepEqual(
      (attributes.actions as { uses: string; line: number; job: string }[]).map((a) => [a.job, a.uses, a.line]),
      [
        ['a', 'actions/checkout@v4', 7],
        ['b', 'actions/checkout@v4', 7],
        ['b', 'actions/checkout@v4', 13],
      ],
    );
    assert.equal((attributes.untrustedCheckouts as unknown[]).length, 2);
  });
});

describe('local-repo requirements files', () => {
  const manifestOf = (text: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'posture-req-'));
    try {
      writeFileSync(path.join(dir, 'requirements.txt'), text);
      const files = createTreeFiles('t', listTree(dir, []), 1024 * 1024);
      return findManifests(files)[0];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('pins itself only when every requirement is name==version', () => {
    assert.equal((manifestOf('-e .\nrequests==2.32.3\n# comment\n--index-url https://pypi.example/simple\n') as { lockfile: unknown }).lockfile, 'requirements.txt');
    assert.equal((manifestOf('requests==2.32.3\nurllib3>=2\n') as { lockfile: unknown }).lockfile, null);
    assert.equal((manifestOf('requests==2.*\n') as { lockfile: unknown }).lockfile, null);
    assert.deepEqual(manifestOf('# nothing\n-r base.txt\n'), { path: 'requirements.txt', ecosystem: 'pypi', lockfile: 'requirements.txt', hasDependencies: false, line: 1 });
  });
});

describe('local-repo hostile workflows', () => {
  it('turns an alias bomb into unknowns for that workflow only', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const bomb = `on: push\n${levels.join('\n')}\njobs:\n  x:\n    runs-on: y\n    permissions: *h\n    steps: []\n`;
    assert.throws(() => parseWorkflow(bomb), /alias/i);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'posture-bomb-'));
    try {
      mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
      writeFileSync(path.join(dir, '.github', 'workflows', 'bomb.yml'), bomb);
      const [workflow] = collectWorkflows(createTreeFiles('t', listTree(dir, []), 1024 * 1024));
      assert.match(JSON.stringify(workflow?.attributes.permissions), /could not be read as a workflow/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
