import { CommanderError } from 'commander';
import { loadCsfCatalogue } from '../engine/csf.js';
import { createSchemaSet } from '../facts/documents.js';
import { createLogger, type LogLevel } from '../util/logger.js';
import { createRedactor, type Redactor } from '../util/redact.js';
import { toolInfo } from '../util/package-root.js';
import { PostureError, describeError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { buildProgram } from './program.js';
import type { Runtime } from './pipeline.js';

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Runs the CLI and returns its exit code; never throws and never prints a stack trace unless debugging. */
export const main = async (argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<number> => {
  const levelIndex = argv.indexOf('--log-level');
  const requested = levelIndex >= 0 ? argv[levelIndex + 1] : undefined;
  const level: LogLevel = LEVELS.includes(requested as LogLevel) ? (requested as LogLevel) : 'info';
  // The logger reads the runtime's redactor at each line: collection replaces it with one that
  // knows the secrets it found.
  const holder: { redactor: Redactor } = { redactor: createRedactor({ env }) };
  const redact = (text: string): string => holder.redactor.redact(text);
  const logger = createLogger({ level, redact });
  let code: number = EXIT.ok;
  try {
    const rt: Runtime = Object.assign(holder, { schemas: createSchemaSet(), csf: loadCsfCatalogue(), logger, cwd, env, tool: toolInfo(), redact });
    const program = buildProgram(rt, (exit) => {
      code = exit;
    });
    program.exitOverride();
    program.configureOutput({ writeErr: (text) => process.stderr.write(redact(text)) });
    for (const command of program.commands) {
      command.exitOverride();
      for (const sub of command.commands) sub.exitOverride();
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other commander error is a usage error.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? EXIT.ok : EXIT.error;
    }
    if (error instanceof PostureError) {
      logger.error(describeError(error));
      return EXIT.error;
    }
    logger.error(`internal error: ${describeError(error)}`);
    if (level === 'debug' && error instanceof Error && error.stack) logger.debug(error.stack);
    return EXIT.error;
  }
};
