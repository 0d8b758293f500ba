/** Message template ids: each names one kind of failure the user can act on. */
export type ErrorTemplate =
  | 'usage'
  | 'config-invalid'
  | 'document-invalid'
  | 'yaml-syntax'
  | 'rule-invalid'
  | 'path-missing'
  | 'file-unreadable'
  | 'output-failed'
  | 'internal';

/** A failure that the CLI reports as one clear line and exit code 2. */
export class PostureError extends Error {
  readonly template: ErrorTemplate;
  readonly file?: string;
  readonly line?: number;

  constructor(template: ErrorTemplate, message: string, where?: { file?: string; line?: number }) {
    super(message);
    this.name = 'PostureError';
    this.template = template;
    this.file = where?.file;
    this.line = where?.line;
  }
}

export const describeError = (error: unknown): string => {
  if (error instanceof PostureError) {
    const where = error.file ? `${error.file}${error.line ? `:${error.line}` : ''}: ` : '';
    return `${where}${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
};
