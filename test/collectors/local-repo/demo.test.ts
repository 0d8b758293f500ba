import assert from 'node:assert/strict';
import { copyFixture, findingOf, scanTree, type Scan } from './scan.js';

// The demo estate's source tree must keep showing what its README promises, whatever other
// collectors add to it.
const TREE = 'https://github.com/acme-rockets/platform';
const workflow = (file: string) => `${TREE}/.github/workflows/${file}`;

describe('local-repo on the demo estate (fixtures/demo)', () => {
  let scan: Scan;
  let cleanup: () => void;
  before(async () => {
    const copy = copyFixture('../demo');
    cleanup = copy.cleanup;
    scan = await scanTree(copy.dir, { treeId: TREE });
  });
  after(() => cleanup());

  it('finds the planted source-tree problems', () => {
    assert.equal(findingOf(scan, 'source-security-policy-present', TREE).status, 'fail');
    assert.equal(findingOf(scan, 'source-dependency-updates-automated', TREE).status, 'fail');
    const lockfile = findingOf(scan, 'source-lockfile-committed', TREE);
    assert.equal(lockfile.status, 'fail');
    assert.ok(lockfile.evidence.some((e) => e.detail.startsWith('services/telemetry/package.json ')));
    const env = findingOf(scan, 'source-env-files-not-committed', TREE);
    assert.equal(env.status, 'fail');
    assert.ok(env.evidence.some((e) => e.detail.startsWith('.env ')));
  });

  it('finds the planted workflow problems at their lines', () => {
    assert.deepEqual(findingOf(scan, 'workflow-permissions-restricted', workflow('ci.yml')).location, { path: '.github/workflows/ci.yml', line: 8 });
    assert.deepEqual(findingOf(scan, 'workflow-actions-pinned', workflow('ci.yml')).evidence.map((e) => e.line), [18, 30, 34]);
    assert.deepEqual(findingOf(scan, 'workflow-no-untrusted-checkout', workflow('preview.yml')).evidence.map((e) => e.line), [17]);
  });

  it('passes what is in order', () => {
    assert.equal(findingOf(scan, 'source-codeowners-present', TREE).status, 'pass');
    assert.equal(findingOf(scan, 'source-infrastructure-as-code-present', TREE).status, 'pass');
    for (const rule of ['workflow-permissions-restricted', 'workflow-actions-pinned']) {
      assert.equal(findingOf(scan, rule, workflow('release.yml')).status, 'pass', rule);
      assert.equal(findingOf(scan, rule, workflow('preview.yml')).status, 'pass', rule);
    }
  });
});
