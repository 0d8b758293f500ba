import { jsonResponse, readFixture, type FixtureSet } from './wire.js';
import type { FakeService } from './server.js';

const CONTENT_TYPE = 'application/json';

/** Error codes and statuses as GuardDuty's REST-JSON protocol sends them. */
const CODES: Record<string, { code: string; status?: number }> = {
  AccessDenied: { code: 'AccessDeniedException', status: 403 },
  Throttling: { code: 'TooManyRequestsException', status: 429 },
  InternalFailure: { code: 'InternalServerErrorException', status: 500 },
};

const error = (status: number, code: string, message: string) => {
  const mapped = CODES[code] ?? { code };
  return jsonResponse(CONTENT_TYPE, { message, __type: mapped.code }, mapped.status ?? status, { 'x-amzn-errortype': mapped.code });
};

/**
 * GuardDuty over REST-JSON: `GET /detector` answers from `guardduty/<region>/ListDetectors.json`
 * (no file: no detector), `GET /detector/<id>` from `guardduty/<region>/GetDetector/<id>.json`.
 */
export const fakeGuardDuty = (options: { fixtures: FixtureSet }): FakeService => ({
  operation: (request) => {
    if (request.method === 'GET' && request.path === '/detector') return 'ListDetectors';
    if (request.method === 'GET' && /^\/detector\/[^/]+$/.test(request.path)) return 'GetDetector';
    return 'Unknown';
  },
  error: (_request, status, code, message) => error(status, code, message),
  handle: (request, operation) => {
    const base = `guardduty/${request.region}`;
    if (operation === 'ListDetectors') return jsonResponse(CONTENT_TYPE, readFixture(options.fixtures, `${base}/ListDetectors.json`) ?? { detectorIds: [] });
    if (operation === 'GetDetector') {
      const id = decodeURIComponent(request.path.split('/').pop() ?? '');
      const body = readFixture(options.fixtures, `${base}/GetDetector/${id}.json`);
      return body === undefined ? error(400, 'BadRequestException', 'The request is rejected because the input detectorId is not owned by the current account.') : jsonResponse(CONTENT_TYPE, body);
    }
    return error(404, 'NotFoundException', `No route for ${request.method} ${request.path}`);
  },
});
