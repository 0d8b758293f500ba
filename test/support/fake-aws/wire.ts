import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AwsRequest, AwsResponse } from './server.js';

/**
 * A directory of recorded responses, one file per operation (and region, for regional services),
 * in the service's wire format. `transform` rewrites every file's text as it is served (the demo
 * moves timestamps to the present); `hide` makes files absent, to serve "not configured" answers.
 */
export type FixtureSet = { dir: string; transform?: (text: string) => string; hide?: string[] };

export const readFixture = (set: FixtureSet, relative: string): string | undefined => {
  if (set.hide?.includes(relative)) return undefined;
  const file = path.join(set.dir, relative);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  return set.transform ? set.transform(text) : text;
};

/** The form parameters of an AWS query-protocol request (IAM, STS). */
export const queryParams = (request: AwsRequest): URLSearchParams =>
  request.method === 'POST' ? new URLSearchParams(request.body.toString('utf8')) : request.query;

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const xmlResponse = (body: string, status = 200): AwsResponse => ({ status, headers: { 'content-type': 'text/xml' }, body });

/** An error in the query protocol's XML shape: `<ErrorResponse><Error><Type><Code><Message>`. */
export const queryError = (namespace: string, status: number, code: string, message: string): AwsResponse =>
  xmlResponse(
    `<ErrorResponse xmlns="${namespace}">\n  <Error>\n    <Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>\n    <Code>${escapeXml(code)}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>4bd49c53-0d6c-4f3f-a4a9-fake00000001</RequestId>\n</ErrorResponse>\n`,
    status,
  );

/** A query-protocol success envelope around a result element's inner XML. */
export const queryResult = (namespace: string, operation: string, inner: string): AwsResponse =>
  xmlResponse(
    `<${operation}Response xmlns="${namespace}">\n  <${operation}Result>\n${inner}\n  </${operation}Result>\n  <ResponseMetadata>\n    <RequestId>4bd49c53-0d6c-4f3f-a4a9-fake00000002</RequestId>\n  </ResponseMetadata>\n</${operation}Response>\n`,
  );

export const jsonResponse = (contentType: string, body: unknown, status = 200, headers: Record<string, string> = {}): AwsResponse => ({
  status,
  headers: { 'content-type': contentType, ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

export { escapeXml };

/**
 * A check of one parameter's value: undefined when the value is acceptable, else the constraint it
 * breaks, worded as AWS's validation messages word it ("Member must have value less than or equal
 * to 1000").
 */
export type ValueCheck = (value: string) => string | undefined;

/**
 * What one query-protocol operation accepts: its parameters (list members written `Filter.member.N`,
 * map entries `Tags.member.N.Key`) with a check of each value, and those it cannot do without.
 */
export type QueryOperationSpec = { params: Record<string, ValueCheck>; required?: string[] };

const anyValue: ValueCheck = () => undefined;

/** Value checks for the constraints AWS models declare (integer range, length, pattern, enum). */
export const check = {
  any: anyValue,
  integer:
    (min: number, max: number): ValueCheck =>
    (value) => {
      const n = Number(value);
      if (!/^-?\d+$/.test(value)) return 'Member must be an integer';
      if (n < min) return `Member must have value greater than or equal to ${min}`;
      if (n > max) return `Member must have value less than or equal to ${max}`;
      return undefined;
    },
  length:
    (min: number, max: number, pattern?: RegExp): ValueCheck =>
    (value) => {
      if (value.length < min) return `Member must have length greater than or equal to ${min}`;
      if (value.length > max) return `Member must have length less than or equal to ${max}`;
      if (pattern && !pattern.test(value)) return `Member must satisfy regular expression pattern: ${pattern.source.replace(/^\^|\$$/g, '')}`;
      return undefined;
    },
  oneOf:
    (...allowed: string[]): ValueCheck =>
    (value) =>
      allowed.includes(value) ? undefined : `Member must satisfy enum value set: [${allowed.join(', ')}]`,
};

/** `Filter.member.2` → `Filter.member.N`: the name a spec lists a list or map member under. */
const specName = (name: string): string => name.replace(/\.\d+(?=\.|$)/g, '.N');

/** `MaxItems` → `maxItems`, `Filter.member.2` → `filter`: how AWS validation messages name a member. */
const memberName = (name: string): string => {
  const head = name.split('.')[0] ?? name;
  return head.charAt(0).toLowerCase() + head.slice(1);
};

/**
 * Checks a query-protocol request against its operation's spec, as IAM and STS check what they are
 * sent: an unknown operation or API version is `InvalidAction`, a missing required parameter
 * `MissingParameter`, a value outside its constraints `ValidationError` with AWS's "1 validation
 * error detected: Value '...' at '...' failed to satisfy constraint: ..." message. A parameter the
 * operation does not have is refused with `InvalidQueryParameter` (IAM's common errors list it for a
 * query that does not follow the API): AWS may ignore such a parameter, but a fake that ignored it
 * would let a misspelt parameter in posture pass unnoticed.
 */
export const checkQueryRequest = (
  namespace: string,
  version: string,
  specs: Record<string, QueryOperationSpec>,
  params: URLSearchParams,
): AwsResponse | undefined => {
  const action = params.get('Action');
  if (!action) return queryError(namespace, 400, 'MissingAction', 'The request must contain the parameter Action.');
  const spec = Object.hasOwn(specs, action) ? specs[action] : undefined;
  const requested = params.get('Version') ?? '';
  if (!spec || requested !== version) return queryError(namespace, 400, 'InvalidAction', `Could not find operation ${action} for version ${requested || 'NO_VERSION_SPECIFIED'}`);
  const problems: string[] = [];
  for (const [name, value] of params) {
    if (name === 'Action' || name === 'Version') continue;
    const valueCheck = spec.params[specName(name)];
    if (!valueCheck) return queryError(namespace, 400, 'InvalidQueryParameter', `The parameter ${name} is not recognized by ${action}.`);
    const broken = valueCheck(value);
    if (broken) problems.push(`Value '${value}' at '${memberName(name)}' failed to satisfy constraint: ${broken}`);
  }
  const missing = (spec.required ?? []).find((name) => !params.has(name));
  if (missing) return queryError(namespace, 400, 'MissingParameter', `The request must contain the parameter ${missing}.`);
  if (problems.length > 0) {
    return queryError(namespace, 400, 'ValidationError', `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`);
  }
  return undefined;
};

/** The JSON type of one input member of a JSON-protocol operation. */
export type JsonMemberType = 'string' | 'boolean' | 'integer' | 'string[]';

/** What one JSON-protocol operation accepts: its members' types, and those it cannot do without. */
export type JsonOperationSpec = { members: Record<string, JsonMemberType>; required?: string[] };

const hasType = (value: unknown, type: JsonMemberType): boolean =>
  type === 'string[]' ? Array.isArray(value) && value.every((v) => typeof v === 'string') : type === 'integer' ? Number.isInteger(value) : typeof value === type;

/** A refusal in a JSON protocol's terms: the status and error code, and AWS's message. */
export type JsonRefusal = { status: number; code: string; message: string };

/**
 * Checks a JSON-protocol body against its operation's spec. A body that is not a JSON object, or a
 * member of the wrong type, is `SerializationException` (400), as AWS JSON services answer a body
 * they cannot read; a missing required member is `ValidationException` with AWS's "Value null at
 * ... Member must not be null". A member the operation does not have is also refused with
 * `SerializationException`: AWS ignores unknown members, but a fake that did would let a misspelt
 * member pass unnoticed.
 */
export const checkJsonInput = (spec: JsonOperationSpec, body: Buffer): { input: Record<string, unknown> } | { refusal: JsonRefusal } => {
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    return { refusal: { status: 400, code: 'SerializationException', message: 'Unable to parse the request body as JSON' } };
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { refusal: { status: 400, code: 'SerializationException', message: 'Start of structure or map expected' } };
  const record = input as Record<string, unknown>;
  for (const [name, value] of Object.entries(record)) {
    const type = Object.hasOwn(spec.members, name) ? spec.members[name] : undefined;
    if (!type) return { refusal: { status: 400, code: 'SerializationException', message: `Unrecognized field "${name}"` } };
    if (!hasType(value, type)) return { refusal: { status: 400, code: 'SerializationException', message: `Expected ${type} for field "${name}"` } };
  }
  const missing = (spec.required ?? []).find((name) => record[name] === undefined);
  if (missing) {
    const member = missing.charAt(0).toLowerCase() + missing.slice(1);
    return { refusal: { status: 400, code: 'ValidationException', message: `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null` } };
  }
  return { input: record };
};
