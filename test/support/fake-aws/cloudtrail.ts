import { jsonResponse, readFixture, type FixtureSet } from './wire.js';
import type { FakeService } from './server.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Error codes the generic fault injection uses, as CloudTrail spells them. */
const CODES: Record<string, string> = { AccessDenied: 'AccessDeniedException', Throttling: 'ThrottlingException', InternalFailure: 'InternalFailure' };

const error = (status: number, code: string, message: string) => jsonResponse(CONTENT_TYPE, { __type: CODES[code] ?? code, message }, status);

const trailName = (nameOrArn: unknown): string => String(nameOrArn ?? '').split('/').pop() ?? '';

/**
 * CloudTrail over awsJson1_1 (POST /, `X-Amz-Target: CloudTrail_20131101.<Operation>`). Answers
 * come from `cloudtrail/<region>/DescribeTrails.json`, `.../GetTrailStatus/<trail>.json` and
 * `.../GetEventSelectors/<trail>.json`: a trail's status lives in its home region only, so
 * asking another region gives TrailNotFoundException, as AWS does.
 */
export const fakeCloudTrail = (options: { fixtures: FixtureSet }): FakeService => ({
  operation: (request) => String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? 'Unknown',
  error: (_request, status, code, message) => error(status, code, message),
  handle: (request, operation) => {
    const input = JSON.parse(request.body.toString('utf8') || '{}') as Record<string, unknown>;
    const base = `cloudtrail/${request.region}`;
    switch (operation) {
      case 'DescribeTrails':
        return jsonResponse(CONTENT_TYPE, readFixture(options.fixtures, `${base}/DescribeTrails.json`) ?? { trailList: [] });
      case 'GetTrailStatus':
      case 'GetEventSelectors': {
        const name = trailName(operation === 'GetTrailStatus' ? input.Name : input.TrailName);
        const body = readFixture(options.fixtures, `${base}/${operation}/${name}.json`);
        if (body === undefined) {
          return error(400, 'TrailNotFoundException', `Unknown trail: ${String(operation === 'GetTrailStatus' ? input.Name : input.TrailName)} for the user: 111122223333`);
        }
        return jsonResponse(CONTENT_TYPE, body);
      }
      default:
        return error(400, 'UnknownOperationException', `Unknown operation ${operation}`);
    }
  },
});
