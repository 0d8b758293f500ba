import { check, jsonResponse, readFixture, type FixtureSet, type ValueCheck } from './wire.js';
import type { AwsRequest, FakeService } from './server.js';

const CONTENT_TYPE = 'application/json';

/** Error codes and statuses as GuardDuty's REST-JSON protocol sends them. */
const CODES: Record<string, { code: string; status?: number }> = {
  AccessDenied: { code: 'AccessDeniedException', status: 403 },
  Throttling: { code: 'TooManyRequestsException', status: 429 },
  InternalFailure: { code: 'InternalServerErrorException', status: 500 },
};

/** GuardDuty names the error in x-amzn-ErrorType, which the SDK reads first; the body's `__type` may be finer grained. */
const error = (status: number, code: string, message: string, bodyType?: string) => {
  const mapped = CODES[code] ?? { code };
  return jsonResponse(CONTENT_TYPE, { message, __type: bodyType ?? mapped.code }, mapped.status ?? status, { 'x-amzn-errortype': mapped.code });
};

/** GuardDuty's answer to a parameter outside its constraints (BadRequestException, with InvalidInputException in the body). */
const invalidInput = (parameter: string) => error(400, 'BadRequestException', `The request is rejected because the parameter ${parameter} has an invalid value.`, 'InvalidInputException');

/** The routes the fake answers and the query parameters each takes. */
export const GUARDDUTY_ROUTES: { operation: string; method: string; path: RegExp; query: Record<string, ValueCheck> }[] = [
  { operation: 'ListDetectors', method: 'GET', path: /^\/detector$/, query: { maxResults: check.integer(1, 50), nextToken: check.length(0, 4096) } },
  { operation: 'GetDetector', method: 'GET', path: /^\/detector\/[^/]+$/, query: {} },
];

const routeOf = (request: AwsRequest) => GUARDDUTY_ROUTES.find((r) => r.method === request.method && r.path.test(request.path));

/** Detector ids are 32 lower-case letters and digits. */
const DETECTOR_ID = /^[a-z0-9]{32}$/;

/**
 * GuardDuty over REST-JSON: `GET /detector` answers from `guardduty/<region>/ListDetectors.json`
 * (no file: no detector), `GET /detector/<id>` from `guardduty/<region>/GetDetector/<id>.json`.
 * GuardDuty sits behind API Gateway, which answers a method or path no route has with 403
 * "Missing Authentication Token"; a query parameter or detector id outside its constraints is
 * BadRequestException, as GuardDuty answers it.
 */
export const fakeGuardDuty = (options: { fixtures: FixtureSet }): FakeService => ({
  operation: (request) => routeOf(request)?.operation ?? 'Unknown',
  error: (_request, status, code, message) => error(status, code, message),
  handle: (request, operation) => {
    const route = routeOf(request);
    if (!route) return error(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    for (const [name, value] of request.query) {
      const valueCheck = Object.hasOwn(route.query, name) ? route.query[name] : undefined;
      if (!valueCheck || valueCheck(value)) return invalidInput(name);
    }
    const base = `guardduty/${request.region}`;
    if (operation === 'ListDetectors') return jsonResponse(CONTENT_TYPE, readFixture(options.fixtures, `${base}/ListDetectors.json`) ?? { detectorIds: [] });
    const id = decodeURIComponent(request.path.split('/').pop() ?? '');
    if (!DETECTOR_ID.test(id)) return invalidInput('detectorId');
    const body = readFixture(options.fixtures, `${base}/GetDetector/${id}.json`);
    return body === undefined ? error(400, 'BadRequestException', 'The request is rejected because the input detectorId is not owned by the current account.') : jsonResponse(CONTENT_TYPE, body);
  },
});
