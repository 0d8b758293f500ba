export type PiecesOptions = {
  /**
   * Applied to each group of elements that an iterable yields, before they are written: the
   * redactor, for parts of a document that are made only as they are written.
   */
  prepare?: (elements: unknown[]) => unknown[];
};

/**
 * The text of `JSON.stringify(value, null, 2)`, in pieces whose concatenation is exactly that
 * text. The top `depth` levels of objects and arrays are taken apart member by member; anything
 * deeper is stringified whole. A result document of hundreds of thousands of findings is larger
 * than the longest string V8 can hold, so it must never be built as one string.
 *
 * An iterable plain object within those levels, or a member of the deepest of them (which
 * JSON.stringify would write as `{}`), is written as the array of what it yields, pulled a group
 * at a time: a part of a document too large to hold whole can be made while it is written.
 */
export function* jsonPieces(value: unknown, depth = 2, indent = '', options: PiecesOptions = {}): Generator<string> {
  if (isLazyArray(value)) {
    const iterator = value[Symbol.iterator]();
    const take = (size: number): unknown[] => {
      const group: unknown[] = [];
      for (let next = iterator.next(); ; next = iterator.next()) {
        if (next.done) break;
        group.push(next.value);
        if (group.length === size) break;
      }
      return options.prepare && group.length > 0 ? options.prepare(group) : group;
    };
    yield* elementGroups(take, indent);
    return;
  }
  if (depth === 0 || !isContainer(value)) {
    const text = JSON.stringify(value, null, 2);
    // Strings in JSON text never hold a raw line break, so every line break is indentation.
    if (text !== undefined) yield indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    if (depth === 1) {
      let start = 0;
      yield* elementGroups((size) => value.slice(start, (start += size)), indent);
      return;
    }
    for (let index = 0; index < value.length; index++) {
      yield index === 0 ? `[\n${inner}` : `,\n${inner}`;
      const item: unknown = value[index];
      // What JSON.stringify leaves out of an object it writes as null in an array.
      if (isContainer(item)) yield* jsonPieces(item, depth - 1, inner, options);
      else yield member(item, inner) ?? 'null';
    }
    yield `\n${indent}]`;
    return;
  }
  let first = true;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    const name = JSON.stringify(key);
    if (isContainer(child)) {
      yield `${first ? `{\n${inner}` : `,\n${inner}`}${name}: `;
      yield* jsonPieces(child, depth - 1, inner, options);
    } else {
      const text = member(child, inner);
      if (text === undefined) continue;
      // A key and a scalar value stay in one piece, so that a redactor reading the pieces sees
      // `"secretAccessKey": "..."` together.
      yield `${first ? `{\n${inner}` : `,\n${inner}`}${name}: ${text}`;
    }
    first = false;
  }
  yield first ? '{}' : `\n${indent}}`;
}

/**
 * The text of `JSON.stringify(value)` (without indentation), in pieces whose concatenation is
 * exactly that text: the top `depth` levels of objects and arrays are taken apart member by member.
 */
export function* compactPieces(value: unknown, depth: number): Generator<string> {
  if (depth === 0 || !isContainer(value)) {
    const text = JSON.stringify(value);
    if (text !== undefined) yield text;
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) yield ',';
      const item: unknown = value[index];
      // What JSON.stringify leaves out of an object it writes as null in an array.
      if (isContainer(item)) yield* compactPieces(item, depth - 1);
      else yield JSON.stringify(item) ?? 'null';
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    const text = isContainer(child) ? undefined : JSON.stringify(child);
    if (!isContainer(child) && text === undefined) continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    if (text === undefined) yield* compactPieces(child, depth - 1);
    else yield text;
    first = false;
  }
  yield '}';
}

/** Bounds of the characters a group of elements is aimed at: see elementGroups. */
const GROUP_MIN = 1 << 14;
const GROUP_MAX = 1 << 16;

/**
 * An array whose elements are written whole, from `[` to `]`, a group of elements at a time
 * (`take(size)` gives the next ones; none when there are no more). Each group is stringified inside
 * as many arrays as the elements are indented, so that JSON.stringify writes their indentation
 * itself, and the wrapping is cut off: indenting each element's text afterwards took as long as
 * stringifying it. The number of elements a group takes adapts so that its text stays near 16 to
 * 64 K characters.
 */
function* elementGroups(take: (size: number) => unknown[], indent: string): Generator<string> {
  const inner = `${indent}  `;
  // Indentation is two spaces a level.
  const levels = inner.length / 2;
  let open = '';
  let close = '';
  for (let level = 1; level <= levels; level++) {
    open += `[\n${'  '.repeat(level)}`;
    close = `\n${'  '.repeat(level - 1)}]${close}`;
  }
  let size = 16;
  let first = true;
  for (let group = take(size); group.length > 0; group = take(size)) {
    let wrapped: unknown = group;
    for (let level = 1; level < levels; level++) wrapped = [wrapped];
    const text = JSON.stringify(wrapped, null, 2);
    yield `${first ? `[\n${inner}` : `,\n${inner}`}${text.slice(open.length, text.length - close.length)}`;
    first = false;
    if (text.length > GROUP_MAX && size > 1) size >>= 1;
    else if (text.length < GROUP_MIN && size < 1024) size <<= 1;
  }
  yield first ? '[]' : `\n${indent}]`;
}

/**
 * A plain object that is iterable (`{ [Symbol.iterator]: ... }`), which JSON.stringify would write
 * as `{}`: see jsonPieces. Maps, sets and typed arrays keep what JSON.stringify makes of them.
 */
const isLazyArray = (value: unknown): value is Iterable<unknown> =>
  value !== null &&
  typeof value === 'object' &&
  Object.getPrototypeOf(value) === Object.prototype &&
  typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';

/** A plain object or array: one that JSON.stringify walks rather than asking for its toJSON. */
const isContainer = (value: unknown): value is object =>
  value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function';

const member = (value: unknown, indent: string): string | undefined => {
  const text = JSON.stringify(value, null, 2);
  return text === undefined ? undefined : text.replaceAll('\n', `\n${indent}`);
};

/**
 * Joins pieces into chunks of about `size` characters, cut only between members (after a piece
 * that ends a member), never inside one: each chunk can be redacted on its own. Chunks are kept
 * small enough for V8's young generation: large strings go straight to the old generation and
 * pile up there until a full collection, which made serialising a large document cost hundreds
 * of megabytes of resident memory.
 */
export function* chunked(pieces: Iterable<string>, size = 1 << 15): Generator<string> {
  let buffer: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    if (length >= size && (piece.startsWith(',\n') || piece.startsWith('\n'))) {
      yield buffer.join('');
      buffer = [];
      length = 0;
    }
    buffer.push(piece);
    length += piece.length;
  }
  if (buffer.length > 0) yield buffer.join('');
}
