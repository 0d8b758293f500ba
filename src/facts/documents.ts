import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { PostureError, type ErrorTemplate } from '../cli/errors.js';
import { JsonSyntaxError, readJsonObjectEvents, readJsonObjectFile, type JsonEventOptions, type JsonObjectEvent } from '../util/json-read.js';
import { packageRoot } from '../util/package-root.js';
import { createResultSharing } from './result-sharing.js';

// ajv-formats ships CommonJS with a default export that NodeNext sees as a namespace.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The documents posture reads, each with a schema under schemas/. */
export type DocumentType = 'facts' | 'result' | 'rule' | 'rule-test' | 'config' | 'ignore-file' | 'threat-model';

// posture writes result documents of hundreds of megabytes for estates of tens of thousands of
// resources (every decision is a finding), longer than any string can be. Up to this size a
// document is read as one string and parsed at once; larger ones are read in parts. The text read
// whole is garbage the size of the file as soon as it is parsed, and V8 keeps it until its next
// full collection: reading the facts of 50,000 resources (43 MB) in parts lowered the peak of
// `posture evaluate` by 65 MB, at the same speed.
const STREAM_FROM_BYTES = 8 * 1024 * 1024;
const MAX_YAML_BYTES = 4 * 1024 * 1024;

/** Creates the ajv instance used for posture's own documents and for rule conditions. */
export const createAjv = (options: { allErrors?: boolean } = {}): Ajv => {
  const ajv = new Ajv({ strict: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true, allErrors: options.allErrors ?? false });
  addFormats(ajv);
  return ajv;
};

export type SchemaSet = {
  ajv: Ajv;
  validator: (type: DocumentType) => ValidateFunction;
  /** The validator of one element of a document's top-level array member. */
  elementValidator: (type: DocumentType, member: string) => ValidateFunction;
  /** The attribute schema of a resource kind, if the kind has one. */
  kindValidator: (kind: string) => ValidateFunction | undefined;
};

/** Loads every schema under schemas/ once per process run; validators are compiled lazily. */
export const createSchemaSet = (): SchemaSet => {
  const ajv = createAjv({ allErrors: true });
  const kindIds = new Map<string, string>();
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith('.schema.json')) {
        const schema = JSON.parse(readFileSync(full, 'utf8')) as { $id: string };
        ajv.addSchema(schema);
        const kind = /\/kinds\/(.+)\.schema\.json$/.exec(schema.$id)?.[1];
        if (kind) kindIds.set(kind, schema.$id);
      }
    }
  };
  visit(path.join(packageRoot, 'schemas'));
  const compiled = new Map<string, ValidateFunction>();
  const get = (id: string): ValidateFunction => {
    let fn = compiled.get(id);
    if (!fn) {
      fn = ajv.getSchema(id);
      if (!fn) throw new PostureError('internal', `schema ${id} is not installed`);
      compiled.set(id, fn);
    }
    return fn;
  };
  return {
    ajv,
    validator: (type) => get(`https://posture.dev/schemas/${type}.schema.json`),
    elementValidator: (type, member) => get(`https://posture.dev/schemas/${type}.schema.json#/properties/${member}/items`),
    kindValidator: (kind) => {
      const id = kindIds.get(kind);
      return id ? get(id) : undefined;
    },
  };
};

/** The size of a file to read, with an error naming it when it cannot be read. */
const sizeOf = (file: string, limit: number): number => {
  let size: number;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw new PostureError('file-unreadable', 'is a directory, not a file', { file });
    size = stat.size;
  } catch (error) {
    if (error instanceof PostureError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new PostureError(code === 'ENOENT' ? 'path-missing' : 'file-unreadable', code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? 'error'})`, { file });
  }
  if (size > limit) throw new PostureError('file-unreadable', `is ${size} bytes; the limit for this document is ${limit}`, { file });
  return size;
};

const readFailure = (file: string, error: unknown): PostureError =>
  new PostureError('file-unreadable', `cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { file });

const readWhole = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw readFailure(file, error);
  }
};

const readText = (file: string, limit: number): string => {
  sizeOf(file, limit);
  return readWhole(file);
};

const pointerSegments = (instancePath: string): string[] =>
  instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** Describes one ajv error as "at /json/path: message". */
export const describeAjvError = (error: ErrorObject): string => {
  const at = error.instancePath === '' ? '(top level)' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  let detail = error.message ?? 'is invalid';
  if (error.keyword === 'additionalProperties') detail = `has unknown property "${String(params.additionalProperty)}"`;
  if (error.keyword === 'enum') detail = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `at ${at}: ${detail}`;
};

/** The most useful error first: the deepest one, so that oneOf/anyOf noise does not hide it. */
const primaryError = (errors: ErrorObject[]): ErrorObject =>
  [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0] as ErrorObject;

const lineOf = (doc: Document, counter: LineCounter, segments: string[]): number | undefined => {
  for (let n = segments.length; n >= 0; n--) {
    const node = doc.getIn(segments.slice(0, n).map((s) => (/^\d+$/.test(s) ? Number(s) : s)), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
};

export type ParsedYaml = { data: unknown; doc: Document; counter: LineCounter };

/** Parses YAML text, refusing alias bombs and duplicate keys; errors name the file and line. */
export const parseYaml = (text: string, file: string, template: ErrorTemplate = 'yaml-syntax'): ParsedYaml => {
  const counter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true, strict: true });
  } catch (error) {
    throw new PostureError(template, `cannot parse YAML: ${(error as Error).message}`, { file });
  }
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    // The parser turns a stack overflow on deep nesting into an error of the document.
    const message = first.message.includes('Maximum call stack') ? 'document is nested too deeply' : first.message.split('\n')[0];
    throw new PostureError(template, `invalid YAML: ${message}`, { file, line });
  }
  try {
    return { data: doc.toJS({ maxAliasCount: 100 }), doc, counter };
  } catch (error) {
    const message = error instanceof RangeError ? 'document is nested too deeply' : (error as Error).message;
    // yaml resolves aliases only here, without a position: point at the alias's first use.
    const alias = /^Unresolved alias[^:]*: (\S+)/.exec(message)?.[1];
    const at = alias ? text.search(new RegExp(`\\*${alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![^\\s,\\]}])`)) : -1;
    throw new PostureError(template, `invalid YAML: ${message}`, { file, line: at >= 0 ? text.slice(0, at).split('\n').length : undefined });
  }
};

/** The error of a document that its schema refused, located by its JSON path (and line, for YAML). */
export const validationError = (
  type: DocumentType,
  file: string,
  errors: ErrorObject[],
  located?: { doc: Document; counter: LineCounter },
): PostureError => {
  const error = primaryError(errors);
  const line = located ? lineOf(located.doc, located.counter, pointerSegments(error.instancePath)) : undefined;
  const template: ErrorTemplate = type === 'config' ? 'config-invalid' : type === 'rule' || type === 'rule-test' ? 'rule-invalid' : 'document-invalid';
  return new PostureError(template, `not a valid ${type} document ${describeAjvError(error)}`, { file, line });
};

/** Reads and validates a YAML document (config, rule, rule test, ignore file). */
export const loadYamlDocument = <T>(schemas: SchemaSet, type: DocumentType, file: string): { data: T; parsed: ParsedYaml } => {
  const template: ErrorTemplate = type === 'config' ? 'config-invalid' : type.startsWith('rule') ? 'rule-invalid' : 'yaml-syntax';
  const parsed = parseYaml(readText(file, MAX_YAML_BYTES), file, template);
  const validate = schemas.validator(type);
  if (!validate(parsed.data)) throw validationError(type, file, validate.errors ?? [], parsed);
  return { data: parsed.data as T, parsed };
};

export type JsonDocumentOptions = {
  /** Files of this many bytes or more are read in parts (see readJsonObjectFile). */
  streamFromBytes?: number;
};

const parseJsonText = (text: string, file: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    const match = /position (\d+)/.exec((error as Error).message);
    // A truncated document fails at its end, where V8 gives no position.
    const line = match ? text.slice(0, Number(match[1])).split('\n').length : /end of JSON input/.test((error as Error).message) ? text.split('\n').length : undefined;
    throw new PostureError('document-invalid', `not valid JSON: ${(error as Error).message}`, { file, line });
  }
};

/**
 * A large document, read in parts: no string holds its whole text, and a result document's
 * repeated parts are held once (createResultSharing), as evaluate held them.
 */
const readLargeJson = (file: string, type: DocumentType): unknown => {
  try {
    return readJsonObjectFile(file, type === 'result' ? { element: createResultSharing() } : {});
  } catch (error) {
    throw largeJsonError(file, error);
  }
};

const largeJsonError = (file: string, error: unknown): unknown => {
  if (error instanceof JsonSyntaxError) return new PostureError('document-invalid', `not valid JSON: ${error.message}`, { file, line: error.line });
  // One value longer than a string can be (the document is read a value at a time).
  if (error instanceof RangeError) return new PostureError('document-invalid', `holds a value too large to read: ${error.message}`, { file });
  if ((error as NodeJS.ErrnoException).code !== undefined) return readFailure(file, error);
  return error;
};

/**
 * The events of a JSON document read in parts (readJsonObjectEvents), for a document too large to
 * hold: its errors are those loadJsonDocument gives. Nothing is validated.
 */
export function* jsonDocumentEvents(file: string, options: JsonEventOptions = {}): Generator<JsonObjectEvent> {
  sizeOf(file, Number.MAX_SAFE_INTEGER);
  try {
    yield* readJsonObjectEvents(file, options);
  } catch (error) {
    throw largeJsonError(file, error);
  }
}

/** Whether a file is large enough to be read in parts. */
export const isLargeDocument = (file: string): boolean => file !== '-' && sizeOf(file, Number.MAX_SAFE_INTEGER) >= STREAM_FROM_BYTES;

/** The error of an element of a top-level array that `schemas.elementValidator` refused, located in the document. */
export const elementValidationError = (type: DocumentType, file: string, member: string, index: number, errors: ErrorObject[]): PostureError =>
  validationError(type, file, errors.map((error) => ({ ...error, instancePath: `/${member.replace(/~/g, '~0').replace(/\//g, '~1')}/${index}${error.instancePath}` })));

/** Reads and validates a JSON document (facts, result). `-` reads standard input. */
export const loadJsonDocument = <T>(schemas: SchemaSet, type: DocumentType, file: string, options: JsonDocumentOptions = {}): T => {
  let data: unknown;
  if (file === '-') data = parseJsonText(readFileSync(0, 'utf8'), file);
  else if (sizeOf(file, Number.MAX_SAFE_INTEGER) >= (options.streamFromBytes ?? STREAM_FROM_BYTES)) data = readLargeJson(file, type);
  else data = parseJsonText(readWhole(file), file);
  const validate = schemas.validator(type);
  if (!validate(data)) throw validationError(type, file, validate.errors ?? []);
  return data as T;
};

/** Validates an in-memory document, for documents posture produced itself before writing them. */
export const assertValid = (schemas: SchemaSet, type: DocumentType, data: unknown, label: string): void => {
  const validate = schemas.validator(type);
  if (!validate(data)) throw validationError(type, label, validate.errors ?? []);
};
