import { check, checkQueryRequest, queryError, queryParams, queryResult, readFixture, xmlResponse, type FixtureSet, type QueryOperationSpec } from './wire.js';
import type { FakeService } from './server.js';

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const VERSION = '2010-05-08';

/**
 * The IAM operations the fake answers and the parameters each takes, with the constraints of IAM's
 * API reference. Anything else is refused as IAM refuses it (see `checkQueryRequest`).
 */
export const IAM_OPERATIONS: Record<string, QueryOperationSpec> = {
  GenerateCredentialReport: { params: {} },
  GetCredentialReport: { params: {} },
  GetAccountPasswordPolicy: { params: {} },
  GetAccountSummary: { params: {} },
  GetAccountAuthorizationDetails: {
    params: {
      'Filter.member.N': check.oneOf('User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'),
      MaxItems: check.integer(1, 1000),
      Marker: check.length(1, 320, /^[\u0020-\u00FF]+$/),
    },
  },
};

export type FakeIamOptions = {
  fixtures: FixtureSet;
  account: string;
  /** GeneratedTime of the credential report (fixtures/.../fake.json). */
  reportGeneratedAt: string;
  /** How many GenerateCredentialReport calls answer STARTED before one answers COMPLETE (default 1, as on a first request). */
  reportReadyAfter?: number;
};

export type FakeIam = FakeService & { state: { generateCalls: number } };

/**
 * IAM over the query protocol (form-encoded POST, XML answers). Answers come from files named
 * after the operation under `iam/`; the credential report is `iam/credential-report.csv`, served
 * Base64-encoded inside GetCredentialReport as IAM does. GetAccountAuthorizationDetails pages are
 * `iam/GetAccountAuthorizationDetails.<n>.xml`, chained by the `Marker` value `page-<n>`.
 */
export const fakeIam = (options: FakeIamOptions): FakeIam => {
  const state = { generateCalls: 0 };
  const readyAfter = options.reportReadyAfter ?? 1;
  const { fixtures } = options;
  return {
    state,
    operation: (request) => queryParams(request).get('Action') ?? 'Unknown',
    error: (_request, status, code, message) => queryError(NS, status, code, message),
    handle: (request, operation) => {
      const params = queryParams(request);
      const refused = checkQueryRequest(NS, VERSION, IAM_OPERATIONS, params);
      if (refused) return refused;
      switch (operation) {
        case 'GenerateCredentialReport': {
          state.generateCalls++;
          const ready = state.generateCalls > readyAfter;
          return queryResult(
            NS,
            operation,
            ready
              ? '    <State>COMPLETE</State>'
              : '    <Description>No report exists. Starting a new report generation task</Description>\n    <State>STARTED</State>',
          );
        }
        case 'GetCredentialReport': {
          const csv = readFixture(fixtures, 'iam/credential-report.csv');
          if (csv === undefined) return queryError(NS, 410, 'ReportNotPresent', 'Credential report not present: call GenerateCredentialReport.');
          if (state.generateCalls > 0 && state.generateCalls <= readyAfter) return queryError(NS, 404, 'ReportInProgress', 'Credential report is being generated.');
          return queryResult(
            NS,
            operation,
            `    <Content>${Buffer.from(csv, 'utf8').toString('base64')}</Content>\n    <ReportFormat>text/csv</ReportFormat>\n    <GeneratedTime>${options.reportGeneratedAt}</GeneratedTime>`,
          );
        }
        case 'GetAccountPasswordPolicy': {
          const body = readFixture(fixtures, 'iam/GetAccountPasswordPolicy.xml');
          return body === undefined ? queryError(NS, 404, 'NoSuchEntity', `The Password Policy with domain name ${options.account} cannot be found.`) : xmlResponse(body);
        }
        case 'GetAccountAuthorizationDetails': {
          const marker = params.get('Marker');
          const page = marker ? /^page-(\d+)$/.exec(marker)?.[1] : '1';
          if (!page) return queryError(NS, 400, 'InvalidInput', `Invalid Marker: ${marker}`);
          const body = readFixture(fixtures, `iam/GetAccountAuthorizationDetails.${page}.xml`) ?? (page === '1' ? readFixture(fixtures, 'iam/GetAccountAuthorizationDetails.xml') : undefined);
          if (body === undefined) return queryError(NS, 400, 'InvalidInput', `Invalid Marker: ${marker}`);
          return xmlResponse(body);
        }
        default: {
          // An operation of IAM_OPERATIONS answered from its recorded file; a fixture set without one is a broken set.
          const body = readFixture(fixtures, `iam/${operation}.xml`);
          return body === undefined ? queryError(NS, 500, 'InternalFailure', `fake IAM: no fixture iam/${operation}.xml in ${fixtures.dir}`) : xmlResponse(body);
        }
      }
    },
  };
};
