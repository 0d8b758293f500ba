import type { Ajv, ValidateFunction } from 'ajv';
import { isUnknown, type Unknown } from '../facts/types.js';
import type { JsonSchema } from './types.js';

/** Kleene's three values: a condition over partly unknown data may be undecidable. */
export type Truth = 'true' | 'false' | 'unknown';

const DAY_MS = 86_400_000;

/**
 * Replaces parameter placeholders before a schema is compiled:
 * `{"$param": "name"}` becomes the parameter's value, and `{"$ago": {"days": N}}` the ISO time
 * N days before the scan time, so that ages are computed against the scan clock.
 */
export const substitute = (schema: unknown, params: Record<string, unknown>, scanTime: Date): unknown => {
  if (Array.isArray(schema)) return schema.map((item) => substitute(item, params, scanTime));
  if (schema === null || typeof schema !== 'object') return schema;
  const record = schema as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === '$param') {
    const name = String(record.$param);
    if (!(name in params)) throw new Error(`unknown parameter "${name}"`);
    return params[name];
  }
  if (keys.length === 1 && keys[0] === '$ago') {
    const spec = substitute(record.$ago, params, scanTime) as { days?: unknown };
    if (typeof spec.days !== 'number') throw new Error('$ago needs a number of days');
    return new Date(scanTime.getTime() - spec.days * DAY_MS).toISOString();
  }
  return Object.fromEntries(keys.map((key) => [key, substitute(record[key], params, scanTime)]));
};

/** Finds the first unknown marker inside a value, with its path. */
export const findUnknown = (value: unknown, at = ''): { path: string; marker: Unknown } | undefined => {
  // The keys of the path are collected on the way back from a find, so that a search that finds
  // nothing (the usual case) builds no path strings.
  const keys: string[] = [];
  const marker = searchUnknown(value, keys);
  if (marker === undefined) return undefined;
  let path = at;
  for (let index = keys.length - 1; index >= 0; index--) path = path ? `${path}.${keys[index]}` : (keys[index] as string);
  return { path, marker };
};

const searchUnknown = (value: unknown, keys: string[]): Unknown | undefined => {
  if (value === null || typeof value !== 'object') return undefined;
  if (isUnknown(value)) return value;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = searchUnknown(value[index], keys);
      if (found !== undefined) {
        keys.push(String(index));
        return found;
      }
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const found = searchUnknown((value as Record<string, unknown>)[key], keys);
    if (found !== undefined) {
      keys.push(key);
      return found;
    }
  }
  return undefined;
};

const and = (a: Truth, b: Truth): Truth => (a === 'false' || b === 'false' ? 'false' : a === 'unknown' || b === 'unknown' ? 'unknown' : 'true');
const or = (a: Truth, b: Truth): Truth => (a === 'true' || b === 'true' ? 'true' : a === 'unknown' || b === 'unknown' ? 'unknown' : 'false');
const not = (a: Truth): Truth => (a === 'unknown' ? 'unknown' : a === 'true' ? 'false' : 'true');

/** Keywords that look only at an object's or array's shape, never at its members' values. */
const SHAPE_KEYWORDS = new Set(['type', 'required', 'minProperties', 'maxProperties', 'minItems', 'maxItems', 'propertyNames']);
const ANNOTATIONS = new Set(['title', 'description', '$comment', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly']);

/**
 * Evaluates a JSON Schema over data that may hold unknown markers, in three values. Data without
 * markers goes straight to ajv; combinators and `properties` are decomposed so that known inputs
 * can decide a result (an `anyOf` branch that passes decides it whatever the others hold); any
 * other keyword that would have to look at an unknown value gives `unknown`.
 */
export const createThreeValued = (ajv: Ajv) => {
  const cache = new WeakMap<object, ValidateFunction>();
  // The keywords left to ajv depend only on the schema: built once per schema object, so that
  // they hit the compile cache instead of being compiled again for every resource.
  const restOf = new WeakMap<object, Record<string, unknown>>();
  const compile = (schema: Record<string, unknown>): ValidateFunction => {
    let fn = cache.get(schema);
    if (!fn) {
      fn = ajv.compile(schema);
      cache.set(schema, fn);
    }
    return fn;
  };

  const evaluate = (schema: JsonSchema, data: unknown): Truth => {
    if (schema === true) return 'true';
    if (schema === false) return 'false';
    const keys = Object.keys(schema).filter((key) => !ANNOTATIONS.has(key));
    if (keys.length === 0) return 'true';
    if (isUnknown(data)) return 'unknown';
    if (!findUnknown(data)) return compile(schema)(data) ? 'true' : 'false';

    let result: Truth = 'true';
    const rest: Record<string, unknown> = {};
    for (const key of keys) {
      const value = schema[key];
      switch (key) {
        case 'allOf':
          for (const sub of value as JsonSchema[]) result = and(result, evaluate(sub, data));
          break;
        case 'anyOf':
          result = and(result, (value as JsonSchema[]).reduce<Truth>((acc, sub) => or(acc, evaluate(sub, data)), 'false'));
          break;
        case 'oneOf': {
          const values = (value as JsonSchema[]).map((sub) => evaluate(sub, data));
          const trues = values.filter((v) => v === 'true').length;
          const unknowns = values.filter((v) => v === 'unknown').length;
          result = and(result, trues > 1 ? 'false' : unknowns > 0 ? 'unknown' : trues === 1 ? 'true' : 'false');
          break;
        }
        case 'not':
          result = and(result, not(evaluate(value as JsonSchema, data)));
          break;
        case 'if': {
          const condition = evaluate(value as JsonSchema, data);
          const thenTruth = schema.then === undefined ? 'true' : evaluate(schema.then as JsonSchema, data);
          const elseTruth = schema.else === undefined ? 'true' : evaluate(schema.else as JsonSchema, data);
          result = and(result, condition === 'true' ? thenTruth : condition === 'false' ? elseTruth : thenTruth === elseTruth ? thenTruth : 'unknown');
          break;
        }
        case 'then':
        case 'else':
          break;
        case 'properties':
          if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
            for (const [name, sub] of Object.entries(value as Record<string, JsonSchema>)) {
              if (name in data) result = and(result, evaluate(sub, (data as Record<string, unknown>)[name]));
            }
          }
          break;
        case 'items':
          if (Array.isArray(data) && !Array.isArray(value)) {
            for (const item of data) result = and(result, evaluate(value as JsonSchema, item));
          }
          break;
        default:
          rest[key] = value;
      }
      if (result === 'false') return 'false';
    }
    const restKeys = Object.keys(rest);
    if (restKeys.length > 0) {
      const stable = restOf.get(schema) ?? rest;
      restOf.set(schema, stable);
      // Keywords such as `type` or `required` can be checked on the container even when a member is unknown.
      const shapeOnly = restKeys.every((key) => SHAPE_KEYWORDS.has(key) || (key === 'additionalProperties' && rest[key] === false));
      if (!shapeOnly) return and(result, 'unknown');
      result = and(result, compile(stable)(data) ? 'true' : 'false');
    }
    return result;
  };
  return evaluate;
};

/** The attribute names a schema reads at its top level, through combinators. */
export const topLevelAttributes = (schema: JsonSchema | undefined, into = new Set<string>()): Set<string> => {
  if (!schema || schema === true) return into;
  for (const name of Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {})) into.add(name);
  for (const name of (schema.required as string[] | undefined) ?? []) into.add(name);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    for (const sub of (schema[key] as JsonSchema[] | undefined) ?? []) topLevelAttributes(sub, into);
  }
  for (const key of ['not', 'if', 'then', 'else'] as const) topLevelAttributes(schema[key] as JsonSchema | undefined, into);
  return into;
};
