import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { unknown, type Resource, type Unknown } from '../../facts/types.js';
import type { TreeFiles } from './tree-files.js';
import type { PermissionsDeclaration, UntrustedCheckout, WorkflowAction, WorkflowAttributes, WorkflowJob } from './types.js';

const WORKFLOW_FILE = /^\.github\/workflows\/[^/]+\.ya?ml$/;
const FULL_SHA = /^[0-9a-f]{40}$/i;
const CHECKOUT = /^actions\/checkout(@|$)/i;
/** Expressions and refs that name the pull request's code rather than the base repository's. */
const PR_HEAD =
  /github\.event\.pull_request\.head\.(sha|ref)|github\.head_ref|github\.event\.pull_request\.merge_commit_sha|refs\/pull\/|github\.event\.workflow_run\.head_(sha|branch|commit\.id)/;
const PR_HEAD_REPOSITORY = /github\.event\.pull_request\.head\.repo\.|github\.event\.workflow_run\.head_repository\./;
const GIT_CHECKOUT = /\bgit\s+(checkout|fetch|pull|switch|reset)\b/;
const GH_PR_CHECKOUT = /\bgh\s+pr\s+checkout\b([^\n;&|]*)/;

export const ATTRIBUTE_NAMES: (keyof WorkflowAttributes)[] = ['name', 'triggers', 'permissions', 'jobs', 'actions', 'untrustedCheckouts'];

export const isWorkflowFile = (relative: string): boolean => WORKFLOW_FILE.test(relative);

/** Every attribute as the same unknown marker: the file could not be read or understood. */
const allUnknown = (marker: Unknown): WorkflowAttributes => ({
  name: marker,
  triggers: marker,
  permissions: marker,
  jobs: marker,
  actions: marker,
  untrustedCheckouts: marker,
});

const pairOf = (map: YAMLMap, key: string): Pair<unknown, unknown> | undefined =>
  map.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair<unknown, unknown> | undefined;

/** A pair's value with a YAML alias (`*name`, which GitHub accepts) resolved to its anchor. */
const valueOf = (doc: Document, pair: Pair<unknown, unknown> | undefined): unknown => {
  const value = pair?.value;
  return isAlias(value) ? value.resolve(doc) : value;
};

const stringOf = (node: unknown): string | undefined => (isScalar(node) && typeof node.value === 'string' ? node.value : undefined);

/** Classifies a `uses:` reference; `docker://` images are out of scope and give undefined. */
export const classifyUses = (uses: string): Pick<WorkflowAction, 'pinned' | 'local' | 'githubOwned'> | undefined => {
  if (uses.startsWith('docker://')) return undefined;
  if (uses.startsWith('./') || uses.startsWith('../')) return { pinned: false, local: true, githubOwned: false };
  const at = uses.lastIndexOf('@');
  const ref = at >= 0 ? uses.slice(at + 1) : '';
  const owner = (uses.split('/')[0] ?? '').toLowerCase();
  return { pinned: FULL_SHA.test(ref), local: false, githubOwned: owner === 'actions' || owner === 'github' };
};

/**
 * Reads one workflow's facts with the lines they come from: the triggers, the `permissions` of the
 * workflow and of each job, every action and reusable workflow it uses, and the steps that check
 * out a pull request's head. A file that is not valid YAML, or not a workflow, gives unknown
 * markers, never facts that could pass or fail a rule.
 */
export const parseWorkflow = (text: string): WorkflowAttributes => {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const line = counter.linePos(error.pos[0]).line;
    return allUnknown(unknown(`invalid YAML at line ${line}: ${error.message.split('\n')[0]}`));
  }
  const lineOf = (node: unknown, fallback: number): number => {
    const range = (node as Node | undefined)?.range;
    return range ? counter.linePos(range[0]).line : fallback;
  };
  const top = doc.contents;
  if (!isMap(top)) return allUnknown(unknown('not a workflow: the document is not a mapping'));
  const jobsPair = pairOf(top, 'jobs');
  const jobsNode = valueOf(doc, jobsPair);
  if (!jobsPair || !isMap(jobsNode)) {
    return allUnknown(unknown(`not a workflow: no jobs mapping${jobsPair ? ` at line ${lineOf(jobsPair.key, 1)}` : ''}`));
  }

  const onNode = valueOf(doc, pairOf(top, 'on'));
  const triggers: string[] = isScalar(onNode)
    ? [String(onNode.value)]
    : isSeq(onNode)
      ? onNode.items.map((item) => (isScalar(item) ? String(item.value) : '')).filter(Boolean)
      : isMap(onNode)
        ? onNode.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')).filter(Boolean)
        : [];

  const declaration = (map: YAMLMap, scope: string, fallbackLine: number): PermissionsDeclaration => {
    const pair = pairOf(map, 'permissions');
    if (!pair) return { scope, value: null, line: fallbackLine };
    const node = valueOf(doc, pair);
    const value = (node === null || node === undefined ? null : (node as Node).toJS(doc, { maxAliasCount: 100 })) as PermissionsDeclaration['value'] | undefined;
    return { scope, value: value ?? null, line: lineOf(pair.key, fallbackLine) };
  };

  const jobs: WorkflowJob[] = [];
  const actions: WorkflowAction[] = [];
  const untrustedCheckouts: UntrustedCheckout[] = [];
  const addAction = (uses: string, line: number, job: string, reusable: boolean): void => {
    const kind = classifyUses(uses);
    if (kind) actions.push({ uses, line, job, ...kind, reusable });
  };

  for (const jobPair of jobsNode.items) {
    const id = isScalar(jobPair.key) ? String(jobPair.key.value) : '';
    const jobLine = lineOf(jobPair.key, 1);
    const job = valueOf(doc, jobPair as Pair<unknown, unknown>);
    if (!isMap(job)) {
      jobs.push({ id, line: jobLine, permissions: { scope: `job ${id}`, value: null, line: jobLine }, usesReusable: false });
      continue;
    }
    const reusablePair = pairOf(job, 'uses');
    const reusable = stringOf(valueOf(doc, reusablePair));
    jobs.push({ id, line: jobLine, permissions: declaration(job, `job ${id}`, jobLine), usesReusable: reusable !== undefined });
    if (reusable !== undefined) addAction(reusable, lineOf(reusablePair?.key, jobLine), id, true);
    const steps = valueOf(doc, pairOf(job, 'steps'));
    if (!isSeq(steps)) continue;
    for (const item of steps.items) {
      const step = isAlias(item) ? item.resolve(doc) : item;
      if (!isMap(step)) continue;
      const usesPair = pairOf(step, 'uses');
      const uses = stringOf(valueOf(doc, usesPair));
      if (uses !== undefined) addAction(uses, lineOf(usesPair?.key, jobLine), id, false);
      const withNode = valueOf(doc, pairOf(step, 'with'));
      if (uses !== undefined && CHECKOUT.test(uses) && isMap(withNode)) {
        const refPair = pairOf(withNode, 'ref');
        const repositoryPair = pairOf(withNode, 'repository');
        const ref = stringOf(valueOf(doc, refPair));
        const repository = stringOf(valueOf(doc, repositoryPair));
        if (ref !== undefined && PR_HEAD.test(ref)) untrustedCheckouts.push({ line: lineOf(refPair?.key, jobLine), job: id, ref, how: 'actions/checkout' });
        else if (repository !== undefined && PR_HEAD_REPOSITORY.test(repository)) {
          untrustedCheckouts.push({ line: lineOf(repositoryPair?.key, jobLine), job: id, ref: repository, how: 'actions/checkout' });
        }
      }
      const runPair = pairOf(step, 'run');
      const run = stringOf(valueOf(doc, runPair));
      if (run !== undefined) {
        const head = PR_HEAD.exec(run)?.[0];
        const gh = GH_PR_CHECKOUT.exec(run);
        if (gh) untrustedCheckouts.push({ line: lineOf(runPair?.key, jobLine), job: id, ref: gh[1]?.trim() || 'the current pull request', how: 'gh pr checkout' });
        else if (head && GIT_CHECKOUT.test(run)) untrustedCheckouts.push({ line: lineOf(runPair?.key, jobLine), job: id, ref: head, how: 'git' });
      }
    }
  }

  const name = stringOf(valueOf(doc, pairOf(top, 'name'))) ?? null;
  return { name, triggers, permissions: declaration(top, 'workflow', 1), jobs, actions, untrustedCheckouts };
};

/** One `source.workflow` resource per file under .github/workflows/. */
export const collectWorkflows = (files: TreeFiles): Resource[] =>
  files.files
    .filter((f) => isWorkflowFile(f.path))
    .map((f) => {
      const read = files.read(f.path);
      let attributes: WorkflowAttributes;
      if (!read.ok) attributes = allUnknown(files.gap(f.path, ATTRIBUTE_NAMES, read));
      else {
        try {
          attributes = parseWorkflow(read.text);
        } catch (error) {
          // An alias bomb or a document nested too deeply: one workflow, not the whole source, is lost.
          attributes = allUnknown(files.gap(f.path, ATTRIBUTE_NAMES, { ok: false, reason: `could not be read as a workflow: ${(error as Error).message}` }));
        }
      }
      return {
        kind: 'source.workflow',
        id: `${files.treeId}/${f.path}`,
        name: f.path,
        source: 'local-repo',
        scope: { tree: files.treeId },
        attributes,
        location: { path: f.path },
      } satisfies Resource;
    });
