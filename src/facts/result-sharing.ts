import { isDeepStrictEqual } from 'node:util';

/**
 * An element hook for reading a result document (see readJsonObjectFile) that gives back the
 * document JSON.parse would, with what it repeats held once, as evaluate holds it: a rule's title
 * and CSF reference in each of its findings, a resource in each of its findings and risks, a
 * register entry in each STRIDE cell it mitigates. Parsed text has a copy of each per element;
 * at hundreds of thousands of findings the copies are most of the memory the document takes.
 */
export const createResultSharing = (): ((member: string, value: unknown) => unknown) => {
  const strings = new Map<string, string>();
  const text = (value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    const held = strings.get(value);
    if (held !== undefined) return held;
    strings.set(value, value);
    return value;
  };
  // Small values shared by their JSON text: resources, CSF references, threat and attacker lists.
  // The text is only where to look: one held value stands for another only if they are equal
  // (JSON text says 0 for -0, and null for what parsed as Infinity).
  const values = new Map<string, unknown>();
  const shared = (kind: string, value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const key = `${kind}\u0000${JSON.stringify(value)}`;
    const held = values.get(key);
    if (held !== undefined && isDeepStrictEqual(held, value)) return held;
    if (held === undefined) values.set(key, value);
    return value;
  };
  // Only members that are there are replaced: a missing one stays missing, for the schema to report.
  const each = (target: Record<string, unknown>, names: readonly string[], share: (value: unknown, name: string) => unknown): void => {
    for (const name of names) if (Object.hasOwn(target, name)) target[name] = share(target[name], name);
  };
  const noEvidence: readonly never[] = Object.freeze([]);
  // Register cells come asset by asset: an asset's entries, by rule, for its next cells.
  let registerAsset: string | undefined;
  let entries = new Map<string, Record<string, unknown>>();

  const finding = (f: Record<string, unknown>): void => {
    each(f, ['ruleId', 'status', 'severity', 'title'], text);
    each(f, ['resource', 'csf', 'threats'], (value, name) => shared(name, value));
    if (Array.isArray(f.evidence) && f.evidence.length === 0) f.evidence = noEvidence;
  };

  const risk = (r: Record<string, unknown>): void => {
    each(r, ['ruleId', 'title', 'asset', 'severity', 'classification', 'exposure', 'band', 'state', 'formula'], text);
    each(r, ['resource', 'threats'], (value, name) => shared(`risk-${name}`, value));
  };

  const cell = (c: Record<string, unknown>): void => {
    if (c.asset !== registerAsset) {
      registerAsset = typeof c.asset === 'string' ? c.asset : undefined;
      entries = new Map();
    }
    each(c, ['asset', 'status'], text);
    each(c, ['attackers'], (value) => shared('attackers', value));
    if (!Array.isArray(c.rules)) return;
    c.rules = c.rules.map((rule: unknown) => {
      if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return rule;
      const entry = rule as Record<string, unknown>;
      if (typeof entry.ruleId !== 'string') return entry;
      const earlier = entries.get(entry.ruleId);
      if (earlier && isDeepStrictEqual(earlier, entry)) return earlier;
      each(entry, ['ruleId', 'title', 'severity', 'status'], text);
      each(entry, ['counts'], (value) => shared('counts', value));
      entries.set(entry.ruleId, entry);
      return entry;
    });
  };

  // The document is validated after it is read: an element of the wrong shape is passed through
  // for the schema to describe, and nothing here may throw on it.
  return (member, value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const element = value as Record<string, unknown>;
    if (member === 'findings') finding(element);
    else if (member === 'risks') risk(element);
    else if (member === 'threatRegister') cell(element);
    return value;
  };
};
