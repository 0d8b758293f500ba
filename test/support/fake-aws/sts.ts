import { randomBytes } from 'node:crypto';
import { check, checkQueryRequest, escapeXml, queryError, queryParams, queryResult, readFixture, xmlResponse, type FixtureSet, type QueryOperationSpec } from './wire.js';
import type { AwsRequest, FakeService } from './server.js';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const VERSION = '2011-06-15';

const ARN = check.length(20, 2048);
const TAG_KEY = check.length(1, 128, /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u);

/** The STS operations the fake answers and their parameters, with the constraints of STS's API reference. */
export const STS_OPERATIONS: Record<string, QueryOperationSpec> = {
  GetCallerIdentity: { params: {} },
  AssumeRole: {
    required: ['RoleArn', 'RoleSessionName'],
    params: {
      RoleArn: ARN,
      RoleSessionName: check.length(2, 64, /^[\w+=,.@-]*$/),
      ExternalId: check.length(2, 1224, /^[\w+=,.@:/-]*$/),
      DurationSeconds: check.integer(900, 43200),
      Policy: check.length(1, 2048),
      'PolicyArns.member.N.arn': ARN,
      'Tags.member.N.Key': TAG_KEY,
      'Tags.member.N.Value': check.length(0, 256, /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u),
      'TransitiveTagKeys.member.N': TAG_KEY,
      SerialNumber: check.length(9, 256, /^[\w+=/:,.@-]*$/),
      TokenCode: check.length(6, 6, /^[\d]*$/),
      SourceIdentity: check.length(2, 64, /^[\w+=,.@-]*$/),
    },
  },
};

export type AssumedRole = { roleArn: string; sessionName: string; externalId?: string; accessKeyId: string };

export type FakeSts = FakeService & { assumed: AssumedRole[] };

/** The access key id a request was signed with. */
export const accessKeyOf = (request: AwsRequest): string | undefined => /Credential=([^/]+)\//.exec(String(request.headers.authorization ?? ''))?.[1];

/**
 * STS over the query protocol. GetCallerIdentity answers from `sts/GetCallerIdentity.xml`, or
 * with the assumed role when the request is signed with credentials AssumeRole handed out.
 * AssumeRole issues fresh temporary credentials (ASIA...) that expire in an hour; with
 * `externalId` set it refuses a call without that external id, as a trust policy would.
 */
export const fakeSts = (options: { fixtures: FixtureSet; externalId?: string }): FakeSts => {
  const assumed: AssumedRole[] = [];
  return {
    assumed,
    operation: (request) => queryParams(request).get('Action') ?? 'Unknown',
    error: (_request, status, code, message) => queryError(NS, status, code, message),
    handle: (request, operation) => {
      const params = queryParams(request);
      const refused = checkQueryRequest(NS, VERSION, STS_OPERATIONS, params);
      if (refused) return refused;
      if (operation === 'AssumeRole') {
        const roleArn = params.get('RoleArn') ?? '';
        const sessionName = params.get('RoleSessionName') ?? '';
        const externalId = params.get('ExternalId') ?? undefined;
        if (options.externalId !== undefined && externalId !== options.externalId) {
          return queryError(NS, 403, 'AccessDenied', `User: arn:aws:iam::111122223333:user/scanner is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
        }
        const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
        assumed.push({ roleArn, sessionName, ...(externalId ? { externalId } : {}), accessKeyId });
        const account = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn);
        const roleName = account?.[2]?.split('/').pop() ?? 'role';
        const expiration = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        return queryResult(
          NS,
          operation,
          [
            '    <AssumedRoleUser>',
            `      <Arn>arn:aws:sts::${account?.[1] ?? '000000000000'}:assumed-role/${escapeXml(roleName)}/${escapeXml(sessionName)}</Arn>`,
            `      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:${escapeXml(sessionName)}</AssumedRoleId>`,
            '    </AssumedRoleUser>',
            '    <Credentials>',
            `      <AccessKeyId>${accessKeyId}</AccessKeyId>`,
            '      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>',
            '      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==</SessionToken>',
            `      <Expiration>${expiration}</Expiration>`,
            '    </Credentials>',
            '    <PackedPolicySize>6</PackedPolicySize>',
          ].join('\n'),
        );
      }
      if (operation === 'GetCallerIdentity') {
        const key = accessKeyOf(request);
        const role = assumed.find((a) => a.accessKeyId === key);
        if (role) {
          const match = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(role.roleArn);
          const roleName = match?.[2]?.split('/').pop() ?? 'role';
          return queryResult(
            NS,
            operation,
            `    <Arn>arn:aws:sts::${match?.[1]}:assumed-role/${escapeXml(roleName)}/${escapeXml(role.sessionName)}</Arn>\n    <UserId>AROA3XFRBF535PLBIFPI4:${escapeXml(role.sessionName)}</UserId>\n    <Account>${match?.[1]}</Account>`,
          );
        }
      }
      const body = readFixture(options.fixtures, `sts/${operation}.xml`);
      return body === undefined ? queryError(NS, 500, 'InternalFailure', `fake STS: no fixture sts/${operation}.xml in ${options.fixtures.dir}`) : xmlResponse(body);
    },
  };
};
