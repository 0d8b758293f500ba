import { appendFileSync } from 'node:fs';
import { PostureError } from '../cli/errors.js';
import type { ResultDocument } from '../engine/types.js';
import { renderDiffMarkdown, type ResultDiff } from '../diff/index.js';
import { createOctokit, type CreateOctokitOptions, type GithubClient } from '../github/client.js';
import { checkAnnotations, checkConclusion, checkOutput } from '../reporters/github-annotations.js';
import { buildSarif, SARIF_LIMITS, scopeOf, type SarifBuild, type SarifOptions } from '../reporters/sarif.js';
import { renderWorkflowCommands } from '../reporters/workflow-commands.js';
import type { Logger } from '../util/logger.js';
import { CheckRunForbidden, publishCheckRun, type CheckRunReport } from './check-run.js';
import { githubContext, requireCheckTarget, type GithubContext } from './github-context.js';
import { prCommentMarker, upsertPrComment, type PrCommentReport } from './pr-comment.js';
import { repositoryVisibility } from './visibility.js';

export { githubContext, requireCheckTarget, type GithubContext } from './github-context.js';
export { CheckRunForbidden, publishCheckRun } from './check-run.js';
export { PR_COMMENT_MARKER, prCommentMarker, upsertPrComment } from './pr-comment.js';
export { repositoryVisibility } from './visibility.js';

/** The CI flags of `scan` and `publish`. */
export type PublishFlags = {
  githubCheck?: boolean;
  checkRepo?: string;
  checkSha?: string;
  prComment?: boolean;
  allowPublicUpload?: boolean;
};

export type PublishDeps = {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** The one redactor: everything sent to GitHub passes through it. */
  redact: (text: string) => string;
  /** Where workflow commands go: standard output, which the Actions runner reads. */
  write?: (line: string) => void;
  tool: { name: string; version: string };
  /** Client settings for tests (shorter back-off). */
  octokit?: Partial<CreateOctokitOptions>;
  /** SARIF limits for tests. */
  sarif?: SarifOptions;
};

/** The name of posture's check run. */
export const CHECK_NAME = 'posture';

const redactDeep = <T>(value: T, redact: (text: string) => string): T => {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)])) as T;
  return value;
};

/** A session of publishing for one command: one context, at most one API client. */
export type Publisher = {
  context: GithubContext;
  /**
   * Before report.sarif is written: warns when GitHub's limits will leave results out, and refuses
   * (exit 2) SARIF with cloud findings for a public or possibly public repository. Takes the
   * result, or the SARIF log already built from it.
   */
  guardSarif: (result: ResultDocument | SarifBuild, formats: string[]) => Promise<void>;
  /** Whether `publish` will use the Markdown report: a step summary, a check run or a comment is to be written. */
  wantsMarkdown: boolean;
  /** Step summary, check run (or workflow commands), pull-request comment. */
  publish: (input: { result: ResultDocument; decision: { code: number; reasons: string[] }; markdown: string; diff?: ResultDiff }) => Promise<PublishOutcome>;
};

export type PublishOutcome = {
  stepSummary: boolean;
  checkRun?: CheckRunReport;
  /** Why annotations went out as workflow commands instead of a check run. */
  fallback?: string;
  workflowCommands: number;
  prComment?: PrCommentReport;
};

/**
 * Prepares publishing from the environment and the flags. It validates what can be validated
 * before a scan starts, so a misconfigured job fails in a second with exit 2, not after the scan.
 */
export const createPublisher = (flags: PublishFlags, deps: PublishDeps): Publisher => {
  const context = githubContext(deps.env, { ...(flags.checkRepo !== undefined ? { checkRepo: flags.checkRepo } : {}), ...(flags.checkSha !== undefined ? { checkSha: flags.checkSha } : {}) });
  if (flags.githubCheck) requireCheckTarget(context);
  const write = deps.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  let client: GithubClient | undefined;
  const octokit = (): GithubClient | undefined => {
    if (!context.token) return undefined;
    client ??= createOctokit({
      token: context.token,
      baseUrl: context.apiUrl,
      logger: deps.logger,
      timeoutMs: 15_000,
      retries: 2,
      userAgent: `${deps.tool.name}/${deps.tool.version}`,
      ...deps.octokit,
    });
    return client;
  };

  const guardSarif: Publisher['guardSarif'] = async (result, formats) => {
    if (!formats.includes('sarif')) return;
    const built = 'log' in result ? result : undefined;
    const findings = built ? [] : (result as ResultDocument).findings;
    // Building the log to measure it only pays when it could come near the limits.
    const near = (): boolean => findings.filter((f) => f.status === 'fail' || f.status === 'suppressed').length > (deps.sarif?.maxResultsPerRun ?? SARIF_LIMITS.resultsPerRun) / 5;
    const omitted = built ? built.omitted : near() ? buildSarif(result as ResultDocument, deps.sarif).omitted : [];
    for (const { scope, count } of omitted) {
      deps.logger.warn(`posture: report.sarif leaves out ${count} result(s) of ${scope} to stay within GitHub's limits (25,000 results per run, 10 MB gzipped); the most severe are kept and result.json has all`);
    }
    if (flags.allowPublicUpload || !context.repository) return;
    const cloudScopes = built ? built.cloudScopes : [...new Set(findings.map(scopeOf))].filter((scope) => scope !== 'source').sort();
    if (cloudScopes.length === 0) return;
    const { owner, repo } = context.repository;
    const visibility = await repositoryVisibility({ owner, repo, ...(context.event ? { event: context.event } : {}), ...(octokit() ? { octokit: octokit()! } : {}) });
    if (visibility.value === 'private' || visibility.value === 'internal') return;
    const what = `${cloudScopes.join(', ')}`;
    const why =
      visibility.value === 'public'
        ? `${owner}/${repo} is public (${visibility.source}), and code-scanning alerts of a public repository are public`
        : `posture cannot tell whether ${owner}/${repo} is public (${visibility.source})`;
    throw new PostureError(
      'usage',
      `refusing to write report.sarif with cloud and organisation findings (${what}): ${why}. Drop sarif from --format, scan those sources into a private repository, or pass --allow-public-upload to publish them anyway`,
    );
  };

  const fallbackToCommands = (result: ResultDocument, reason: string, outcome: PublishOutcome) => {
    deps.logger.warn(`posture: ${reason}; annotating with workflow commands instead (GitHub shows at most 10 per level)`);
    const commands = renderWorkflowCommands(result);
    for (const line of commands.lines) write(deps.redact(line));
    outcome.fallback = reason;
    outcome.workflowCommands = commands.lines.length;
  };

  const publish: Publisher['publish'] = async ({ result, decision, markdown, diff }) => {
    const outcome: PublishOutcome = { stepSummary: false, workflowCommands: 0 };
    const diffMarkdown = diff ? renderDiffMarkdown(diff) : undefined;
    if (context.stepSummary) {
      try {
        appendFileSync(context.stepSummary, deps.redact(`${markdown}\n${diffMarkdown ? `\n${diffMarkdown}\n` : ''}`));
        outcome.stepSummary = true;
      } catch (error) {
        deps.logger.warn(`posture: cannot append to GITHUB_STEP_SUMMARY (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
    }
    if (flags.githubCheck) {
      const target = requireCheckTarget(context);
      const client = octokit();
      if (!client) {
        fallbackToCommands(result, 'no token to create a check run (set GITHUB_TOKEN, or POSTURE_GITHUB_TOKEN)', outcome);
      } else {
        try {
          outcome.checkRun = await publishCheckRun(client, {
            ...target,
            name: CHECK_NAME,
            output: redactDeep(checkOutput(result, decision, markdown), deps.redact),
            annotations: redactDeep(checkAnnotations(result), deps.redact),
            conclusion: checkConclusion(decision.code),
            ...(context.runUrl ? { detailsUrl: context.runUrl } : {}),
          });
          deps.logger.info(`posture: check run "${CHECK_NAME}" ${checkConclusion(decision.code)} on ${target.owner}/${target.repo}@${target.sha.slice(0, 12)} (${outcome.checkRun.annotations} annotation(s) in ${outcome.checkRun.requests} request(s))`);
        } catch (error) {
          const reason =
            error instanceof CheckRunForbidden
              ? `the ${context.tokenSource ?? 'token'} may not create check runs on ${target.owner}/${target.repo} (HTTP ${error.status}: only GitHub App tokens such as Actions' GITHUB_TOKEN with "checks: write" can)`
              : `the check run could not be published (${(error as Error).message})`;
          fallbackToCommands(result, reason, outcome);
        }
      }
    }
    if (flags.prComment) {
      const client = octokit();
      if (!context.repository || context.pullRequest === undefined) {
        deps.logger.warn('posture: --pr-comment outside a pull-request event: no comment written');
      } else if (!client) {
        deps.logger.warn('posture: --pr-comment needs GITHUB_TOKEN or POSTURE_GITHUB_TOKEN: no comment written');
      } else {
        const body = diffMarkdown ?? `${markdown}\n\n_No baseline was given (--baseline), so this lists every failing finding rather than what changed._\n`;
        try {
          outcome.prComment = await upsertPrComment(client, {
            ...context.repository,
            pullRequest: context.pullRequest,
            marker: prCommentMarker(result.scan.targets.path && result.scan.targets.path !== '.' ? result.scan.targets.path : undefined),
            body: deps.redact(body),
          });
          deps.logger.info(`posture: pull-request comment ${outcome.prComment.action} (#${context.pullRequest})`);
        } catch (error) {
          deps.logger.warn(`posture: cannot write the pull-request comment (${(error as Error).message}); the pull request needs "pull-requests: write"`);
        }
      }
    }
    return outcome;
  };

  return { context, guardSarif, wantsMarkdown: Boolean(context.stepSummary || flags.githubCheck || flags.prComment), publish };
};
