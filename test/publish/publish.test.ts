import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PostureError } from '../../src/cli/errors.js';
import { applyBaseline } from '../../src/diff/index.js';
import { createPublisher, githubContext, PR_COMMENT_MARKER, type PublishDeps } from '../../src/publish/index.js';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { checksStateOf, seedComment } from '../support/fake-github/checks.js';
import type { FakeGithub } from '../support/fake-github/server.js';
import { actionsEnv, HEAD_SHA, MERGE_SHA, memoryLogger, startCiFakeGithub, unpinnedWorkflows } from '../support/ci-github.js';
import { ciResources, ciResult } from '../support/ci-results.js';

const deps = (env: NodeJS.ProcessEnv, log: ReturnType<typeof memoryLogger>, out: string[]): PublishDeps => ({
  logger: log.logger,
  env,
  redact: (text) => text.replace(/SECRET-VALUE-\w+/g, '[secret:test:00000000]'),
  write: (line) => out.push(line),
  tool: { name: 'posture', version: 'test' },
  octokit: { retryAfterBaseMs: 1 },
});

const failing = { code: 1, reasons: ['120 failing finding(s) at or above medium'] };

describe('publishing to GitHub', function () {
  this.timeout(30_000);
  let fake: FakeGithub;
  let actions: ReturnType<typeof actionsEnv>;
  beforeEach(async () => {
    fake = await startCiFakeGithub('private');
    actions = actionsEnv(fake);
  });
  afterEach(async () => {
    actions.cleanup();
    await fake.close();
  });

  it('sends 120 annotations as exactly create (50) + update (50) + update (20, with the conclusion)', async () => {
    const result = ciResult({ resources: unpinnedWorkflows(120) });
    const log = memoryLogger();
    const out: string[] = [];
    const publisher = createPublisher({ githubCheck: true }, deps(actions.env, log, out));
    const outcome = await publisher.publish({ result, decision: failing, markdown: renderMarkdown(result) });
    const state = checksStateOf(fake.fixtures);
    assert.deepEqual(
      state.calls.map((c) => [c.route, c.annotations, c.status ?? null, c.conclusion ?? null]),
      [
        ['POST /repos/{owner}/{repo}/check-runs', 50, 'in_progress', null],
        ['PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', 50, null, null],
        ['PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', 20, 'completed', 'failure'],
      ],
    );
    assert.equal(fake.count('POST /repos/{owner}/{repo}/check-runs') + fake.count('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}'), 3);
    const run = state.checkRuns[0]!;
    assert.equal(run.annotations.length, 120);
    assert.equal(run.status, 'completed');
    assert.equal(run.conclusion, 'failure');
    assert.equal(run.head_sha, HEAD_SHA, 'the pull request head, not the merge commit GITHUB_SHA');
    assert.equal(run.name, 'posture');
    assert.equal(run.details_url, 'https://github.com/acme/rockets/actions/runs/42');
    assert.match(run.output.title ?? '', /^120 failing finding\(s\) \(120 medium\)/);
    assert.match(run.output.summary ?? '', /\*\*Gate: failure\*\* \(exit code 1\)/);
    assert.deepEqual(new Set(run.annotations.map((a) => a.annotation_level)), new Set(['warning']));
    assert.equal(run.annotations[0]!.path, '.github/workflows/w000.yml');
    assert.equal(run.annotations[0]!.start_line, 7);
    assert.equal(outcome.checkRun?.requests, 3);
    assert.equal(out.length, 0, 'no workflow commands when the check run worked');
    assert.match(readFileSync(actions.summary, 'utf8'), /# posture report/, 'the Markdown report is appended to the step summary');
  });

  it('sends 50 annotations or fewer in one request that completes the run; success when nothing fails the gate', async () => {
    const result = ciResult({ resources: unpinnedWorkflows(50) });
    const publisher = createPublisher({ githubCheck: true }, deps(actions.env, memoryLogger(), []));
    await publisher.publish({ result, decision: { code: 0, reasons: [] }, markdown: '# report' });
    const state = checksStateOf(fake.fixtures);
    assert.deepEqual(state.calls.map((c) => [c.annotations, c.status, c.conclusion]), [[50, 'completed', 'success']]);
  });

  it('concludes failure for an incomplete scan (exit 3) too', async () => {
    const result = ciResult({ resources: [] });
    await createPublisher({ githubCheck: true }, deps(actions.env, memoryLogger(), [])).publish({ result, decision: { code: 3, reasons: ['source aws-s3 is partial'] }, markdown: '# r' });
    const run = checksStateOf(fake.fixtures).checkRuns[0]!;
    assert.equal(run.conclusion, 'failure');
    assert.match(run.output.title ?? '', /^Incomplete scan: source aws-s3 is partial/);
  });

  it('falls back to workflow commands on 403, says so once, and emits at most 10 per level plus one summary line', async () => {
    fake.faults.push({ kind: 'forbidden', route: 'POST /repos/{owner}/{repo}/check-runs' });
    const result = ciResult({ resources: [...unpinnedWorkflows(14), ...ciResources()] });
    const log = memoryLogger();
    const out: string[] = [];
    const outcome = await createPublisher({ githubCheck: true }, deps(actions.env, log, out)).publish({ result, decision: failing, markdown: '# r' });
    assert.match(outcome.fallback ?? '', /may not create check runs on acme\/rockets \(HTTP 403/);
    const said = log.lines.filter((l) => /workflow commands instead/.test(l));
    assert.equal(said.length, 1, log.lines.join('\n'));
    const byLevel = (level: string) => out.filter((l) => l.startsWith(`::${level} `));
    assert.equal(byLevel('warning').length, 10, 'medium findings: the ten first of 16');
    assert.ok(byLevel('error').length >= 1 && byLevel('error').length <= 10);
    assert.ok(out.every((l) => l.startsWith('::') || l.startsWith('posture: ')));
    const summary = out.filter((l) => l.startsWith('posture: '));
    assert.equal(summary.length, 1);
    assert.match(summary[0]!, /6 warning annotation\(s\) not shown \(GitHub shows at most 10 per level per step\)/);
    assert.match(summary[0]!, /failing finding\(s\) without a file location/);
    assert.ok(byLevel('error').some((l) => l.startsWith('::error file=package-lock.json,line=200,title=posture critical%3A dependency-no-known-vulnerabilities::')), byLevel('error').join('\n'));
    assert.equal(checksStateOf(fake.fixtures).checkRuns.length, 0);
  });

  it('falls back to workflow commands without a token', async () => {
    const noToken = actionsEnv(fake, { token: null });
    try {
      const log = memoryLogger();
      const out: string[] = [];
      const outcome = await createPublisher({ githubCheck: true }, deps(noToken.env, log, out)).publish({ result: ciResult(), decision: failing, markdown: '# r' });
      assert.match(outcome.fallback ?? '', /no token/);
      assert.ok(out.some((l) => l.startsWith('::error file=')));
      assert.equal(fake.log.length, 0, 'no request without a token');
    } finally {
      noToken.cleanup();
    }
  });

  it('completes the run with its conclusion when an update fails, then annotates with workflow commands', async () => {
    fake.faults.push({ kind: 'server-error', route: 'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', times: 3 });
    const result = ciResult({ resources: unpinnedWorkflows(60) });
    const out: string[] = [];
    const outcome = await createPublisher({ githubCheck: true }, deps(actions.env, memoryLogger(), out)).publish({ result, decision: failing, markdown: '# r' });
    const run = checksStateOf(fake.fixtures).checkRuns[0]!;
    assert.equal(run.status, 'completed');
    assert.equal(run.conclusion, 'failure');
    assert.match(run.output.summary ?? '', /Some annotations could not be sent/);
    assert.match(outcome.fallback ?? '', /could not be published/);
    assert.ok(out.length > 0);
  });

  it('redacts everything it sends', async () => {
    const resources = unpinnedWorkflows(1);
    resources[0]!.name = 'w SECRET-VALUE-abc';
    const result = ciResult({ resources });
    await createPublisher({ githubCheck: true, prComment: true }, deps(actions.env, memoryLogger(), [])).publish({ result, decision: failing, markdown: renderMarkdown(result) });
    const state = checksStateOf(fake.fixtures);
    const sent = JSON.stringify(state.calls.map((c) => c.body));
    assert.ok(sent.includes('[secret:test:00000000]'), 'the redacted marker is there');
    assert.ok(!sent.includes('SECRET-VALUE'), 'no secret value reaches GitHub');
    assert.ok(!readFileSync(actions.summary, 'utf8').includes('SECRET-VALUE'));
  });

  it('keeps one sticky pull-request comment with the diff, updated in place and found across pages', async () => {
    // 120 earlier comments: posture's own is on the second page of 100.
    for (let i = 0; i < 110; i++) seedComment(fake.fixtures, 'acme/rockets', 7, `comment ${i}`, 'octocat');
    seedComment(fake.fixtures, 'acme/rockets', 7, `${PR_COMMENT_MARKER}\nan old report`, 'github-actions[bot]');
    seedComment(fake.fixtures, 'acme/rockets', 7, `${PR_COMMENT_MARKER}\nsomeone copied the marker`, 'mallory');
    const baseline = ciResult({ scanTime: '2026-02-01T00:00:00.000Z', resources: ciResources().filter((r) => !r.id.endsWith('release.yml')) });
    const { result, diff } = applyBaseline(ciResult(), baseline);
    const publisher = createPublisher({ prComment: true }, deps(actions.env, memoryLogger(), []));
    const first = await publisher.publish({ result, decision: failing, markdown: '# r', diff });
    assert.equal(first.prComment?.action, 'updated');
    const comments = checksStateOf(fake.fixtures).comments.get('acme/rockets#7')!;
    assert.equal(comments.length, 112, 'no new comment');
    const sticky = comments.find((c) => c.user?.login === 'github-actions[bot]')!;
    assert.ok(sticky.body!.startsWith(PR_COMMENT_MARKER));
    assert.match(sticky.body!, /## posture: changes since the baseline/);
    assert.match(sticky.body!, /\*\*1 new\*\* failing finding/);
    assert.match(sticky.body!, /release\.yml/);
    assert.equal(comments.find((c) => c.user?.login === 'mallory')!.body, `${PR_COMMENT_MARKER}\nsomeone copied the marker`, "another author's comment is left alone");
    const again = await publisher.publish({ result, decision: failing, markdown: '# r', diff });
    assert.equal(again.prComment?.action, 'unchanged');
    assert.ok(fake.log.some((e) => e.route === 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments' && /page=2/.test(e.search)), 'paginated');
  });

  it('creates the comment when there is none, and skips it outside pull requests', async () => {
    const publisher = createPublisher({ prComment: true }, deps(actions.env, memoryLogger(), []));
    const created = await publisher.publish({ result: ciResult(), decision: failing, markdown: '# the report' });
    assert.equal(created.prComment?.action, 'created');
    assert.match(checksStateOf(fake.fixtures).comments.get('acme/rockets#7')![0]!.body!, /No baseline was given/);
    const push = actionsEnv(fake, { eventName: 'push', event: { repository: { full_name: 'acme/rockets', private: true } } });
    try {
      const log = memoryLogger();
      const outcome = await createPublisher({ prComment: true }, deps(push.env, log, [])).publish({ result: ciResult(), decision: failing, markdown: '# r' });
      assert.equal(outcome.prComment, undefined);
      assert.ok(log.lines.some((l) => /outside a pull-request event/.test(l)));
    } finally {
      push.cleanup();
    }
  });
});

describe('the GitHub Actions context', () => {
  it('takes the head SHA from the pull-request event, GITHUB_SHA otherwise, and --check-sha over both', async () => {
    const fake = await startCiFakeGithub();
    const pr = actionsEnv(fake);
    const push = actionsEnv(fake, { eventName: 'push', event: { repository: { full_name: 'acme/rockets', private: true } } });
    try {
      assert.equal(githubContext(pr.env).sha, HEAD_SHA);
      assert.equal(githubContext(pr.env).pullRequest, 7);
      assert.equal(githubContext(push.env).sha, MERGE_SHA);
      assert.equal(githubContext(pr.env, { checkSha: 'd'.repeat(40) }).sha, 'd'.repeat(40));
      assert.deepEqual(githubContext(pr.env, { checkRepo: 'other/repo' }).repository, { owner: 'other', repo: 'repo' });
      assert.equal(githubContext({ ...pr.env, POSTURE_GITHUB_TOKEN: 'p' }).tokenSource, 'GITHUB_TOKEN', "check runs need Actions' app token");
      assert.equal(githubContext({ ...pr.env, GITHUB_TOKEN: '', POSTURE_GITHUB_TOKEN: 'p' }).tokenSource, 'POSTURE_GITHUB_TOKEN');
      assert.throws(() => githubContext(pr.env, { checkRepo: 'not a repo' }), (e: unknown) => e instanceof PostureError && /is not OWNER\/REPO/.test(e.message));
      assert.throws(() => githubContext(pr.env, { checkSha: 'abc' }), /not a full 40-character commit SHA/);
      assert.throws(() => createPublisher({ githubCheck: true }, deps({}, memoryLogger(), [])), /--github-check needs the repository/);
      assert.throws(() => createPublisher({ githubCheck: true, checkRepo: 'a/b' }, deps({}, memoryLogger(), [])), /--github-check needs the commit/);
    } finally {
      pr.cleanup();
      push.cleanup();
      await fake.close();
    }
  });
});

describe('SARIF limits', () => {
  it('warns before writing report.sarif when GitHub\'s limits leave results out', async () => {
    const log = memoryLogger();
    const publisher = createPublisher({}, { ...deps({}, log, []), sarif: { maxResultsPerRun: 20 } });
    await publisher.guardSarif(ciResult({ resources: unpinnedWorkflows(30) }), ['sarif']);
    assert.ok(log.lines.some((l) => /report\.sarif leaves out 10 result\(s\) of source to stay within GitHub's limits/.test(l)), log.lines.join('\n'));
    const quiet = memoryLogger();
    await createPublisher({}, { ...deps({}, quiet, []), sarif: { maxResultsPerRun: 20 } }).guardSarif(ciResult({ resources: unpinnedWorkflows(30) }), ['json']);
    assert.deepEqual(quiet.lines, [], 'nothing to say without sarif');
  });
});

describe('SARIF upload guard for public repositories', function () {
  this.timeout(20_000);
  const guard = async (visibility: 'public' | 'private', options: { event?: Record<string, unknown>; allow?: boolean; sourceOnly?: boolean; faults?: boolean } = {}) => {
    const fake = await startCiFakeGithub(visibility);
    if (options.faults) fake.faults.push({ kind: 'server-error', route: 'GET /repos/{owner}/{repo}' });
    const env = actionsEnv(fake, { eventName: 'push', event: options.event ?? {} });
    try {
      const result = options.sourceOnly ? ciResult({ resources: ciResources().filter((r) => r.kind.startsWith('source.')) }) : ciResult();
      await createPublisher({ ...(options.allow ? { allowPublicUpload: true } : {}) }, deps(env.env, memoryLogger(), [])).guardSarif(result, ['json', 'sarif']);
      return { error: undefined, requests: fake.log.map((e) => e.route) };
    } catch (error) {
      return { error: error as Error, requests: fake.log.map((e) => e.route) };
    } finally {
      env.cleanup();
      await fake.close();
    }
  };

  it('refuses cloud findings for a public repository, known from the event payload', async () => {
    const { error, requests } = await guard('public', { event: { repository: { full_name: 'acme/rockets', private: false, visibility: 'public' } } });
    assert.ok(error instanceof PostureError);
    assert.match(error.message, /refusing to write report\.sarif with cloud and organisation findings \(aws\/123456789012, github\/acme\): acme\/rockets is public \(the event payload\).*--allow-public-upload/);
    assert.deepEqual(requests, [], 'the payload answered: no API call');
  });

  it('asks the API when the event does not say, and refuses a public repository', async () => {
    const { error, requests } = await guard('public');
    assert.match(error?.message ?? '', /acme\/rockets is public \(GET \/repos\/\{owner\}\/\{repo\}\)/);
    assert.deepEqual(requests, ['GET /repos/{owner}/{repo}']);
  });

  it('refuses when visibility cannot be told, allows private repositories, --allow-public-upload and source-only SARIF', async () => {
    assert.match((await guard('private', { faults: true })).error?.message ?? '', /cannot tell whether acme\/rockets is public/);
    assert.equal((await guard('private')).error, undefined);
    assert.equal((await guard('public', { allow: true })).error, undefined);
    assert.equal((await guard('public', { sourceOnly: true })).error, undefined);
  });
});
