export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type Logger = {
  debug: (message: string) => void;
  info: (message: string) => void;
  warn: (message: string) => void;
  error: (message: string) => void;
  /** A logger whose lines carry a prefix, such as a collector id. */
  child: (prefix: string) => Logger;
};

/**
 * Logs to stderr (results go to files or stdout). Every line passes through `redact`, so a secret
 * that reaches a log message through a resource name or an error is replaced before it is written.
 */
export const createLogger = (options: {
  level: LogLevel;
  write?: (line: string) => void;
  redact?: (text: string) => string;
}): Logger => {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const redact = options.redact ?? ((text: string) => text);
  const make = (prefix: string): Logger => {
    const log = (level: Exclude<LogLevel, 'silent'>) => (message: string) => {
      if (ORDER[level] < ORDER[options.level]) return;
      write(redact(`${level === 'info' ? '' : `${level}: `}${prefix}${message}`));
    };
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (next) => make(`${prefix}[${next}] `),
    };
  };
  return make('');
};
