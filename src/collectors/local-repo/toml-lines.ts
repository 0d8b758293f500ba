/**
 * A line-oriented reading of TOML that is enough to tell which tables and keys a manifest
 * declares (pyproject.toml, Cargo.toml, Pipfile). It understands table headers, dotted keys,
 * comments, multi-line arrays and inline tables; it does not evaluate values.
 */
export type TomlEntry = { table: string; key: string; value: string; line: number };

export type TomlOutline = { tables: Set<string>; entries: TomlEntry[] };

const stripComment = (line: string): string => {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
};

/** Bracket depth of a value, ignoring brackets inside strings. */
const depthOf = (text: string): number => {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth;
};

const normaliseKey = (key: string): string =>
  key
    .split('.')
    .map((part) => part.trim().replace(/^["']|["']$/g, ''))
    .join('.');

export const outlineToml = (text: string): TomlOutline => {
  const tables = new Set<string>();
  const entries: TomlEntry[] = [];
  const lines = text.split(/\r?\n/);
  let table = '';
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] as string;
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(raw);
    if (header) {
      table = normaliseKey(header[1] as string);
      tables.add(table);
      continue;
    }
    const line = stripComment(raw);
    const pair = /^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    const start = index;
    let value = (pair[2] as string).trim();
    const fence = /^("""|''')/.exec(value)?.[1];
    if (fence && value.split(fence).length < 3) {
      while (index + 1 < lines.length) {
        index++;
        const next = lines[index] as string;
        value += `\n${next}`;
        if (next.includes(fence)) break;
      }
    } else {
      while (depthOf(value) > 0 && index + 1 < lines.length) {
        index++;
        value += `\n${stripComment(lines[index] as string)}`;
      }
    }
    const dotted = normaliseKey(pair[1] as string).split('.');
    const key = dotted.pop() as string;
    const fullTable = [table, ...dotted].filter(Boolean).join('.');
    entries.push({ table: fullTable, key, value, line: start + 1 });
  }
  return { tables, entries };
};

/** True when a raw value is an array or inline table with at least one member. */
export const nonEmpty = (value: string): boolean => {
  const trimmed = value.trim();
  if (!/^[[{]/.test(trimmed)) return trimmed.length > 0;
  return trimmed.slice(1, -1).replace(/[\s,]/g, '').length > 0;
};

/** The strings of a raw TOML array value (`["a", 'b']`). */
export const stringsOf = (value: string): string[] => [...value.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((m) => (m[1] ?? m[2]) as string);
