import { existsSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import type { Finding, ResultDocument } from '../engine/types.js';
import { elementValidationError, jsonDocumentEvents, loadJsonDocument, validationError } from '../facts/documents.js';
import type { OutputFormat } from '../reporters/index.js';
import type { SarifBuild } from '../reporters/sarif.js';
import { combineVisitors, headOf, RESULT_ARRAYS, visitElement, type ResultArray, type ResultVisitor, type RiskScore } from '../reporters/visit.js';
import { stageFile, type StagedFile } from '../util/atomic.js';
import type { JsonObjectEvent } from '../util/json-read.js';
import { PostureError } from './errors.js';
import { commitAll, serialiseRedacted, stageRendered, startReports, writeReports, type Runtime } from './pipeline.js';

const LONG_ARRAYS: ReadonlySet<string> = new Set(RESULT_ARRAYS);
const isLongArray = (member: string): member is ResultArray => LONG_ARRAYS.has(member);

/** As JSON.parse sets a member: an own property, `__proto__` too. */
const define = (target: Record<string, unknown>, name: string, value: unknown): void => {
  Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
};

/**
 * The first pass: every value is validated (each element of the long arrays on its own, the rest
 * as a document whose long arrays are empty) and shown to the redactor, which learns the secret
 * keys that the document pairs with key ids across strings. Gives the document without the
 * elements of its long arrays, and whether they come in the order the reports are shown them
 * (findings, assets, register, risks; each once), as posture writes them.
 */
const readHead = (rt: Runtime, file: string): { head: Record<string, unknown>; scores: RiskScore[]; inOrder: boolean } => {
  const scores: RiskScore[] = [];
  const order: string[] = [];
  const learner = rt.redactor.learnPairs();
  const head: Record<string, unknown> = {};
  let held: unknown[] | undefined;
  let validate: ValidateFunction | undefined;
  for (const event of jsonDocumentEvents(file)) {
    if (event.type === 'member') {
      learner.see(event.member);
      learner.see(event.value);
      define(head, event.member, event.value);
    } else if (event.type === 'array') {
      learner.see(event.member);
      const long = isLongArray(event.member);
      if (long) order.push(event.member);
      held = long ? undefined : [];
      validate = long ? rt.schemas.elementValidator('result', event.member) : undefined;
      define(head, event.member, held ?? []);
    } else if (event.type === 'element') {
      learner.see(event.value);
      if (event.member === 'risks' && event.value !== null && typeof event.value === 'object') {
        const { fingerprint, residual, score } = event.value as RiskScore;
        scores.push({ fingerprint, residual, score });
      }
      if (held) held.push(event.value);
      else if (validate && !validate(event.value)) throw elementValidationError('result', file, event.member, event.index, validate.errors ?? []);
    }
  }
  const validateHead = rt.schemas.validator('result');
  if (!validateHead(head)) throw validationError('result', file, validateHead.errors ?? []);
  learner.commit();
  const expected = RESULT_ARRAYS.filter((member) => order.includes(member));
  return { head, scores, inOrder: order.length === expected.length && order.every((member, index) => member === expected[index]) };
};

/**
 * The document as it is written again: the head's members, and in place of each long array an
 * iterable that reads its elements from the file, redacts each, and shows it to `visitor` as it
 * goes by. Members come in the order the file has them, so one read of the file serves them all.
 */
const streamedDocument = (rt: Runtime, file: string, head: Record<string, unknown>, visitor: ResultVisitor) => {
  const events = jsonDocumentEvents(file);
  function* elementsOf(member: ResultArray): Generator<unknown> {
    for (let next = events.next(); !next.done; next = events.next()) {
      const event: JsonObjectEvent = next.value;
      if (event.member !== member) continue;
      if (event.type === 'array-end') return;
      if (event.type !== 'element') continue;
      const value = rt.redactor.redactDeep(event.value);
      visitElement(visitor, member, value, event.index);
      yield value;
    }
  }
  const document: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(head)) {
    define(document, name, isLongArray(name) && Array.isArray(value) ? { [Symbol.iterator]: () => elementsOf(name) } : value);
  }
  return { document, close: () => void events.return(undefined) };
};

const removeIfEmpty = (dir: string): void => {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty, or already gone: left as it is.
  }
};

/** What tells one version of a file from another: its size and when it was last written. */
const versionOf = (file: string): string => {
  const stat = statSync(file, { bigint: true });
  return `${stat.size}:${stat.mtimeNs}`;
};

const guardSarif = async (reports: ReturnType<typeof startReports>, guard: (sarif: SarifBuild) => Promise<void>): Promise<void> => {
  const sarif = reports.find((r) => r.build?.sarif)?.build?.sarif;
  if (sarif) await guard(sarif());
};

/**
 * Writes the reports of a result document too large to hold, reading the file three times and
 * keeping of it only what the reports show:
 * 1. validating it, and learning the secret keys it pairs across strings (readHead);
 * 2. writing result.json again, each element redacted as it goes by and shown to the reports;
 * 3. showing the reports the findings once more, for those that choose among them by the risks
 *    and assets that follow them in the document.
 * The files are those writeReports makes of the same document, byte for byte. `guard` sees the
 * SARIF log before anything is written.
 */
export const writeReportsFromFile = async (rt: Runtime, file: string, outDir: string, formats: OutputFormat[], guard: (sarif: ResultDocument | SarifBuild) => Promise<void>): Promise<string[]> => {
  const version = versionOf(file);
  const read = readHead(rt, file);
  if (!read.inOrder) {
    // Written by something other than posture (its long arrays in another order, or one of them
    // twice): valid, but not what the passes can read. It is read whole instead.
    const result = loadJsonDocument<ResultDocument>(rt.schemas, 'result', file);
    await guard(result);
    return writeReports(rt, outDir, result, formats);
  }
  const head = rt.redactor.redactDeep(read.head);
  const reports = startReports(headOf(head as ResultDocument), formats);
  // Let go before the reports render, so that each report's gatherings go with it.
  let visitor: ResultVisitor | undefined = combineVisitors(reports.map((r) => r.build?.visitor ?? {}));
  // Read before the redactor knew the document: redacted now, as the findings' are.
  if (visitor.riskScore) for (const score of read.scores) visitor.riskScore({ ...score, fingerprint: rt.redactor.redact(score.fingerprint) });
  read.scores.length = 0;
  const staged: StagedFile[] = [];
  const created = !existsSync(outDir);
  try {
    const streamed = streamedDocument(rt, file, head, visitor);
    try {
      // The elements are redacted as they are read: written as they are.
      staged.push(stageFile(path.join(outDir, 'result.json'), serialiseRedacted(rt, streamed.document, (elements) => elements)));
    } finally {
      streamed.close();
    }
    if (visitor.findingAgain) {
      for (const event of jsonDocumentEvents(file, { skip: (member) => member !== 'findings' })) {
        if (event.type === 'element') visitor.findingAgain(rt.redactor.redactDeep(event.value) as Finding, event.index);
      }
    }
    visitor = undefined;
    await guardSarif(reports, guard);
    staged.push(...stageRendered(rt, outDir, reports));
    // The passes agree only if they read the same document.
    if (versionOf(file) !== version) throw new PostureError('file-unreadable', 'changed while it was being read; run posture report again once it is written', { file });
  } catch (error) {
    for (const file of staged) file.discard();
    // As when nothing was written: no output directory made for files that were not.
    if (created) removeIfEmpty(outDir);
    throw error;
  }
  return commitAll(staged);
};
