import { isDeepStrictEqual } from 'node:util';
import type { Finding } from '../engine/types.js';
import type { RegisterEntry, RegisterRule, RiskEntry } from '../threat-model/types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * An element hook for reading a result document (see readJsonObjectFile) that gives back the
 * document JSON.parse would, with what it repeats held once, as evaluate holds it: a rule's title
 * and CSF reference in each of its findings, a resource in each of its findings and risks, a
 * register entry in each STRIDE cell it mitigates. Parsed text has a copy of each per element;
 * at hundreds of thousands of findings the copies are most of the memory the document takes.
 */
export const createResultSharing = (): ((member: string, value: unknown) => unknown) => {
  const strings = new Map<string, string>();
  const text = <T extends string | undefined>(value: T): T => {
    if (value === undefined) return value;
    const held = strings.get(value);
    if (held !== undefined) return held as T;
    strings.set(value, value);
    return value;
  };
  // Small values shared by their JSON text: resources, CSF references, threat and attacker lists.
  const values = new Map<string, unknown>();
  const shared = <T>(kind: string, value: T): T => {
    const key = `${kind}\u0000${JSON.stringify(value)}`;
    const held = values.get(key);
    if (held !== undefined) return held as T;
    values.set(key, value);
    return value;
  };
  const noEvidence = Object.freeze([]) as unknown as Finding['evidence'];
  // Register cells come asset by asset: an asset's entries, by rule, for its next cells.
  let registerAsset: string | undefined;
  let entries = new Map<string, RegisterRule>();

  const finding = (f: Mutable<Finding>): Finding => {
    f.ruleId = text(f.ruleId);
    f.status = text(f.status);
    f.severity = text(f.severity);
    f.title = text(f.title);
    f.resource = shared('resource', f.resource);
    f.csf = shared('csf', f.csf);
    f.threats = shared('threats', f.threats);
    if (Array.isArray(f.evidence) && f.evidence.length === 0) f.evidence = noEvidence;
    return f;
  };

  const risk = (r: Mutable<RiskEntry>): RiskEntry => {
    r.ruleId = text(r.ruleId);
    r.title = text(r.title);
    r.asset = text(r.asset);
    r.severity = text(r.severity);
    r.classification = text(r.classification);
    r.exposure = text(r.exposure);
    r.band = text(r.band);
    r.state = text(r.state);
    r.formula = text(r.formula);
    r.resource = shared('risk-resource', r.resource);
    r.threats = shared('threats', r.threats);
    return r;
  };

  const cell = (c: Mutable<RegisterEntry>): RegisterEntry => {
    if (c.asset !== registerAsset) {
      registerAsset = c.asset;
      entries = new Map();
    }
    c.asset = text(c.asset);
    c.status = text(c.status);
    c.attackers = shared('attackers', c.attackers);
    if (!Array.isArray(c.rules)) return c;
    c.rules = c.rules.map((rule) => {
      if (rule === null || typeof rule !== 'object') return rule;
      const earlier = entries.get(rule.ruleId);
      if (earlier && isDeepStrictEqual(earlier, rule)) return earlier;
      rule.ruleId = text(rule.ruleId);
      rule.title = text(rule.title);
      rule.severity = text(rule.severity);
      rule.status = text(rule.status);
      rule.counts = shared('counts', rule.counts);
      entries.set(rule.ruleId, rule);
      return rule;
    });
    return c;
  };

  // The document is validated after it is read: an element of the wrong shape is passed through
  // for the schema to describe, and nothing here may throw on it.
  return (member, value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    if (member === 'findings') return finding(value as Finding);
    if (member === 'risks') return risk(value as RiskEntry);
    if (member === 'threatRegister') return cell(value as RegisterEntry);
    return value;
  };
};
