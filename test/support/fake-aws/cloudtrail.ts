import { checkJsonInput, jsonResponse, readFixture, type FixtureSet, type JsonOperationSpec } from './wire.js';
import type { FakeService } from './server.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** The target prefix CloudTrail's operations are invoked under (`X-Amz-Target: CloudTrail_20131101.DescribeTrails`). */
const TARGET_PREFIX = 'CloudTrail_20131101.';

/** Error codes the generic fault injection uses, as CloudTrail spells them. */
const CODES: Record<string, string> = { AccessDenied: 'AccessDeniedException', Throttling: 'ThrottlingException', InternalFailure: 'InternalFailure' };

const error = (status: number, code: string, message: string) => jsonResponse(CONTENT_TYPE, { __type: CODES[code] ?? code, message }, status);

const trailName = (nameOrArn: unknown): string => String(nameOrArn ?? '').split('/').pop() ?? '';

/** The CloudTrail operations the fake answers and their input members, as CloudTrail's API reference gives them. */
export const CLOUDTRAIL_OPERATIONS: Record<string, JsonOperationSpec> = {
  DescribeTrails: { members: { trailNameList: 'string[]', includeShadowTrails: 'boolean' } },
  GetTrailStatus: { members: { Name: 'string' }, required: ['Name'] },
  GetEventSelectors: { members: { TrailName: 'string' }, required: ['TrailName'] },
};

const operationOf = (target: string): string | undefined => {
  if (!target.startsWith(TARGET_PREFIX)) return undefined;
  const name = target.slice(TARGET_PREFIX.length);
  return Object.hasOwn(CLOUDTRAIL_OPERATIONS, name) ? name : undefined;
};

/**
 * CloudTrail over awsJson1_1 (POST /, `X-Amz-Target: CloudTrail_20131101.<Operation>`). Answers
 * come from `cloudtrail/<region>/DescribeTrails.json`, `.../GetTrailStatus/<trail>.json` and
 * `.../GetEventSelectors/<trail>.json`: a trail's status lives in its home region only, so
 * asking another region gives TrailNotFoundException, as AWS does. A target the fake does not know
 * is `UnknownOperationException`; a body outside the operation's members is refused (see
 * `checkJsonInput`).
 */
export const fakeCloudTrail = (options: { fixtures: FixtureSet }): FakeService => ({
  operation: (request) => String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? 'Unknown',
  error: (_request, status, code, message) => error(status, code, message),
  handle: (request) => {
    const operation = request.method === 'POST' ? operationOf(String(request.headers['x-amz-target'] ?? '')) : undefined;
    // Coral-based JSON services name this error with its namespace and no message; the SDK strips the namespace.
    if (!operation) return jsonResponse(CONTENT_TYPE, { __type: 'com.amazon.coral.service#UnknownOperationException' }, 400);
    const checked = checkJsonInput(CLOUDTRAIL_OPERATIONS[operation] as JsonOperationSpec, request.body);
    if ('refusal' in checked) return error(checked.refusal.status, checked.refusal.code, checked.refusal.message);
    const { input } = checked;
    const base = `cloudtrail/${request.region}`;
    if (operation === 'DescribeTrails') return jsonResponse(CONTENT_TYPE, readFixture(options.fixtures, `${base}/DescribeTrails.json`) ?? { trailList: [] });
    const given = operation === 'GetTrailStatus' ? input.Name : input.TrailName;
    const body = readFixture(options.fixtures, `${base}/${operation}/${trailName(given)}.json`);
    if (body === undefined) return error(400, 'TrailNotFoundException', `Unknown trail: ${String(given)} for the user: 111122223333`);
    return jsonResponse(CONTENT_TYPE, body);
  },
});
