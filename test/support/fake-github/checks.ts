import type { components } from '@octokit/openapi-types';
import type { FakeGithubFixtures } from './fixtures.js';
import { simpleUser } from './fixtures.js';

type Schemas = components['schemas'];

/**
 * The write side of the fake GitHub API that posture's CI integration uses: check runs (create and
 * update, with the Checks API's limit of 50 annotations per request and its validation answers) and
 * pull-request comments (list with Link pagination, create, update). State lives per fixtures
 * object, so each test's fake starts empty; tests read it with `checksStateOf(fixtures)`.
 */
export const CHECKS_ROUTES = [
  'POST /repos/{owner}/{repo}/check-runs',
  'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}',
  'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
] as const;

type ChecksRoute = (typeof CHECKS_ROUTES)[number];

/** What a request looks like to this module (a subset of the server's request). */
export type ChecksRequest = { route: string; path: string; params: Record<string, string>; query: URLSearchParams; body: unknown };

/** The server's answer shape. */
export type ChecksAnswer = { status: number; body?: unknown; headers?: Record<string, string> };

export type FakeCheckRun = Schemas['check-run'] & { annotations: Schemas['check-annotation'][]; repository: string };

/** One write request as received, for assertions on batching. */
export type ChecksCall = { route: ChecksRoute; annotations: number; status?: string; conclusion?: string; body: Record<string, unknown> };

export type ChecksState = {
  checkRuns: FakeCheckRun[];
  /** Pull-request comments by `owner/repo#number`. */
  comments: Map<string, Schemas['issue-comment'][]>;
  calls: ChecksCall[];
};

const states = new WeakMap<FakeGithubFixtures, ChecksState>();

/** The check runs and comments the fake holds for these fixtures. */
export const checksStateOf = (fixtures: FakeGithubFixtures): ChecksState => {
  let state = states.get(fixtures);
  if (!state) {
    state = { checkRuns: [], comments: new Map(), calls: [] };
    states.set(fixtures, state);
  }
  return state;
};

const API = 'https://api.github.com';
const DOCS = 'https://docs.github.com/rest';
const ANNOTATION_LEVELS = new Set(['notice', 'warning', 'failure']);
const CONCLUSIONS = new Set(['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out']);

const error = (status: number, message: string, documentation = DOCS): ChecksAnswer => ({ status, body: { message, documentation_url: documentation, status: String(status) } });
const invalid = (message: string): ChecksAnswer => error(422, `Invalid request.\n\n${message}`, `${DOCS}/checks/runs#create-a-check-run`);

/** The GitHub Actions app, as check runs made with an Actions token name it. */
const actionsApp = (): NonNullable<Schemas['nullable-integration']> => ({
  id: 15368,
  slug: 'github-actions',
  node_id: 'MDM6QXBwMTUzNjg=',
  owner: simpleUser('github', 'Organization'),
  name: 'GitHub Actions',
  description: 'Automate your workflow from idea to production',
  external_url: 'https://help.github.com/en/actions',
  html_url: 'https://github.com/apps/github-actions',
  created_at: '2018-07-30T09:30:17Z',
  updated_at: '2019-12-10T19:04:12Z',
  permissions: { checks: 'write', contents: 'read', metadata: 'read', pull_requests: 'write' },
  events: ['check_run', 'check_suite', 'pull_request'],
});

type AnnotationInput = { path?: unknown; start_line?: unknown; end_line?: unknown; annotation_level?: unknown; message?: unknown; title?: unknown; raw_details?: unknown };
type OutputInput = { title?: unknown; summary?: unknown; text?: unknown; annotations?: unknown };

/** Validates `output` as the Checks API does; returns an error answer or the annotations. */
const readOutput = (output: unknown): ChecksAnswer | AnnotationInput[] => {
  if (output === undefined) return [];
  if (output === null || typeof output !== 'object') return invalid('For \'properties/output\', nil is not an object.');
  const o = output as OutputInput;
  if (typeof o.title !== 'string' || typeof o.summary !== 'string') return invalid('"title" and "summary" are required keys of output.');
  if (o.summary.length > 65_535) return invalid('output.summary is too long (maximum is 65535 characters).');
  const annotations = (o.annotations ?? []) as AnnotationInput[];
  if (!Array.isArray(annotations)) return invalid('For \'properties/annotations\', it is not an array.');
  if (annotations.length > 50) return invalid(`No more than 50 items are allowed; ${annotations.length} were supplied.`);
  for (const a of annotations) {
    if (typeof a.path !== 'string' || typeof a.start_line !== 'number' || typeof a.end_line !== 'number' || typeof a.message !== 'string' || !ANNOTATION_LEVELS.has(String(a.annotation_level))) {
      return invalid('"path", "start_line", "end_line", "annotation_level" and "message" are required keys of each annotation; annotation_level is notice, warning or failure.');
    }
  }
  return annotations;
};

const toAnnotation = (run: FakeCheckRun, a: AnnotationInput): Schemas['check-annotation'] => ({
  path: a.path as string,
  start_line: a.start_line as number,
  end_line: a.end_line as number,
  start_column: null,
  end_column: null,
  annotation_level: a.annotation_level as string,
  title: typeof a.title === 'string' ? a.title : null,
  message: a.message as string,
  raw_details: typeof a.raw_details === 'string' ? a.raw_details : null,
  blob_href: `https://github.com/${run.repository}/blob/${run.head_sha}/${a.path as string}`,
});

const publicRun = (run: FakeCheckRun): Schemas['check-run'] => {
  const { annotations: _annotations, repository: _repository, ...rest } = run;
  return rest;
};

const commentKey = (params: Record<string, string>, number: string): string => `${params.owner}/${params.repo}#${number}`.toLowerCase();

/**
 * Answers the routes in CHECKS_ROUTES; undefined for any other route. `base` is the fake's own URL
 * for Link headers. Repositories the fixtures do not hold get GitHub's 404.
 */
export const handleChecksRoute = (request: ChecksRequest, fixtures: FakeGithubFixtures, base: string): ChecksAnswer | undefined => {
  if (!(CHECKS_ROUTES as readonly string[]).includes(request.route)) return undefined;
  const route = request.route as ChecksRoute;
  const p = request.params;
  const fullName = `${p.owner}/${p.repo}`;
  if (!fixtures.repositories.some((r) => r.repository.full_name.toLowerCase() === fullName.toLowerCase())) return error(404, 'Not Found');
  const state = checksStateOf(fixtures);
  const body = (request.body ?? {}) as Record<string, unknown>;
  const output = body.output as OutputInput | undefined;
  const record = () =>
    state.calls.push({
      route,
      annotations: Array.isArray(output?.annotations) ? output.annotations.length : 0,
      ...(typeof body.status === 'string' ? { status: body.status } : {}),
      ...(typeof body.conclusion === 'string' ? { conclusion: body.conclusion } : {}),
      body,
    });
  switch (route) {
    case 'POST /repos/{owner}/{repo}/check-runs': {
      record();
      if (typeof body.name !== 'string' || typeof body.head_sha !== 'string') return invalid('"name" and "head_sha" wasn\'t supplied.');
      if (!/^[0-9a-f]{40}$/.test(body.head_sha)) return error(422, 'No commit found for SHA: ' + body.head_sha, `${DOCS}/checks/runs#create-a-check-run`);
      if (body.status === 'completed' && !CONCLUSIONS.has(String(body.conclusion))) return invalid('conclusion is required when status is completed.');
      const annotations = readOutput(output);
      if (!Array.isArray(annotations)) return annotations;
      const id = 4_000_000_000 + state.checkRuns.length + 1;
      const now = new Date().toISOString();
      const run: FakeCheckRun = {
        id,
        head_sha: body.head_sha,
        node_id: `CR_fake${id}`,
        external_id: typeof body.external_id === 'string' ? body.external_id : '',
        url: `${API}/repos/${fullName}/check-runs/${id}`,
        html_url: `https://github.com/${fullName}/runs/${id}`,
        details_url: typeof body.details_url === 'string' ? body.details_url : `https://github.com/${fullName}/runs/${id}`,
        status: body.status === 'completed' ? 'completed' : body.status === 'queued' ? 'queued' : 'in_progress',
        conclusion: body.status === 'completed' ? (body.conclusion as Schemas['check-run']['conclusion']) : null,
        started_at: typeof body.started_at === 'string' ? body.started_at : now,
        completed_at: body.status === 'completed' ? (typeof body.completed_at === 'string' ? body.completed_at : now) : null,
        output: {
          title: typeof output?.title === 'string' ? output.title : null,
          summary: typeof output?.summary === 'string' ? output.summary : null,
          text: typeof output?.text === 'string' ? output.text : null,
          annotations_count: 0,
          annotations_url: `${API}/repos/${fullName}/check-runs/${id}/annotations`,
        },
        name: body.name,
        check_suite: { id: 9_000_000_000 + id },
        app: actionsApp(),
        pull_requests: [],
        annotations: [],
        repository: fullName,
      };
      run.annotations.push(...annotations.map((a) => toAnnotation(run, a)));
      run.output.annotations_count = run.annotations.length;
      state.checkRuns.push(run);
      return { status: 201, body: publicRun(run) };
    }
    case 'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}': {
      record();
      const run = state.checkRuns.find((r) => String(r.id) === p.check_run_id && r.repository.toLowerCase() === fullName.toLowerCase());
      if (!run) return error(404, 'Not Found', `${DOCS}/checks/runs#update-a-check-run`);
      if (body.status === 'completed' && !CONCLUSIONS.has(String(body.conclusion)) && !body.conclusion) return invalid('conclusion is required when status is completed.');
      const annotations = readOutput(output);
      if (!Array.isArray(annotations)) return annotations;
      // Annotations are appended on every update, as the Checks API documents.
      run.annotations.push(...annotations.map((a) => toAnnotation(run, a)));
      if (output) run.output = { ...run.output, title: output.title as string, summary: output.summary as string, ...(typeof output.text === 'string' ? { text: output.text } : {}), annotations_count: run.annotations.length };
      if (typeof body.conclusion === 'string') {
        run.status = 'completed';
        run.conclusion = body.conclusion as Schemas['check-run']['conclusion'];
        run.completed_at = typeof body.completed_at === 'string' ? body.completed_at : new Date().toISOString();
      } else if (body.status === 'in_progress' || body.status === 'queued') run.status = body.status;
      return { status: 200, body: publicRun(run) };
    }
    case 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': {
      const all = state.comments.get(commentKey(p, p.issue_number ?? '')) ?? [];
      const perPage = Math.min(Number(request.query.get('per_page') ?? 30) || 30, 100);
      const page = Math.max(Number(request.query.get('page') ?? 1) || 1, 1);
      const last = Math.max(Math.ceil(all.length / perPage), 1);
      const link = (n: number) => {
        const query = new URLSearchParams(request.query);
        query.set('per_page', String(perPage));
        query.set('page', String(n));
        return `<${base}${request.path}?${query.toString()}>`;
      };
      const links = [...(page < last ? [`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`] : []), ...(page > 1 ? [`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`] : [])];
      return { status: 200, body: all.slice((page - 1) * perPage, page * perPage), ...(links.length ? { headers: { link: links.join(', ') } } : {}) };
    }
    case 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': {
      record();
      if (typeof body.body !== 'string' || body.body === '') return error(422, 'Validation Failed', `${DOCS}/issues/comments#create-an-issue-comment`);
      if (body.body.length > 65_536) return error(422, 'Validation Failed: body is too long (maximum is 65536 characters)', `${DOCS}/issues/comments#create-an-issue-comment`);
      const comment = seedComment(fixtures, fullName, Number(p.issue_number), body.body, 'github-actions[bot]');
      return { status: 201, body: comment };
    }
    case 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': {
      record();
      if (typeof body.body !== 'string' || body.body === '') return error(422, 'Validation Failed', `${DOCS}/issues/comments#update-an-issue-comment`);
      for (const [key, list] of state.comments) {
        if (!key.startsWith(`${fullName.toLowerCase()}#`)) continue;
        const comment = list.find((c) => String(c.id) === p.comment_id);
        if (!comment) continue;
        comment.body = body.body;
        comment.updated_at = new Date().toISOString();
        return { status: 200, body: comment };
      }
      return error(404, 'Not Found', `${DOCS}/issues/comments#update-an-issue-comment`);
    }
  }
};

/** Adds a comment to a pull request, as a test's starting state or as the fake's own answer to a create. */
export const seedComment = (fixtures: FakeGithubFixtures, fullName: string, number: number, body: string, login: string): Schemas['issue-comment'] => {
  const state = checksStateOf(fixtures);
  const key = `${fullName}#${number}`.toLowerCase();
  const list = state.comments.get(key) ?? [];
  const id = 7_000_000_000 + [...state.comments.values()].reduce((n, l) => n + l.length, 0) + 1;
  const now = new Date().toISOString();
  const comment: Schemas['issue-comment'] = {
    id,
    node_id: `IC_fake${id}`,
    url: `${API}/repos/${fullName}/issues/comments/${id}`,
    html_url: `https://github.com/${fullName}/pull/${number}#issuecomment-${id}`,
    body,
    user: { ...simpleUser(login), ...(login.endsWith('[bot]') ? { type: 'Bot' } : {}) },
    created_at: now,
    updated_at: now,
    issue_url: `${API}/repos/${fullName}/issues/${number}`,
    author_association: login.endsWith('[bot]') ? 'NONE' : 'MEMBER',
  };
  list.push(comment);
  state.comments.set(key, list);
  return comment;
};
