import { check, checkJsonInput, jsonResponse, type JsonOperationSpec } from './wire.js';
import type { AwsRequest, FakeService } from './server.js';

const CONTENT_TYPE = 'application/json';

/** A region's opt-in status, as ListRegions reports it. */
export type RegionOptStatus = 'ENABLED' | 'ENABLING' | 'DISABLING' | 'DISABLED' | 'ENABLED_BY_DEFAULT';
export type FakeRegion = { RegionName: string; RegionOptStatus: RegionOptStatus };

const STATUSES: RegionOptStatus[] = ['ENABLED', 'ENABLING', 'DISABLING', 'DISABLED', 'ENABLED_BY_DEFAULT'];

/** The regions every account has enabled by default (they cannot be disabled). */
export const DEFAULT_REGIONS = [
  'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1', 'eu-central-1',
  'eu-north-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
];

/** Opt-in regions, disabled until the account enables them. */
export const OPT_IN_REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ca-west-1', 'eu-central-2',
  'eu-south-1', 'eu-south-2', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1',
];

/**
 * An account's regions: the default ones, and of the opt-in ones those `enabled` names ENABLED,
 * those `enabling` names ENABLING, the rest DISABLED. With `only`, the default regions other than
 * those are left out (a trimmed estate for tests that count regional calls).
 */
export const accountRegions = (options: { enabled?: string[]; enabling?: string[]; only?: string[] } = {}): FakeRegion[] => [
  ...DEFAULT_REGIONS.filter((name) => !options.only || options.only.includes(name)).map((name): FakeRegion => ({ RegionName: name, RegionOptStatus: 'ENABLED_BY_DEFAULT' })),
  ...OPT_IN_REGIONS.map((name): FakeRegion => ({
    RegionName: name,
    RegionOptStatus: options.enabled?.includes(name) ? 'ENABLED' : options.enabling?.includes(name) ? 'ENABLING' : 'DISABLED',
  })),
];

/** The Account operations the fake answers and their input members, as the Account Management API reference gives them. */
export const ACCOUNT_OPERATIONS: Record<string, JsonOperationSpec & { path: string }> = {
  ListRegions: { path: '/listRegions', members: { AccountId: 'string', MaxResults: 'integer', NextToken: 'string', RegionOptStatusContains: 'string[]' } },
};

export type FakeAccountOptions = {
  /** The account the caller's credentials reach. */
  account: string;
  regions: FakeRegion[];
  /** Regions per page at most, whatever MaxResults asks (real pages may be shorter than asked). */
  pageSize?: number;
};

export type FakeAccount = FakeService & { requests: { maxResults?: number; nextToken?: string; statuses?: string[] }[] };

/**
 * Error codes as the Account API's REST-JSON protocol sends them: the code in `x-amzn-ErrorType`,
 * which the SDK reads first, and `{"message": ...}` in the body.
 */
const CODES: Record<string, { code: string; status: number }> = {
  AccessDenied: { code: 'AccessDeniedException', status: 403 },
  Throttling: { code: 'TooManyRequestsException', status: 429 },
  InternalFailure: { code: 'InternalServerException', status: 500 },
};

const error = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) => {
  const mapped = CODES[code] ?? { code, status };
  return jsonResponse(CONTENT_TYPE, { message, ...extra }, mapped.status, { 'x-amzn-errortype': mapped.code });
};

/** A member outside its constraints: ValidationException, with the reason and the field, as the Account API answers it. */
const invalid = (member: string, value: unknown, constraint: string) =>
  error(400, 'ValidationException', `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`, {
    reason: 'fieldValidationFailed',
    fieldList: [{ name: member, message: constraint }],
  });

const operationOf = (request: AwsRequest): string => Object.entries(ACCOUNT_OPERATIONS).find(([, spec]) => spec.path === request.path)?.[0] ?? 'Unknown';

/**
 * The Account Management API over REST-JSON: `POST /listRegions` with a JSON body
 * (`{MaxResults, NextToken, RegionOptStatusContains}`), answered with `{Regions, NextToken}`.
 * Regions are paged in the order given; the NextToken is opaque (the next offset, encoded).
 * A path the fake does not serve is UnknownOperationException; a member it does not know,
 * SerializationException; a value outside its constraints, ValidationException.
 */
export const fakeAccount = (options: FakeAccountOptions): FakeAccount => {
  const requests: FakeAccount['requests'] = [];
  const pageSize = options.pageSize ?? 50;
  return {
    requests,
    operation: operationOf,
    error: (_request, status, code, message) => error(status, code, message),
    handle: (request, operation) => {
      const spec = ACCOUNT_OPERATIONS[operation];
      if (!spec || request.method !== 'POST') return error(404, 'UnknownOperationException', `Unknown operation ${request.method} ${request.path}`);
      const checked = checkJsonInput(spec, request.body);
      if ('refusal' in checked) return error(checked.refusal.status, checked.refusal.code, checked.refusal.message);
      const input = checked.input as { AccountId?: string; MaxResults?: number; NextToken?: string; RegionOptStatusContains?: string[] };
      requests.push({
        ...(input.MaxResults !== undefined ? { maxResults: input.MaxResults } : {}),
        ...(input.NextToken !== undefined ? { nextToken: input.NextToken } : {}),
        ...(input.RegionOptStatusContains ? { statuses: input.RegionOptStatusContains } : {}),
      });
      if (input.AccountId !== undefined) {
        const broken = check.length(12, 12, /^\d{12}$/)(input.AccountId);
        if (broken) return invalid('accountId', input.AccountId, broken);
        // The caller's own account is asked without AccountId; another's only from its organization's management account.
        if (input.AccountId === options.account) return error(400, 'ValidationException', 'The management account can only be managed using the standalone context from the management account.');
        return error(403, 'AccessDenied', `User is not authorized to perform: account:ListRegions on account ${input.AccountId}`);
      }
      if (input.MaxResults !== undefined) {
        const broken = check.integer(1, 50)(String(input.MaxResults));
        if (broken) return invalid('maxResults', input.MaxResults, broken);
      }
      const statuses = input.RegionOptStatusContains;
      for (const status of statuses ?? []) {
        const broken = check.oneOf(...STATUSES)(status);
        if (broken) return invalid('regionOptStatusContains', status, broken);
      }
      let start = 0;
      if (input.NextToken !== undefined) {
        const decoded = /^regions:(\d+)$/.exec(Buffer.from(input.NextToken, 'base64').toString('utf8'));
        if (!decoded || input.NextToken.length > 1000) return error(400, 'ValidationException', 'The NextToken is not valid.');
        start = Number(decoded[1]);
      }
      const matching = options.regions.filter((region) => !statuses || statuses.length === 0 || statuses.includes(region.RegionOptStatus));
      const size = Math.min(pageSize, input.MaxResults ?? 50);
      const slice = matching.slice(start, start + size);
      const next = start + slice.length;
      return jsonResponse(CONTENT_TYPE, { Regions: slice, ...(next < matching.length ? { NextToken: Buffer.from(`regions:${next}`).toString('base64') } : {}) });
    },
  };
};
