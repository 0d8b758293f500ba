import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { applyBaseline, type ResultDiff } from '../../diff/index.js';
import { SEVERITIES, type ResultDocument } from '../../engine/types.js';
import { loadJsonDocument } from '../../facts/documents.js';
import { createPublisher, type PublishDeps, type Publisher } from '../../publish/index.js';
import { DEFAULT_FORMATS } from '../../reporters/index.js';
import { renderMarkdown } from '../../reporters/markdown.js';
import { PostureError } from '../errors.js';
import { gate, type GateDecision, type GateOptions } from '../exit-codes.js';
import { failOnOf, parseFormats, writeReports, type Runtime } from '../pipeline.js';

/** The gating and publishing flags shared by `scan`, `evaluate` and `publish`. */
export type CiFlags = {
  baseline?: string;
  failOnNew?: boolean;
  githubCheck?: boolean;
  checkRepo?: string;
  checkSha?: string;
  prComment?: boolean;
  allowPublicUpload?: boolean;
};

/** Adds `--baseline` and `--fail-on-new`: gating on what is new. */
export const addBaselineOptions = (command: Command): Command =>
  command
    .option('--baseline <file>', 'the result.json of an earlier scan: findings carry firstSeen forward, reports show what changed')
    .option('--fail-on-new', 'exit 1 only for failing findings not failing in --baseline (and those whose suppression expired); needs --baseline');

/** Adds the GitHub publishing flags. Tokens come from the environment, never from a flag. */
export const addPublishOptions = (command: Command): Command =>
  command
    .option('--github-check', 'publish a GitHub check run with annotations (token: GITHUB_TOKEN, else POSTURE_GITHUB_TOKEN); falls back to workflow commands')
    .option('--check-repo <owner/repo>', 'repository of the check run (default: GITHUB_REPOSITORY)')
    .option('--check-sha <sha>', 'commit of the check run (default: the pull request head from GITHUB_EVENT_PATH, else GITHUB_SHA)')
    .option('--pr-comment', 'keep one pull-request comment with the changes since --baseline, updated in place')
    .option('--allow-public-upload', 'write SARIF with cloud and organisation findings even when the repository is public');

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The CI flags out of a command's parsed options. */
export const ciFlagsOf = (options: Record<string, unknown>): CiFlags => ({
  ...(text(options.baseline) !== undefined ? { baseline: text(options.baseline) } : {}),
  ...(options.failOnNew === true ? { failOnNew: true } : {}),
  ...(options.githubCheck === true ? { githubCheck: true } : {}),
  ...(text(options.checkRepo) !== undefined ? { checkRepo: text(options.checkRepo) } : {}),
  ...(text(options.checkSha) !== undefined ? { checkSha: text(options.checkSha) } : {}),
  ...(options.prComment === true ? { prComment: true } : {}),
  ...(options.allowPublicUpload === true ? { allowPublicUpload: true } : {}),
});

/** One command's gating and publishing: validated before the scan starts. */
export type CiSession = {
  gateOptions: Pick<GateOptions, 'failOnNew' | 'baselineFailing'>;
  /** Carries firstSeen forward and fills the result's baseline section, when a baseline was given. */
  applyBaseline: (result: ResultDocument) => { result: ResultDocument; diff?: ResultDiff };
  publisher: Publisher;
};

/**
 * Validates the CI flags and loads the baseline. Usage errors (--fail-on-new without --baseline, a
 * check run with no repository or commit) surface here, before anything is collected.
 */
export const prepareCi = (rt: Runtime, options: Record<string, unknown>): CiSession => {
  const flags = ciFlagsOf(options);
  if (flags.failOnNew && !flags.baseline) throw new PostureError('usage', '--fail-on-new needs --baseline FILE (the result.json of an earlier scan): without a baseline every finding is new');
  const baseline = flags.baseline ? loadJsonDocument<ResultDocument>(rt.schemas, 'result', path.resolve(rt.cwd, flags.baseline)) : undefined;
  const deps: PublishDeps = { logger: rt.logger, env: rt.env, redact: rt.redact, tool: rt.tool };
  const publisher = createPublisher(flags, deps);
  return {
    gateOptions: {
      ...(flags.failOnNew ? { failOnNew: true } : {}),
      ...(baseline ? { baselineFailing: new Set(baseline.findings.filter((f) => f.status === 'fail').map((f) => f.fingerprint)) } : {}),
    },
    applyBaseline: (result) => {
      if (!baseline) return { result };
      const applied = applyBaseline(result, baseline);
      for (const warning of applied.diff.warnings) rt.logger.warn(`posture: ${warning}`);
      const c = applied.result.baseline!.counts;
      rt.logger.info(`posture: since the baseline: ${c.new} new, ${c.fixed} fixed, ${c.changed} changed severity, ${c.unchanged} unchanged`);
      return applied;
    },
    publisher,
  };
};

/** Publishes a finished result: step summary, check run or workflow commands, pull-request comment. */
export const finishCi = async (
  session: CiSession,
  input: { result: ResultDocument; decision: GateDecision; diff?: ResultDiff; outDir?: string },
): Promise<void> => {
  const written = input.outDir ? path.join(input.outDir, 'report.md') : undefined;
  // Rendering a large result's Markdown takes a noticeable part of a second: only when it is used.
  const markdown = !session.publisher.wantsMarkdown ? '' : written && existsSync(written) ? readFileSync(written, 'utf8') : renderMarkdown(input.result);
  await session.publisher.publish({ result: input.result, decision: input.decision, markdown, ...(input.diff ? { diff: input.diff } : {}) });
};

type PublishCommandOptions = CiFlags & {
  config?: string;
  out?: string;
  format?: string;
  failOn?: string;
  failOnGaps?: boolean;
  require?: string;
};

const splitList = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * `posture publish result.json`: re-renders the reports from a result document and publishes
 * them to GitHub (check run, step summary, pull-request comment); its exit code is the gating
 * decision, so that the check's conclusion and the job agree.
 */
export const registerPublishCommand = (program: Command, rt: Runtime, setExit: (code: number) => void): Command => {
  const command = program
    .command('publish')
    .description('render the reports of a result document and publish them to GitHub: check run, step summary, pull-request comment')
    .argument('<result>', 'result document (result.json)')
    .option('--out <dir>', 'output directory', 'posture-report')
    .option('--format <formats>', `comma-separated formats (default: ${DEFAULT_FORMATS.join(',')})`)
    .addOption(new Option('--fail-on <severity>', 'lowest severity of a failing finding that makes the exit code 1 (default: high, or failOn in posture.yaml)').choices([...SEVERITIES, 'none']))
    .option('--fail-on-gaps', 'exit 3 when a selected source was partial or failed')
    .option('--require <sources>', 'exit 3 unless each of these comma-separated sources was complete');
  addBaselineOptions(command);
  addPublishOptions(command);
  command.addHelpText('after', '\nExamples:\n  posture publish posture-report/result.json --github-check\n  posture publish result.json --baseline previous/result.json --fail-on-new --pr-comment\n');
  command.action(async (file: string, options: PublishCommandOptions) => {
    const loaded = loadConfig(rt.schemas, options.config ?? (program.opts().config as string | undefined), rt.cwd);
    const formats = parseFormats(options.format, loaded.config, DEFAULT_FORMATS);
    const ci = prepareCi(rt, options);
    const { result, diff } = ci.applyBaseline(loadJsonDocument<ResultDocument>(rt.schemas, 'result', path.resolve(rt.cwd, file)));
    await ci.publisher.guardSarif(result, formats);
    const outDir = path.resolve(rt.cwd, options.out ?? 'posture-report');
    const written = writeReports(rt, outDir, result, formats);
    rt.logger.info(`posture: wrote ${written.map((f) => path.relative(rt.cwd, f)).join(', ')}`);
    const decision = gate(result, { failOn: failOnOf(options.failOn, loaded.config), failOnGaps: Boolean(options.failOnGaps), require: splitList(options.require), ...ci.gateOptions });
    for (const reason of decision.reasons) rt.logger.info(`posture: exit ${decision.code}: ${reason}`);
    await finishCi(ci, { result, decision, outDir, ...(diff ? { diff } : {}) });
    setExit(decision.code);
  });
  return command;
};
