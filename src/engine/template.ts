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

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}/g;

/**
 * Fills `{{path}}` placeholders from a context object. The result is plain text: each reporter
 * escapes it for its own format.
 */
export const renderTemplate = (template: string, context: Record<string, unknown>): string =>
  template.replace(PLACEHOLDER, (_, key: string) => show(getPath(context, key)));

/**
 * A template parsed once, for one rendering per finding: the same text as `renderTemplate`,
 * without scanning the template and splitting its paths again each time.
 */
export const compileTemplate = (template: string): ((context: Record<string, unknown>) => string) => {
  const texts: string[] = [];
  const paths: string[][] = [];
  let cursor = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    texts.push(template.slice(cursor, match.index));
    paths.push((match[1] as string).split('.'));
    cursor = match.index + match[0].length;
  }
  const last = template.slice(cursor);
  if (paths.length === 0) return () => template;
  return (context) => {
    let out = '';
    for (let index = 0; index < paths.length; index++) {
      let current: unknown = context;
      for (const key of paths[index] as string[]) {
        if (current === null || typeof current !== 'object') {
          current = undefined;
          break;
        }
        current = (current as Record<string, unknown>)[key];
      }
      out += (texts[index] as string) + show(current);
    }
    return out + last;
  };
};
