import { readFileSync } from 'node:fs';
import { fakeAccount, type FakeAccount, type FakeRegion } from './account.js';
import { fakeCloudTrail } from './cloudtrail.js';
import { fakeGuardDuty } from './guardduty.js';
import { fakeIam } from './iam.js';
import { ESTATE_REGIONS, readManifest, shiftTimestamps, type FakeManifest } from './index.js';
import { createFakeS3, DEMO_AWS_S3, type FakeS3State } from './s3.js';
import { startFakeAws, type AwsRequest, type FakeAws, type FakeService, type Fault } from './server.js';
import { accessKeyOf, fakeSts, type FakeSts } from './sts.js';
import { jsonResponse, type FixtureSet } from './wire.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'AWSOrganizationsV20161128.';

/** One member account as ListAccounts describes it; `State` and the retired `Status` are sent as given. */
export type FakeOrgAccount = {
  Id: string;
  Name: string;
  Email?: string;
  State?: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'PENDING_ACTIVATION' | 'CLOSED';
  Status?: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';
  JoinedMethod?: 'INVITED' | 'CREATED';
  /** ISO date; sent as epoch seconds, as the JSON protocol writes timestamps. */
  JoinedTimestamp?: string;
};

export type FakeOrganizationsOptions = {
  /** The management account, which owns the organization (and appears in account ARNs). */
  managementAccount: string;
  organizationId?: string;
  accounts: FakeOrgAccount[];
  /** Accounts per page at most, whatever MaxResults asks (real pages may be shorter than asked). */
  pageSize?: number;
  /** A page index (from 0) answered with no accounts but a NextToken, as ListAccounts may do. */
  emptyPageAt?: number;
  /** The caller's account is in no organization: every call answers AWSOrganizationsNotInUseException. */
  notInUse?: boolean;
};

export type FakeOrganizations = FakeService & { requests: { maxResults?: number; nextToken?: string }[] };

/** Error codes as Organizations' JSON protocol sends them (HTTP 400 for client errors). */
const CODES: Record<string, { code: string; status: number }> = {
  AccessDenied: { code: 'AccessDeniedException', status: 400 },
  Throttling: { code: 'TooManyRequestsException', status: 400 },
  InternalFailure: { code: 'ServiceException', status: 500 },
};

const error = (status: number, code: string, message: string) => {
  const mapped = CODES[code] ?? { code, status };
  return jsonResponse(CONTENT_TYPE, { __type: mapped.code, Message: message }, mapped.status);
};

/**
 * AWS Organizations over the JSON 1.1 protocol: a POST to `/` whose `X-Amz-Target` names the
 * operation (`AWSOrganizationsV20161128.ListAccounts`), a JSON body (`{NextToken, MaxResults}`),
 * and errors as `{"__type": "...", "Message": "..."}`. ListAccounts pages the accounts in order;
 * the NextToken is opaque (the next offset, encoded).
 */
export const fakeOrganizations = (options: FakeOrganizationsOptions): FakeOrganizations => {
  const requests: FakeOrganizations['requests'] = [];
  const orgId = options.organizationId ?? 'o-a1b2c3d4e5';
  const pageSize = options.pageSize ?? 20;
  return {
    requests,
    operation: (request) => String(request.headers['x-amz-target'] ?? '').replace(TARGET_PREFIX, '') || 'Unknown',
    error: (_request, status, code, message) => error(status, code, message),
    handle: (request, operation) => {
      if (request.method !== 'POST' || !String(request.headers['content-type'] ?? '').startsWith(CONTENT_TYPE)) return error(400, 'InvalidInputException', 'Expected a POST of application/x-amz-json-1.1');
      // Coral-based JSON services name this error with its namespace and no message, as the fake CloudTrail does.
      if (operation !== 'ListAccounts') return jsonResponse(CONTENT_TYPE, { __type: 'com.amazon.coral.service#UnknownOperationException' }, 400);
      if (options.notInUse) return error(400, 'AWSOrganizationsNotInUseException', "Your account is not a member of an organization.");
      const body = JSON.parse(request.body.toString('utf8') || '{}') as { NextToken?: string; MaxResults?: number };
      // A member ListAccounts does not have is refused: ignoring it would let a misspelt parameter pass unnoticed.
      const unknown = Object.keys(body).filter((key) => key !== 'NextToken' && key !== 'MaxResults');
      if (unknown.length > 0) return error(400, 'InvalidInputException', `ListAccounts has no parameter ${unknown.join(', ')}`);
      requests.push({ ...(body.MaxResults !== undefined ? { maxResults: body.MaxResults } : {}), ...(body.NextToken ? { nextToken: body.NextToken } : {}) });
      if (body.MaxResults !== undefined && (body.MaxResults < 1 || body.MaxResults > 20)) {
        return error(400, 'InvalidInputException', 'You provided a value that does not match the required pattern: MaxResults must be between 1 and 20.');
      }
      let start = 0;
      let page = 0;
      if (body.NextToken) {
        const decoded = /^(\d+):(\d+)$/.exec(Buffer.from(body.NextToken, 'base64').toString('utf8'));
        if (!decoded) return error(400, 'InvalidInputException', 'The NextToken is not valid.');
        start = Number(decoded[1]);
        page = Number(decoded[2]);
      }
      const tokenFor = (offset: number): string => Buffer.from(`${offset}:${page + 1}`).toString('base64');
      if (page === options.emptyPageAt) return jsonResponse(CONTENT_TYPE, { Accounts: [], NextToken: tokenFor(start) });
      const size = Math.min(pageSize, body.MaxResults ?? 20);
      const slice = options.accounts.slice(start, start + size);
      const next = start + slice.length;
      return jsonResponse(CONTENT_TYPE, {
        Accounts: slice.map((account) => ({
          Id: account.Id,
          Arn: `arn:aws:organizations::${options.managementAccount}:account/${orgId}/${account.Id}`,
          Email: account.Email ?? `aws+${account.Id}@example.com`,
          Name: account.Name,
          ...(account.Status ? { Status: account.Status } : {}),
          ...(account.State ? { State: account.State } : {}),
          JoinedMethod: account.JoinedMethod ?? 'CREATED',
          JoinedTimestamp: Date.parse(account.JoinedTimestamp ?? '2024-03-01T09:30:00Z') / 1000,
        })),
        ...(next < options.accounts.length ? { NextToken: tokenFor(next) } : {}),
      });
    },
  };
};

/**
 * A service answered per account: the request's signing key names the role STS handed it out for,
 * and so the account; requests signed with the caller's own keys belong to `home`. Each account's
 * service is built on first use.
 */
export const accountScoped = (sts: FakeSts, home: string, build: (account: string) => FakeService): FakeService => {
  const services = new Map<string, FakeService>();
  const serviceOf = (request: AwsRequest): FakeService => {
    const key = accessKeyOf(request);
    const role = sts.assumed.find((a) => a.accessKeyId === key);
    const account = (role && /^arn:[^:]+:iam::(\d{12}):/.exec(role.roleArn)?.[1]) ?? home;
    let service = services.get(account);
    if (!service) {
      service = build(account);
      services.set(account, service);
    }
    return service;
  };
  return {
    operation: (request) => serviceOf(request).operation(request),
    handle: (request, operation) => serviceOf(request).handle(request, operation),
    error: (request, status, code, message) => serviceOf(request).error(request, status, code, message),
  };
};

export type OrganizationFake = FakeAws & {
  manifest: FakeManifest;
  sts: FakeSts;
  organizations: FakeOrganizations;
  /** Each account's Account API, built when the account is first asked (requests counted per account). */
  accountApis: Map<string, FakeAccount>;
};

/**
 * An AWS Organization on one endpoint: Organizations lists `accounts`, and each account reached
 * through an assumed role is served its own copy of a fixture estate (IAM, CloudTrail, GuardDuty,
 * its own regions from the Account API, and with `s3` the demo's buckets), with the fixture's account id replaced by its own and its
 * buckets renamed after it, so that no two accounts share a resource id. The caller's own
 * credentials reach the fixture's account, the management account.
 */
export const startOrganizationAws = async (options: {
  fixtures: string;
  accounts: FakeOrgAccount[];
  shiftTimesTo?: Date;
  pageSize?: number;
  emptyPageAt?: number;
  notInUse?: boolean;
  externalId?: string;
  s3?: boolean;
  faults?: Fault[];
  /** Each account's regions as ListRegions lists them (default: `ESTATE_REGIONS`). */
  regions?: Record<string, FakeRegion[]>;
  /** Regions per ListRegions page at most. */
  regionsPageSize?: number;
}): Promise<OrganizationFake> => {
  const manifest = readManifest(options.fixtures);
  const delta = options.shiftTimesTo ? options.shiftTimesTo.getTime() - Date.parse(manifest.referenceTime) : 0;
  const fixturesOf = (account: string): FixtureSet => ({ dir: options.fixtures, transform: (text) => shiftTimestamps(text, delta).replaceAll(manifest.account, account) });
  const sts = fakeSts({ fixtures: fixturesOf(manifest.account), ...(options.externalId !== undefined ? { externalId: options.externalId } : {}) });
  const organizations = fakeOrganizations({
    managementAccount: manifest.account,
    accounts: options.accounts,
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.emptyPageAt !== undefined ? { emptyPageAt: options.emptyPageAt } : {}),
    ...(options.notInUse ? { notInUse: true } : {}),
  });
  const s3Text = readFileSync(DEMO_AWS_S3, 'utf8');
  const scoped = (build: (account: string) => FakeService): FakeService => accountScoped(sts, manifest.account, build);
  const accountApis = new Map<string, FakeAccount>();
  const services: Record<string, FakeService> = {
    sts,
    organizations,
    account: scoped((account) => {
      const api = fakeAccount({ account, regions: options.regions?.[account] ?? ESTATE_REGIONS, ...(options.regionsPageSize !== undefined ? { pageSize: options.regionsPageSize } : {}) });
      accountApis.set(account, api);
      return api;
    }),
    iam: scoped((account) => fakeIam({ fixtures: fixturesOf(account), account, reportGeneratedAt: shiftTimestamps(manifest.credentialReportGeneratedAt, delta) })),
    cloudtrail: scoped((account) => fakeCloudTrail({ fixtures: fixturesOf(account) })),
    guardduty: scoped((account) => fakeGuardDuty({ fixtures: fixturesOf(account) })),
    ...(options.s3 ? { s3: scoped((account) => createFakeS3(JSON.parse(s3Text.replaceAll('acme-rockets', `acme-${account}`).replaceAll(manifest.account, account)) as FakeS3State)) } : {}),
  };
  const fake = await startFakeAws(services, { faults: options.faults ?? [] });
  return { ...fake, manifest, sts, organizations, accountApis };
};
