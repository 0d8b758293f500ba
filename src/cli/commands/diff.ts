import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { DIFF_FORMATS, diffResults, renderDiff, type DiffFormat } from '../../diff/index.js';
import { SEVERITIES, type ResultDocument } from '../../engine/types.js';
import { loadJsonDocument } from '../../facts/documents.js';
import { writeOutput } from '../../util/atomic.js';
import { EXIT, gate } from '../exit-codes.js';
import { failOnOf, type Runtime } from '../pipeline.js';

type DiffOptions = { format?: DiffFormat; out?: string; failOnNew?: boolean; failOn?: string; config?: string };

/**
 * `posture diff old.json new.json`: new, fixed, unchanged and changed-severity failing findings,
 * as text, JSON or Markdown (the pull-request comment). Exit 0, or with --fail-on-new the gating
 * decision on what is new.
 */
export const registerDiffCommand = (program: Command, rt: Runtime, setExit: (code: number) => void): Command =>
  program
    .command('diff')
    .description('compare two result documents: new, fixed, changed severity and unchanged failing findings')
    .argument('<old>', 'the baseline result document')
    .argument('<new>', 'the current result document')
    .addOption(new Option('--format <format>', 'text, json or md (a pull-request comment)').choices(DIFF_FORMATS).default('text'))
    .option('--out <file>', 'where to write the diff ("-" for stdout)', '-')
    .option('--fail-on-new', 'exit 1 when a failing finding at or above --fail-on is new (or its suppression expired)')
    .addOption(new Option('--fail-on <severity>', 'threshold for --fail-on-new (default: high, or failOn in posture.yaml)').choices([...SEVERITIES, 'none']))
    .addHelpText('after', '\nExamples:\n  posture diff previous/result.json posture-report/result.json\n  posture diff old.json new.json --format md --out comment.md\n')
    .action((oldFile: string, newFile: string, options: DiffOptions) => {
      const baseline = loadJsonDocument<ResultDocument>(rt.schemas, 'result', path.resolve(rt.cwd, oldFile));
      const current = loadJsonDocument<ResultDocument>(rt.schemas, 'result', path.resolve(rt.cwd, newFile));
      const diff = diffResults(baseline, current);
      for (const warning of diff.warnings) rt.logger.warn(`posture: ${warning}`);
      writeOutput(options.out === '-' || !options.out ? '-' : path.resolve(rt.cwd, options.out), rt.redact(renderDiff(diff, options.format ?? 'text')));
      if (!options.failOnNew) {
        setExit(EXIT.ok);
        return;
      }
      const loaded = loadConfig(rt.schemas, options.config ?? (program.opts().config as string | undefined), rt.cwd);
      const decision = gate(current, {
        failOn: failOnOf(options.failOn, loaded.config),
        failOnGaps: false,
        require: [],
        failOnNew: true,
        baselineFailing: new Set(baseline.findings.filter((f) => f.status === 'fail').map((f) => f.fingerprint)),
      });
      for (const reason of decision.reasons) rt.logger.info(`posture: exit ${decision.code}: ${reason}`);
      setExit(decision.code);
    });
