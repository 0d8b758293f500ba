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
