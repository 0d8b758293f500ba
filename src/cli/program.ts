import path from 'node:path';
import { Command, Option } from 'commander';
import { collectorRegistry } from '../collectors/index.js';
import { loadConfig } from '../config/load.js';
import { CSF_FUNCTIONS, SEVERITIES, type ResultDocument } from '../engine/types.js';
import { BUILTIN_RULES_DIR } from '../engine/rules.js';
import { checkRuleTestLayout, runRuleTests } from '../engine/rule-tests.js';
import { isLargeDocument, loadJsonDocument } from '../facts/documents.js';
import type { FactsDocument } from '../facts/types.js';
import { DEFAULT_FORMATS } from '../reporters/index.js';
import { runInit, threatModelAttributes } from '../threat-model/index.js';
import { writeOutput } from '../util/atomic.js';
import { registerDiffCommand } from './commands/diff.js';
import { addShardOptions, registerMergeCommand, shardOf, type ShardOptions } from './commands/merge.js';
import { addBaselineOptions, addPublishOptions, finishCi, prepareCi, registerPublishCommand } from './commands/publish.js';
import { describeError } from './errors.js';
import { writeReportsFromFile } from './report-file.js';
import { EXIT, gate } from './exit-codes.js';
import {
  closeOnError,
  collectStage,
  evaluateFindings,
  evaluateStage,
  failOnOf,
  loadRuleSet,
  parseFormats,
  parseDeadline,
  parseTreeId,
  parseScanTime,
  serialise,
  serialiseWithRegister,
  threatModelOf,
  validateFacts,
  warmCollectors,
  withLazyThreatModel,
  writeReports,
  type Runtime,
} from './pipeline.js';

const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];

const EXIT_HELP = `
Exit codes:
  0  no failing finding at or above --fail-on
  1  failing findings at or above --fail-on (unknown findings never cause 1)
  2  usage, configuration or internal error
  3  the scan was incomplete (a source partial or failed) and --fail-on-gaps or --require was given
Precedence: 2 > 3 > 1 > 0.`;

type CommonOptions = {
  config?: string;
  progress?: boolean;
  sources?: string;
  exclude?: string[];
  scanTime?: string;
  treeId?: string;
  deadline?: string;
  rulesDir?: string[];
  rules?: string;
  excludeRules?: string;
  failOn?: string;
  failOnGaps?: boolean;
  threatModel?: string;
  require?: string;
  format?: string;
  out?: string;
  demo?: boolean;
  [key: string]: unknown;
};

const failOnOption = () =>
  new Option('--fail-on <severity>', 'lowest severity of a failing finding that makes the exit code 1 (default: high, or failOn in posture.yaml)').choices([...SEVERITIES, 'none']);

const addRuleOptions = (command: Command): Command =>
  command
    .option('--rules-dir <dir>', 'load your own rules from DIR as well (repeatable)', repeatable)
    .option('--rules <globs>', 'run only the rules whose ids match these comma-separated globs')
    .option('--exclude-rules <globs>', 'skip the rules whose ids match these comma-separated globs');

const addThreatModelOption = (command: Command): Command =>
  command.option('--threat-model <file>', 'threat model (default: ./threat-model.yaml when present, else every resource an asset of classification internal)');

const addGateOptions = (command: Command): Command =>
  addBaselineOptions(command)
    .addOption(failOnOption())
    .option('--fail-on-gaps', 'exit 3 when a selected source is partial or failed')
    .option('--require <sources>', 'exit 3 unless each of these comma-separated sources is complete');

const addCollectOptions = (command: Command): Command => {
  command
    .option('--sources <ids>', `comma-separated collectors to run, or "all" (available: ${collectorRegistry().map((c) => c.id).join(', ')}; default: those that need no credentials)`)
    .option('--exclude <pattern>', 'skip paths matching this gitignore-style pattern (repeatable; default .git, node_modules, vendor)', repeatable)
    .option('--scan-time <iso>', 'the clock that ages are computed against (default: now)')
    .option('--tree-id <id>', 'identity of the source tree in findings and fingerprints, so that checkouts in different places match (default: the origin remote URL, else the directory name)')
    .option('--deadline <duration>', 'stop collecting after this long (90s, 30m, 2h): calls cancelled then are gaps and their findings unknown; a source that does not stop within 10 s is failed (default: limits.deadlineMs in posture.yaml, else none)')
    .option('--progress', 'show progress on stderr (default: on a terminal, outside CI)')
    .option('--no-progress', 'never show progress')
    .addOption(new Option('--demo', 'mark the data as simulated').hideHelp());
  const seen = new Set<string>();
  for (const collector of collectorRegistry()) {
    for (const option of collector.cliOptions ?? []) {
      const long = /--[\w-]+/.exec(option.flags)?.[0] ?? option.flags;
      if (seen.has(long)) continue;
      seen.add(long);
      const added = new Option(option.flags, `[${collector.id}] ${option.description}`);
      if (option.repeatable) added.argParser(repeatable);
      command.addOption(added);
    }
  }
  return command;
};

const collectorOptionsOf = (options: CommonOptions): Record<string, unknown> => {
  const known = new Set(['config', 'sources', 'exclude', 'scanTime', 'treeId', 'deadline', 'rulesDir', 'rules', 'excludeRules', 'failOn', 'failOnGaps', 'require', 'format', 'out', 'demo', 'threatModel', 'shard', 'shardCount', 'progress']);
  return Object.fromEntries(Object.entries(options).filter(([key]) => !known.has(key)));
};

const splitList = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

const summaryLine = (result: ResultDocument): string => {
  const s = result.summary.byStatus;
  return `${s.fail} failing, ${s.unknown} unknown, ${s.pass} passing, ${s.suppressed} suppressed, ${s.not_applicable} not applicable`;
};

/** Builds the commander program. `setExit` receives each command's exit code. */
export const buildProgram = (rt: Runtime, setExit: (code: number) => void): Command => {
  const program = new Command('posture')
    .description('Threat-modeling and security posture scanner: AWS, GitHub and source trees, mapped to NIST CSF 2.0 and STRIDE')
    .version(rt.tool.version, '-v, --version')
    .option('--config <file>', 'configuration file (default: ./posture.yaml when present)')
    .option('--log-level <level>', 'debug, info, warn, error or silent (logs go to stderr)', 'info')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_HELP);

  const configOf = (options: CommonOptions) => loadConfig(rt.schemas, options.config ?? (program.opts().config as string | undefined), rt.cwd);

  const scan = program
    .command('scan')
    .description('collect, evaluate and report in one step')
    .argument('[path]', 'source tree to scan', '.')
    .option('--out <dir>', 'output directory', 'posture-report')
    .option('--format <formats>', `comma-separated: json, md, html, sarif as available (default: ${DEFAULT_FORMATS.join(',')})`);
  addCollectOptions(scan);
  addRuleOptions(scan);
  addThreatModelOption(scan);
  addGateOptions(scan);
  addPublishOptions(scan);
  scan.addHelpText('after', `\nExamples:\n  posture scan\n  posture scan ../service --format json,md --fail-on medium\n  posture scan --sources all --github-org acme --aws-regions eu-west-1\n${EXIT_HELP}`);
  scan.action(async (target: string, options: CommonOptions) => {
    const loaded = configOf(options);
    const formats = parseFormats(options.format, loaded.config, DEFAULT_FORMATS);
    const ci = prepareCi(rt, options);
    const deadlineMs = parseDeadline(options.deadline);
    const treeId = parseTreeId(options.treeId);
    const warm = warmCollectors(options.sources, loaded.config);
    const { ruleSet, threatModel, scanTime } = closeOnError(warm, () => ({
      ruleSet: loadRuleSet(rt, loaded, { rulesDirs: options.rulesDir, rules: options.rules, excludeRules: options.excludeRules }),
      threatModel: threatModelOf(rt, options.threatModel),
      scanTime: parseScanTime(options.scanTime) ?? new Date(),
    }));
    const facts = await collectStage(rt, {
      target,
      loaded,
      sources: options.sources,
      exclude: options.exclude,
      scanTime,
      ...(treeId !== undefined ? { treeId } : {}),
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      ruleSet,
      collectorOptions: collectorOptionsOf(options),
      extraNeeds: threatModelAttributes(rt.schemas, threatModel),
      demo: options.demo,
      progress: options.progress,
      warm,
    });
    const { result, diff } = ci.applyBaseline(evaluateStage(rt, { facts, loaded, ruleSet, threatModel, scanTime, root: path.resolve(rt.cwd, target) }));
    await ci.publisher.guardSarif(result, formats);
    const outDir = path.resolve(rt.cwd, options.out ?? 'posture-report');
    writeReports(rt, outDir, result, formats, facts);
    const decision = gate(result, { failOn: failOnOf(options.failOn, loaded.config), failOnGaps: Boolean(options.failOnGaps), require: splitList(options.require), ...ci.gateOptions });
    rt.logger.info(`posture: ${summaryLine(result)}`);
    for (const reason of decision.reasons) rt.logger.info(`posture: exit ${decision.code}: ${reason}`);
    rt.logger.info(`posture: reports written to ${path.relative(rt.cwd, outDir) || '.'}/`);
    await finishCi(ci, { result, decision, outDir, ...(diff ? { diff } : {}) });
    setExit(decision.code);
  });

  const collect = program
    .command('collect')
    .description('run the collectors and write the facts document')
    .argument('[path]', 'source tree to scan', '.')
    .option('--out <file>', 'facts document to write ("-" for stdout)', '-');
  addCollectOptions(collect);
  addRuleOptions(collect);
  addThreatModelOption(collect);
  addShardOptions(collect);
  collect.action(async (target: string, options: CommonOptions) => {
    const shard = shardOf(options as ShardOptions, rt.env);
    const loaded = configOf(options);
    const deadlineMs = parseDeadline(options.deadline);
    const treeId = parseTreeId(options.treeId);
    const warm = warmCollectors(options.sources, loaded.config);
    const { ruleSet, scanTime, extraNeeds } = closeOnError(warm, () => ({
      ruleSet: loadRuleSet(rt, loaded, { rulesDirs: options.rulesDir, rules: options.rules, excludeRules: options.excludeRules }),
      scanTime: parseScanTime(options.scanTime),
      extraNeeds: threatModelAttributes(rt.schemas, threatModelOf(rt, options.threatModel)),
    }));
    const facts = await collectStage(rt, {
      target,
      loaded,
      sources: options.sources,
      exclude: options.exclude,
      scanTime,
      ...(treeId !== undefined ? { treeId } : {}),
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      ruleSet,
      collectorOptions: collectorOptionsOf(options),
      extraNeeds,
      demo: options.demo,
      shard,
      progress: options.progress,
      warm,
    });
    writeOutput(options.out === '-' || !options.out ? '-' : path.resolve(rt.cwd, options.out), serialise(rt, facts));
    setExit(EXIT.ok);
  });

  const evaluateCommand = program
    .command('evaluate')
    .description('evaluate a facts document with the rules and write the result document')
    .argument('<facts>', 'facts document ("-" for stdin)')
    .option('--out <file>', 'result document to write ("-" for stdout)', '-')
    .option('--scan-time <iso>', 'the clock that ages are computed against (default: when collection started)')
    .option('--root <dir>', 'scanned tree, for its .posture-ignore.yaml');
  addRuleOptions(evaluateCommand);
  addThreatModelOption(evaluateCommand);
  addGateOptions(evaluateCommand);
  evaluateCommand.action((file: string, options: CommonOptions & { root?: string }) => {
    const loaded = configOf(options);
    let facts: FactsDocument | undefined = loadJsonDocument<FactsDocument>(rt.schemas, 'facts', file === '-' ? '-' : path.resolve(rt.cwd, file));
    validateFacts(rt, facts, file);
    if (facts.shard) rt.logger.warn(`posture: ${file} holds shard ${facts.shard.k}/${facts.shard.n} only: merge the shards first (posture merge) to evaluate the whole estate`);
    const ci = prepareCi(rt, options);
    const ruleSet = loadRuleSet(rt, loaded, { rulesDirs: options.rulesDir, rules: options.rules, excludeRules: options.excludeRules });
    const pending = evaluateFindings(rt, { facts, loaded, ruleSet, threatModel: threatModelOf(rt, options.threatModel), scanTime: parseScanTime(options.scanTime), root: options.root ? path.resolve(rt.cwd, options.root) : undefined });
    // The findings and the inventory hold what is needed of the facts: let them go before the
    // threat model is built and the result written, as at scale they are a large part of the memory.
    facts = undefined;
    const lazy = withLazyThreatModel(pending);
    const { result } = ci.applyBaseline(lazy.result);
    writeOutput(options.out === '-' || !options.out ? '-' : path.resolve(rt.cwd, options.out), serialiseWithRegister(rt, result, lazy.register));
    const decision = gate(result, { failOn: failOnOf(options.failOn, loaded.config), failOnGaps: Boolean(options.failOnGaps), require: splitList(options.require), ...ci.gateOptions });
    rt.logger.info(`posture: ${summaryLine(result)}`);
    setExit(decision.code);
  });

  program
    .command('report')
    .description('render reports from a result document')
    .argument('<result>', 'result document')
    .option('--out <dir>', 'output directory', 'posture-report')
    .option('--format <formats>', `comma-separated formats (default: ${DEFAULT_FORMATS.join(',')})`)
    .option('--allow-public-upload', 'write SARIF with cloud and organisation findings even when the repository is public')
    .action(async (file: string, options: CommonOptions) => {
      const loaded = configOf(options);
      const formats = parseFormats(options.format, loaded.config, DEFAULT_FORMATS);
      const target = path.resolve(rt.cwd, file);
      const outDir = path.resolve(rt.cwd, options.out ?? 'posture-report');
      let written: string[];
      // A large result is reported on in passes over the file, never held whole.
      if (isLargeDocument(target)) {
        const { publisher } = prepareCi(rt, options);
        written = await writeReportsFromFile(rt, target, outDir, formats, (sarif) => publisher.guardSarif(sarif, formats));
      } else {
        const result = loadJsonDocument<ResultDocument>(rt.schemas, 'result', target);
        await prepareCi(rt, options).publisher.guardSarif(result, formats);
        written = writeReports(rt, outDir, result, formats);
      }
      rt.logger.info(`posture: wrote ${written.map((f) => path.relative(rt.cwd, f)).join(', ')}`);
      setExit(EXIT.ok);
    });

  program
    .command('init')
    .description('write a starter threat-model.yaml from the last scan\'s inventory, for a person to edit')
    .option('--from <result>', 'result document to take the inventory from', path.join('posture-report', 'result.json'))
    .option('--out <file>', 'threat model to write', 'threat-model.yaml')
    .option('--force', 'overwrite an existing file')
    .action(async (options: { from: string; out: string; force?: boolean }) => {
      rt.logger.info(await runInit({ from: options.from, out: options.out, force: Boolean(options.force), cwd: rt.cwd, schemas: rt.schemas }));
      setExit(EXIT.ok);
    });

  const rules = program.command('rules').description('list and test rules');
  addRuleOptions(
    rules
      .command('list')
      .description('list the rules: id, severity, CSF function, resource kind')
      .option('--json', 'print JSON instead of a table'),
  ).action((options: CommonOptions & { json?: boolean }) => {
    const ruleSet = loadRuleSet(rt, configOf(options), { rulesDirs: options.rulesDir, rules: options.rules, excludeRules: options.excludeRules });
    const rows = ruleSet.rules.map((rule) => ({
      id: rule.id,
      severity: rule.severity,
      function: rule.csf[0]?.id.split('.')[0] ?? '',
      resource: rule.resource,
      title: rule.title,
      builtin: rule.builtin,
    }));
    if (options.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else {
      const width = Math.max(2, ...rows.map((r) => r.id.length));
      process.stdout.write(`${'ID'.padEnd(width)}  SEVERITY  CSF  RESOURCE\n`);
      for (const row of rows) process.stdout.write(`${row.id.padEnd(width)}  ${row.severity.padEnd(8)}  ${row.function.padEnd(3)}  ${row.resource}\n`);
      process.stdout.write(`${rows.length} rules; functions covered: ${CSF_FUNCTIONS.filter((fn) => rows.some((r) => r.function === fn)).join(', ')}\n`);
    }
    setExit(EXIT.ok);
  });
  addRuleOptions(rules.command('test').description("run the rules' pass / fail / unknown test cases")).action((options: CommonOptions) => {
    const loaded = configOf(options);
    const ruleSet = loadRuleSet(rt, loaded, { rulesDirs: options.rulesDir, rules: options.rules, excludeRules: options.excludeRules });
    const dirs = [BUILTIN_RULES_DIR, ...(loaded.config.rules?.dirs ?? []), ...(options.rulesDir ?? []).map((d) => path.resolve(rt.cwd, d))];
    const problems = checkRuleTestLayout(ruleSet.all, dirs);
    let failed = problems.length;
    for (const problem of problems) process.stdout.write(`FAIL ${problem}\n`);
    let passed = 0;
    for (const rule of ruleSet.rules) {
      let outcomes;
      try {
        outcomes = runRuleTests(rule, rt.schemas);
      } catch (error) {
        failed++;
        process.stdout.write(`FAIL ${rule.id}: ${describeError(error)}\n`);
        continue;
      }
      for (const outcome of outcomes) {
        if (outcome.ok) passed++;
        else {
          failed++;
          process.stdout.write(`FAIL ${outcome.rule} > ${outcome.name}: ${outcome.problem}\n`);
        }
      }
    }
    process.stdout.write(`${passed} passed, ${failed} failed\n`);
    setExit(failed > 0 ? EXIT.findings : EXIT.ok);
  });

  registerPublishCommand(program, rt, setExit);
  registerDiffCommand(program, rt, setExit);
  registerMergeCommand(program, rt, setExit);

  return program;
};

