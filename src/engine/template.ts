/** Reads a dotted attribute path (`a.b.0.c`) from a value. */
export const getPath = (value: unknown, dotted: string): unknown => {
  let current = value;
  for (const key of dotted.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
};

const show = (value: unknown): string => {
  if (value === undefined) return '?';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(show).join(', ');
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

/**
 * Fills `{{path}}` placeholders from a context object. The result is plain text: each reporter
 * escapes it for its own format.
 */
export const renderTemplate = (template: string, context: Record<string, unknown>): string =>
  template.replace(/\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}/g, (_, key: string) => show(getPath(context, key)));
