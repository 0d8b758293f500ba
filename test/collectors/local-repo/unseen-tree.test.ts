import assert from 'node:assert/strict';
import { copyFixture, findingOf, scanTree, type Scan } from './scan.js';

// fixtures/local-repo/unseen-shop is a tree no rule test case was written from: a pnpm workspace
// with a package its globs exclude, Renovate configured in package.json, a Gemfile with its lock,
// a Pulumi project, an env file nobody ignored, and a workflow_run workflow that checks out the
// triggering run's head with a write-all job.
const TREE = 'https://git.example.com/shop/unseen-shop';
const WORKFLOW = (file: string) => `${TREE}/.github/workflows/${file}`;

type Expected = { rule: string; resource: string; status: string; path?: string; lines?: number[]; mentions?: string[] };

const EXPECTED: Expected[] = [
  { rule: 'source-security-policy-present', resource: TREE, status: 'pass' },
  { rule: 'source-codeowners-present', resource: TREE, status: 'fail' },
  { rule: 'source-dependency-updates-automated', resource: TREE, status: 'pass' },
  { rule: 'source-lockfile-committed', resource: TREE, status: 'fail', lines: [1], mentions: ['apps/legacy/package.json'] },
  { rule: 'source-infrastructure-as-code-present', resource: TREE, status: 'pass' },
  { rule: 'source-env-files-not-committed', resource: TREE, status: 'fail', lines: [1], mentions: ['.env.production'] },
  { rule: 'workflow-permissions-restricted', resource: WORKFLOW('deploy.yml'), status: 'fail', path: '.github/workflows/deploy.yml', lines: [11], mentions: ['job report', 'write-all'] },
  { rule: 'workflow-actions-pinned', resource: WORKFLOW('deploy.yml'), status: 'fail', path: '.github/workflows/deploy.yml', lines: [13], mentions: ['actions/download-artifact@v4'] },
  { rule: 'workflow-no-untrusted-checkout', resource: WORKFLOW('deploy.yml'), status: 'fail', path: '.github/workflows/deploy.yml', lines: [16], mentions: ['github.event.workflow_run.head_sha'] },
  { rule: 'workflow-permissions-restricted', resource: WORKFLOW('lint.yml'), status: 'pass' },
  { rule: 'workflow-actions-pinned', resource: WORKFLOW('lint.yml'), status: 'pass' },
  { rule: 'workflow-no-untrusted-checkout', resource: WORKFLOW('lint.yml'), status: 'not_applicable' },
];

describe('local-repo on a tree no rule test has seen', () => {
  let scan: Scan;
  let cleanup: () => void;
  before(async () => {
    const copy = copyFixture('unseen-shop');
    cleanup = copy.cleanup;
    scan = await scanTree(copy.dir, { treeId: TREE });
  });
  after(() => cleanup());

  it('gives exactly the expected findings', () => {
    assert.deepEqual(
      scan.result.findings.map((f) => `${f.ruleId} ${f.resource.id}`).sort(),
      EXPECTED.map((e) => `${e.rule} ${e.resource}`).sort(),
    );
  });

  for (const expected of EXPECTED) {
    it(`${expected.rule} is ${expected.status} on ${expected.resource.replace(`${TREE}/`, '')}`, () => {
      const finding = findingOf(scan, expected.rule, expected.resource);
      assert.equal(finding.status, expected.status, finding.message);
      if (expected.lines) assert.deepEqual(finding.evidence.map((e) => e.line), expected.lines);
      if (expected.path) assert.deepEqual(finding.location, { path: expected.path, line: expected.lines?.[0] });
      for (const mention of expected.mentions ?? []) {
        assert.ok(finding.evidence.some((e) => e.detail.includes(mention)), `evidence should mention ${mention}: ${JSON.stringify(finding.evidence)}`);
      }
    });
  }
});
