import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** Where a JSON text stopped parsing: the message of JSON.parse and the 1-based line. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

export type JsonReadOptions = {
  /** Bytes read at a time. */
  chunkBytes?: number;
  /**
   * Called with each element of an array that is a member of the top-level object, as parsed;
   * what it returns is kept instead (to share the parts that many elements repeat).
   */
  element?: (member: string, value: unknown) => unknown;
  /** The longest one value may be, in characters. */
  maxValueChars?: number;
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;

// Bytes read at a time. Every element of a chunk is parsed before the first is handed over: with
// chunks of megabytes, the elements waiting outlived young-generation collections and filled the
// old generation with garbage (a pass over a 900 MB result peaked 250 MB higher with 4 MB chunks).
const DEFAULT_CHUNK_BYTES = 64 * 1024;
// An unclosed value up to this long is parsed again to find where its error is.
const REPARSE_MAX_CHARS = 16 * 1024 * 1024;
// The longest one value (a top-level member, or an element of one that is an array) may be: posture
// writes none longer than a few megabytes.
const MAX_VALUE_CHARS = 128 * 1024 * 1024;

/** Letters, digits, `+`, `-` and `.`: what a number or a literal is made of (JSON.parse judges the rest). */
const isScalarChar = (code: number): boolean =>
  (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x2b || code === 0x2d || code === 0x2e;

const isSpace = (code: number): boolean => code === 0x20 || code === NEWLINE || code === 0x0d || code === 0x09;

/**
 * Reads a JSON document whose top level is an object without holding its text: a result document
 * of a large estate is longer than the longest string V8 can hold. The file is read in chunks;
 * each member of the top-level object is parsed on its own with JSON.parse, and a member that is
 * an array element by element, so no text longer than one element is ever built. The value is what
 * JSON.parse of the whole text would give; a syntax error names the line where it is.
 */
export const readJsonObjectFile = (file: string, options: JsonReadOptions = {}): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  // As JSON.parse does: every member an own property, "__proto__" too (an assignment would set
  // the object's prototype instead); a later member of the same name replaces an earlier one.
  const define = (name: string, value: unknown): void => {
    Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
  };
  let array: unknown[] = [];
  const element = options.element;
  for (const event of readJsonObjectEvents(file, options)) {
    if (event.type === 'member') define(event.member, event.value);
    else if (event.type === 'array') define(event.member, (array = []));
    else if (event.type === 'element') array.push(element ? element(event.member, event.value) : event.value);
  }
  return out;
};

/**
 * What reading a top-level object meets, in document order: a member that is not an array with its
 * value, or an array member's start, each of its elements, and its end.
 */
export type JsonObjectEvent =
  | { type: 'member'; member: string; value: unknown }
  | { type: 'array'; member: string }
  | { type: 'element'; member: string; index: number; value: unknown }
  | { type: 'array-end'; member: string; count: number };

export type JsonEventOptions = Pick<JsonReadOptions, 'chunkBytes' | 'maxValueChars'> & {
  /**
   * Members whose values are passed over unparsed (no events but an array's start and end): a
   * later pass over a document already read whole needs only some of it.
   */
  skip?: (member: string) => boolean;
};

/**
 * The events of a top-level JSON object read in chunks (see readJsonObjectFile), pulled one at a
 * time: a caller that keeps no element holds no more than one chunk of the document.
 */
export function* readJsonObjectEvents(file: string, options: JsonEventOptions = {}): Generator<JsonObjectEvent> {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.max(1, options.chunkBytes ?? DEFAULT_CHUNK_BYTES));
    const decoder = new StringDecoder('utf8');
    const queue: JsonObjectEvent[] = [];
    const reader = createReader((event) => queue.push(event), options.maxValueChars ?? MAX_VALUE_CHARS, options.skip);
    const drain = function* (): Generator<JsonObjectEvent> {
      // Events are handed over as they are taken, so that none is held once its caller is done with it.
      for (let i = 0; i < queue.length; i++) {
        const event = queue[i] as JsonObjectEvent;
        queue[i] = undefined as unknown as JsonObjectEvent;
        yield event;
      }
      queue.length = 0;
    };
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      reader.feed(decoder.write(buffer.subarray(0, read)));
      yield* drain();
    }
    reader.feed(decoder.end());
    reader.end();
    yield* drain();
  } finally {
    closeSync(fd);
  }
}

type State =
  | 'start' // before the top-level `{`
  | 'name' // before a member name, or the closing `}`
  | 'colon'
  | 'value' // before a member's value
  | 'element' // before an array element, or the closing `]`
  | 'after-element' // after an element: `,` or `]`
  | 'after-member' // after a member's value: `,` or `}`
  | 'end';

/**
 * The scanner: a state for the top level and, while a value is being collected, its nesting depth
 * and whether it is inside a string. Text is collected from where a value starts to where it ends,
 * across chunks.
 */
const createReader = (emit: (event: JsonObjectEvent) => void, maxValueChars: number, skip: JsonEventOptions['skip']) => {
  let members = 0;
  let state: State = 'start';
  let line = 1;
  let member = '';
  // Whether an array member is open, how many elements it has had, and whether its values are parsed.
  let inArray = false;
  let count = 0;
  let skipping = false;
  // The value being collected: its pieces from earlier chunks, its depth, its first line.
  let pieces: string[] = [];
  let collected = 0;
  let collecting = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let startLine = 1;
  // A member name being collected (names are short, but may still straddle two chunks).
  let naming = false;
  let nameText = '';

  const fail = (message: string, at: number): never => {
    throw new JsonSyntaxError(message, at);
  };

  // Where a value sits, as a JSON pointer: `/findings/12` names the element a syntax error is in
  // when the parser's message gives no position (it does not in Node 20).
  const pointer = (): string => `/${member.replace(/~/g, '~0').replace(/\//g, '~1')}${inArray ? `/${count}` : ''}`;

  const parse = (text: string, first: number): unknown => {
    try {
      return JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message);
      const offset = position ? text.slice(0, Number(position[1])).split('\n').length - 1 : 0;
      throw new JsonSyntaxError(`${message} (in the value at ${pointer()}, from line ${first})`, first + offset);
    }
  };

  const finishValue = (): void => {
    const text = pieces.length === 1 ? (pieces[0] as string) : pieces.join('');
    pieces = [];
    collected = 0;
    collecting = false;
    if (inArray) {
      if (!skipping) emit({ type: 'element', member, index: count, value: parse(text, startLine) });
      count++;
      state = 'after-element';
    } else {
      if (!skipping) emit({ type: 'member', member, value: parse(text, startLine) });
      state = 'after-member';
    }
  };

  const feed = (chunk: string): void => {
    let from = 0; // where the part of this chunk that belongs to the value being collected starts
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      const code = chunk.charCodeAt(i);
      if (collecting) {
        if (inString) {
          if (escaped) escaped = false;
          else if (code === BACKSLASH) escaped = true;
          else if (code === QUOTE) {
            inString = false;
            if (depth === 0) {
              pieces.push(chunk.slice(from, i + 1));
              finishValue();
            }
          } else if (code < 0x20) fail(`Bad control character in string literal (in the value at ${pointer()}, from line ${startLine})`, line);
          continue;
        }
        if (depth === 0) {
          // A scalar (a number, true, false, null) ends at the first character that cannot be
          // part of one; that character belongs to the level above.
          if (isScalarChar(code)) continue;
          pieces.push(chunk.slice(from, i));
          finishValue();
          i--;
          continue;
        }
        if (code === QUOTE) inString = true;
        else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
        else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
          if (--depth === 0) {
            pieces.push(chunk.slice(from, i + 1));
            finishValue();
          }
        } else if (code === NEWLINE) line++;
        continue;
      }
      if (naming) {
        if (code < 0x20) fail('Bad control character in a member name', line);
        if (escaped) escaped = false;
        else if (code === BACKSLASH) escaped = true;
        else if (code === QUOTE) {
          nameText += chunk.slice(from, i + 1);
          try {
            member = JSON.parse(nameText) as string;
          } catch (error) {
            fail(`${(error as Error).message} (in a member name)`, line);
          }
          naming = false;
          state = 'colon';
        }
        continue;
      }
      if (code === NEWLINE) {
        line++;
        continue;
      }
      if (isSpace(code)) continue;
      switch (state) {
        case 'start':
          if (code !== OPEN_BRACE) fail('the document is not a JSON object', line);
          state = 'name';
          break;
        case 'name':
          if (code === CLOSE_BRACE && members === 0) state = 'end';
          else if (code === QUOTE) {
            naming = true;
            nameText = '';
            from = i;
          } else fail(`expected a member name, found ${JSON.stringify(chunk[i])}`, line);
          break;
        case 'colon':
          if (code !== COLON) fail(`expected ":" after "${member}"`, line);
          state = 'value';
          break;
        case 'value':
          members++;
          skipping = skip?.(member) === true;
          if (code === OPEN_BRACKET) {
            inArray = true;
            count = 0;
            emit({ type: 'array', member });
            state = 'element';
          } else startValue(code);
          break;
        case 'element':
          if (code === CLOSE_BRACKET && count === 0) closeArray();
          else startValue(code);
          break;
        case 'after-element':
          if (code === COMMA) state = 'element';
          else if (code === CLOSE_BRACKET) closeArray();
          else fail(`expected "," or "]" in "${member}", found ${JSON.stringify(chunk[i])}`, line);
          break;
        case 'after-member':
          if (code === COMMA) state = 'name';
          else if (code === CLOSE_BRACE) state = 'end';
          else fail(`expected "," or "}", found ${JSON.stringify(chunk[i])}`, line);
          break;
        case 'end':
          fail(`unexpected ${JSON.stringify(chunk[i])} after the end of the document`, line);
      }
      if (collecting || naming) from = i;
    }
    if (collecting) {
      pieces.push(chunk.slice(from));
      collected += length - from;
      // A bracket or quote out of balance makes one value run to the end of the file: stop before
      // the rest of a large file is held in memory.
      if (collected > maxValueChars) fail(`the value at ${pointer()}, from line ${startLine}, is longer than ${maxValueChars} characters: a bracket or quote in it is probably out of balance`, startLine);
    } else if (naming) nameText += chunk.slice(from);
  };

  const startValue = (code: number): void => {
    collecting = true;
    startLine = line;
    inString = code === QUOTE;
    escaped = false;
    depth = code === OPEN_BRACE || code === OPEN_BRACKET ? 1 : 0;
  };

  const closeArray = (): void => {
    inArray = false;
    emit({ type: 'array-end', member, count });
    state = 'after-member';
  };

  const end = (): void => {
    if (collecting && !inString && depth === 0) finishValue();
    if (collecting) {
      // A value that never closes: a stray bracket or quote inside it, or a file cut short. The
      // parser finds where, within a value of a size it can take; else the value is named.
      const text = pieces.join('');
      if (text.length <= REPARSE_MAX_CHARS) parse(text, startLine);
      fail(`Unexpected end of JSON input (in the value at ${pointer()}, from line ${startLine})`, startLine);
    }
    if (state !== 'end') fail('Unexpected end of JSON input', line);
  };

  return { feed, end };
};
