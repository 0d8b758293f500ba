import assert from 'node:assert/strict';
import { AccountClient, GetAlternateContactCommand, ListRegionsCommand } from '@aws-sdk/client-account';
import { CloudTrailClient, DeleteTrailCommand, DescribeTrailsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeOrganizationCommand, ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { DeleteDetectorCommand, GetDetectorCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { GetAccountAuthorizationDetailsCommand, GetAccountSummaryCommand, IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetBucketAclCommand, GetBucketCorsCommand, GetBucketVersioningCommand, ListBucketsCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { GetPublicAccessBlockCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3-control';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import Bottleneck from 'bottleneck';
import { Kind, TypeInfo, getNamedType, parse, visit, visitWithTypeInfo } from 'graphql';
import { s3ControlClientClass } from '../../src/collectors/aws-s3/clients.js';
import { DEPLOY_KEYS_QUERY, OUTSIDE_COLLABORATORS_QUERY, REPOSITORY_PAGE_QUERY } from '../../src/collectors/github/queries.js';
import { createOctokit } from '../../src/github/client.js';
import { createLogger } from '../../src/util/logger.js';
import { DEMO_AWS_IAM, awsEnvFor, startDemoAws, withEnv, type FixtureFake } from '../support/fake-aws/index.js';
import { startOrganizationAws } from '../support/fake-aws/organizations.js';
import { startDemoGithub, githubSchema, type DemoGithub } from '../support/fake-github/index.js';
import { checkGraphqlRequest, KNOWN_FIELDS } from '../support/fake-github/graphql-check.js';
import { QUERY_PARAMETERS } from '../support/fake-github/parameters.js';
import { FAKE_GITHUB_ROUTES } from '../support/fake-github/server.js';

/** The parts of the SDK's HTTP request a test edits. */
type HttpRequest = { body?: unknown; headers: Record<string, string>; query: Record<string, string | string[] | null> };

type AwsError = Error & { $metadata?: { httpStatusCode?: number } };

/** The SDK error's name and HTTP status, as a caller sees them. */
const refusal = async (call: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> => {
  try {
    await call;
  } catch (error) {
    const e = error as AwsError;
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  assert.fail('the call was expected to be refused');
};

/** A middleware that edits the request the SDK built, before it is signed: what a misspelt parameter would send. */
const editRequest = (client: { middlewareStack: { add: (...args: never[]) => void } }, edit: (request: HttpRequest) => void): void => {
  const add = client.middlewareStack.add as unknown as (
    middleware: (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => Promise<unknown>,
    options: { step: 'build'; name: string },
  ) => void;
  add((next) => async (args) => {
    const request = args.request as HttpRequest;
    edit(request);
    if (typeof request.body === 'string') request.headers['content-length'] = String(Buffer.byteLength(request.body));
    return next(args);
  }, { step: 'build', name: 'misspell' });
};

describe('strict fakes: what the fakes do not model is refused with the service\'s own error', function () {
  this.timeout(60_000);

  describe('fake AWS, through the AWS SDK', () => {
    let aws: FixtureFake & { env: Record<string, string> };
    let restore: () => void;
    const clients: { destroy: () => void }[] = [];
    const client = <T extends { destroy: () => void }>(c: T): T => (clients.push(c), c);

    before(async () => {
      aws = await startDemoAws();
      restore = withEnv({ ...aws.env, AWS_PROFILE: undefined });
    });
    after(async () => {
      for (const c of clients) c.destroy();
      restore();
      await aws.close();
    });

    it('IAM: an unknown action is InvalidAction, a value outside its constraints ValidationError, an unknown parameter InvalidQueryParameter', async () => {
      const iam = client(new IAMClient({ region: 'us-east-1', maxAttempts: 1 }));
      assert.deepEqual(await refusal(iam.send(new ListUsersCommand({}))), { name: 'InvalidAction', status: 400, message: 'Could not find operation ListUsers for version 2010-05-08' });
      assert.deepEqual(await refusal(iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 0 }))), {
        name: 'ValidationError',
        status: 400,
        message: "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
      });
      const filtered = await refusal(iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['Users' as 'User'] })));
      assert.equal(filtered.name, 'ValidationError');
      assert.match(filtered.message, /Value 'Users' at 'filter' failed to satisfy constraint: Member must satisfy enum value set: \[User, Role, Group, LocalManagedPolicy, AWSManagedPolicy\]/);

      const misspelt = client(new IAMClient({ region: 'us-east-1', maxAttempts: 1 }));
      editRequest(misspelt, (request) => {
        request.body = `${String(request.body)}&MaxItem=5`;
      });
      assert.deepEqual(await refusal(misspelt.send(new GetAccountSummaryCommand({}))), { name: 'InvalidQueryParameter', status: 400, message: 'The parameter MaxItem is not recognized by GetAccountSummary.' });
      // The same client without the edit is answered: the refusal is the parameter's, not the operation's.
      assert.ok((await iam.send(new GetAccountSummaryCommand({}))).SummaryMap);
    });

    it('STS: a missing required parameter is MissingParameter, a session name too short ValidationError', async () => {
      const sts = client(new STSClient({ region: 'us-east-1', maxAttempts: 1 }));
      const missing = await refusal(sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/posture-scan' } as never)));
      assert.deepEqual(missing, { name: 'MissingParameter', status: 400, message: 'The request must contain the parameter RoleSessionName.' });
      const short = await refusal(sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/posture-scan', RoleSessionName: 'x' })));
      assert.equal(short.name, 'ValidationError');
      assert.match(short.message, /Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2/);
      assert.ok((await sts.send(new GetCallerIdentityCommand({}))).Account);
    });

    it('CloudTrail: an unknown target is UnknownOperationException, a missing name ValidationException, an unknown member SerializationException', async () => {
      const cloudtrail = client(new CloudTrailClient({ region: 'us-east-1', maxAttempts: 1 }));
      const unknown = await refusal(cloudtrail.send(new DeleteTrailCommand({ Name: 'management-events' })));
      assert.deepEqual([unknown.name, unknown.status], ['UnknownOperationException', 400]);
      assert.deepEqual(await refusal(cloudtrail.send(new GetTrailStatusCommand({} as never))), {
        name: 'ValidationException',
        status: 400,
        message: "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
      });
      const misspelt = client(new CloudTrailClient({ region: 'us-east-1', maxAttempts: 1 }));
      editRequest(misspelt, (request) => {
        request.body = JSON.stringify({ includeShadowTrail: true });
      });
      assert.deepEqual(await refusal(misspelt.send(new DescribeTrailsCommand({ includeShadowTrails: true }))), { name: 'SerializationException', status: 400, message: 'Unrecognized field "includeShadowTrail"' });
      assert.ok(Array.isArray((await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }))).trailList));
    });

    it('GuardDuty: an unknown route is API Gateway\'s 403, an out-of-range maxResults or a malformed detector id BadRequestException', async () => {
      const guardduty = client(new GuardDutyClient({ region: 'us-east-1', maxAttempts: 1 }));
      assert.deepEqual(await refusal(guardduty.send(new DeleteDetectorCommand({ DetectorId: '12abc34d567e8fa901bc2d34e56789f0' }))), {
        name: 'MissingAuthenticationTokenException',
        status: 403,
        message: 'Missing Authentication Token',
      });
      assert.deepEqual(await refusal(guardduty.send(new ListDetectorsCommand({ MaxResults: 51 }))), {
        name: 'BadRequestException',
        status: 400,
        message: 'The request is rejected because the parameter maxResults has an invalid value.',
      });
      assert.deepEqual(await refusal(guardduty.send(new GetDetectorCommand({ DetectorId: 'not-a-detector' }))), {
        name: 'BadRequestException',
        status: 400,
        message: 'The request is rejected because the parameter detectorId has an invalid value.',
      });
      const { DetectorIds: detectorIds } = await guardduty.send(new ListDetectorsCommand({ MaxResults: 50 }));
      assert.deepEqual(detectorIds, ['6ec4a1c9d0f14b3a9e2d7c5b8a1f0e32']);
    });

    it('S3: an invalid bucket name is InvalidBucketName, a missing bucket NoSuchBucket, an unknown argument InvalidArgument, what the fake does not model NotImplemented', async () => {
      const s3 = client(new S3Client({ region: 'eu-west-1', forcePathStyle: true, maxAttempts: 1 }));
      assert.deepEqual(await refusal(s3.send(new GetBucketVersioningCommand({ Bucket: 'Acme_Rockets' }))), { name: 'InvalidBucketName', status: 400, message: 'The specified bucket is not valid.' });
      assert.deepEqual(await refusal(s3.send(new GetBucketVersioningCommand({ Bucket: 'acme-rockets-nowhere' }))), { name: 'NoSuchBucket', status: 404, message: 'The specified bucket does not exist' });
      assert.deepEqual(await refusal(s3.send(new ListBucketsCommand({ MaxBuckets: 0 }))), { name: 'InvalidArgument', status: 400, message: 'Argument max-buckets must be an integer between 1 and 10000.' });
      const misspelt = client(new S3Client({ region: 'eu-west-1', forcePathStyle: true, maxAttempts: 1 }));
      editRequest(misspelt, (request) => {
        request.query = { ...request.query, versionId: 'v1' };
      });
      assert.deepEqual(await refusal(misspelt.send(new GetBucketAclCommand({ Bucket: 'acme-rockets-backups' }))), { name: 'InvalidArgument', status: 400, message: 'GetBucketAcl does not take the argument versionId.' });
      assert.deepEqual(
        [await refusal(s3.send(new GetBucketCorsCommand({ Bucket: 'acme-rockets-backups' }))), await refusal(s3.send(new PutBucketVersioningCommand({ Bucket: 'acme-rockets-backups', VersioningConfiguration: { Status: 'Suspended' } })))].map((r) => [r.name, r.status]),
        [['NotImplemented', 501], ['NotImplemented', 501]],
      );
      assert.ok((await s3.send(new GetBucketAclCommand({ Bucket: 'acme-rockets-backups' }))).Grants);
    });

    it('S3 Control: a route the fake does not model is NotImplemented, an unknown argument InvalidArgument', async () => {
      // The client class posture builds for an endpoint override (S3 Control's rules would put the account id in the host).
      const S3Control = s3ControlClientClass(aws.url);
      const control = client(new S3Control({ region: 'us-east-1', requestHandler: new NodeHttpHandler(), retryStrategy: new ConfiguredRetryStrategy(1) }));
      const account = aws.manifest.account;
      const put = await refusal(control.send(new PutPublicAccessBlockCommand({ AccountId: account, PublicAccessBlockConfiguration: { BlockPublicAcls: true } })));
      assert.deepEqual([put.name, put.status], ['NotImplemented', 501]);
      const misspelt = client(new S3Control({ region: 'us-east-1', requestHandler: new NodeHttpHandler(), retryStrategy: new ConfiguredRetryStrategy(1) }));
      editRequest(misspelt, (request) => {
        request.query = { ...request.query, accountId: account };
      });
      assert.deepEqual(await refusal(misspelt.send(new GetPublicAccessBlockCommand({ AccountId: account }))), { name: 'InvalidArgument', status: 400, message: 'GetPublicAccessBlock does not take the argument accountId.' });
      assert.ok((await control.send(new GetPublicAccessBlockCommand({ AccountId: account }))).PublicAccessBlockConfiguration);
    });
  });

  describe('fake Account API, through the AWS SDK', () => {
    it('an unknown path is UnknownOperationException, MaxResults out of range or an unknown status ValidationException, an unknown member SerializationException', async () => {
      const aws = await startDemoAws();
      const restore = withEnv({ ...aws.env, AWS_PROFILE: undefined });
      const account = new AccountClient({ region: 'us-east-1', maxAttempts: 1 });
      const misspelt = new AccountClient({ region: 'us-east-1', maxAttempts: 1 });
      editRequest(misspelt, (request) => {
        request.body = JSON.stringify({ MaxResult: 5 });
      });
      try {
        const unknown = await refusal(account.send(new GetAlternateContactCommand({ AlternateContactType: 'SECURITY' })));
        assert.deepEqual([unknown.name, unknown.status], ['UnknownOperationException', 404]);
        assert.deepEqual(await refusal(account.send(new ListRegionsCommand({ MaxResults: 51 }))), {
          name: 'ValidationException',
          status: 400,
          message: "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50",
        });
        const status = await refusal(account.send(new ListRegionsCommand({ RegionOptStatusContains: ['ON' as 'ENABLED'] })));
        assert.deepEqual([status.name, status.status], ['ValidationException', 400]);
        assert.match(status.message, /Value 'ON' at 'regionOptStatusContains' failed to satisfy constraint: Member must satisfy enum value set/);
        assert.deepEqual(await refusal(misspelt.send(new ListRegionsCommand({ MaxResults: 5 }))), { name: 'SerializationException', status: 400, message: 'Unrecognized field "MaxResult"' });
        // Asked as posture asks: pages in order, the filter applied, the last page without a token.
        const first = await account.send(new ListRegionsCommand({ MaxResults: 10, RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] }));
        assert.equal(first.Regions?.length, 10);
        assert.ok(first.NextToken);
        const second = await account.send(new ListRegionsCommand({ MaxResults: 10, NextToken: first.NextToken, RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] }));
        assert.equal(second.NextToken, undefined);
        assert.deepEqual(
          [...(first.Regions ?? []), ...(second.Regions ?? [])].filter((r) => r.RegionOptStatus === 'ENABLED').map((r) => r.RegionName),
          ['eu-south-1'],
        );
        assert.equal((first.Regions?.length ?? 0) + (second.Regions?.length ?? 0), 18);
        const denied = await refusal(account.send(new ListRegionsCommand({ AccountId: '210987654321' })));
        assert.deepEqual([denied.name, denied.status], ['AccessDeniedException', 403]);
      } finally {
        account.destroy();
        misspelt.destroy();
        restore();
        await aws.close();
      }
    });
  });

  describe('fake AWS Organizations, through the AWS SDK', () => {
    it('an unknown target is UnknownOperationException, MaxResults out of range or an unknown member InvalidInputException', async () => {
      const org = await startOrganizationAws({ fixtures: DEMO_AWS_IAM, accounts: [{ Id: '210987654321', Name: 'staging' }] });
      const restore = withEnv({ ...awsEnvFor(org.url), AWS_PROFILE: undefined });
      const organizations = new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 });
      const misspelt = new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 });
      editRequest(misspelt, (request) => {
        request.body = JSON.stringify({ MaxResult: 5 });
      });
      try {
        const unknown = await refusal(organizations.send(new DescribeOrganizationCommand({})));
        assert.deepEqual([unknown.name, unknown.status], ['UnknownOperationException', 400]);
        const range = await refusal(organizations.send(new ListAccountsCommand({ MaxResults: 21 })));
        assert.deepEqual([range.name, range.status], ['InvalidInputException', 400]);
        const member = await refusal(misspelt.send(new ListAccountsCommand({ MaxResults: 5 })));
        assert.deepEqual(member, { name: 'InvalidInputException', status: 400, message: 'ListAccounts has no parameter MaxResult' });
        assert.deepEqual((await organizations.send(new ListAccountsCommand({ MaxResults: 5 }))).Accounts?.map((a) => a.Id), ['210987654321']);
      } finally {
        organizations.destroy();
        misspelt.destroy();
        restore();
        await org.close();
      }
    });
  });

  describe('fake GitHub, through Octokit', () => {
    let github: DemoGithub;
    let octokit: ReturnType<typeof createOctokit>;
    before(async () => {
      githubSchema();
      github = await startDemoGithub();
      octokit = createOctokit({
        auth: { kind: 'token', token: github.env.POSTURE_GITHUB_TOKEN },
        baseUrl: github.url,
        logger: createLogger({ level: 'silent' }),
        timeoutMs: 5000,
        retries: 0,
        retryAfterBaseMs: 1,
        throttle: { write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) },
      });
    });
    after(() => github.close());

    type RequestError = { status: number; response?: { data: unknown } };
    const rejected = async (call: Promise<unknown>): Promise<{ status: number; data: unknown }> => {
      try {
        await call;
      } catch (error) {
        const e = error as RequestError;
        return { status: e.status, data: e.response?.data };
      }
      assert.fail('the request was expected to be refused');
    };

    it('every route the fake serves has its parameters listed', () => {
      assert.deepEqual(Object.keys(QUERY_PARAMETERS).sort(), [...FAKE_GITHUB_ROUTES].sort());
    });

    it('an unknown route is 404 Not Found with a documentation_url', async () => {
      const { status, data } = await rejected(octokit.request('DELETE /repos/{owner}/{repo}', { owner: 'acme-rockets', repo: 'payments' }));
      assert.equal(status, 404);
      assert.deepEqual(data, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
    });

    it('a value outside a parameter\'s list, or a parameter the route does not take, is 422 Validation Failed naming it', async () => {
      const invalid = await rejected(octokit.rest.repos.listForOrg({ org: 'acme-rockets', type: 'everything' as 'all' }));
      assert.equal(invalid.status, 422);
      assert.deepEqual((invalid.data as { message: string; errors: unknown[] }).errors, [{ resource: 'Query', field: 'type', code: 'invalid', value: 'everything' }]);
      const misspelt = await rejected(octokit.request('GET /orgs/{org}/repos', { org: 'acme-rockets', per_pag: 50 }));
      assert.equal(misspelt.status, 422);
      assert.equal((misspelt.data as { message: string }).message, 'Validation Failed');
      assert.equal((misspelt.data as { errors: { field: string }[] }).errors[0]?.field, 'per_pag');
      // per_page beyond 100 is clamped, as GitHub does, not refused.
      const clamped = await octokit.rest.repos.listForOrg({ org: 'acme-rockets', per_page: 500 });
      assert.equal(clamped.status, 200);
    });

    it('a body key a write route does not take is 422 "is not a permitted key"', async () => {
      const { status, data } = await rejected(
        octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'acme-rockets', repo: 'payments', issue_number: 1, body: 'posture', bdy: 'typo' }),
      );
      assert.equal(status, 422);
      assert.equal((data as { message: string }).message, 'Invalid request.\n\n"bdy" is not a permitted key.');
    });

    type GraphqlFailure = { errors: Record<string, unknown>[] };
    const graphqlErrors = async (query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> => {
      try {
        await octokit.graphql(query, variables);
      } catch (error) {
        return (error as GraphqlFailure).errors;
      }
      assert.fail('the query was expected to be refused');
    };

    it("GraphQL: a field GitHub does not have is undefinedField, in GitHub's shape", async () => {
      assert.deepEqual(await graphqlErrors('query Who {\n  viewer {\n    loginName\n  }\n}'), [
        { path: ['query Who', 'viewer', 'loginName'], extensions: { code: 'undefinedField', typeName: 'User', fieldName: 'loginName' }, locations: [{ line: 3, column: 5 }], message: "Field 'loginName' doesn't exist on type 'User'" },
      ]);
    });

    it('GraphQL: a field GitHub has but the fake does not serve is refused too, rather than answered null', async () => {
      const [error] = await graphqlErrors('query Who { viewer { name } }');
      assert.equal(error?.message, "Field 'name' doesn't exist on type 'User'");
    });

    it("GraphQL: a misspelt field in posture's page query fails, with the path GitHub gives", async () => {
      assert.ok(REPOSITORY_PAGE_QUERY.includes('isSecurityPolicyEnabled'));
      const errors = await graphqlErrors(REPOSITORY_PAGE_QUERY.replace('isSecurityPolicyEnabled', 'isSecurityPolicyEnable'), { ids: [], adminIds: [], withAdmin: false });
      assert.deepEqual(
        errors.map((e) => [e.message, e.path]),
        [["Field 'isSecurityPolicyEnable' doesn't exist on type 'Repository'", ['query PostureRepositoryPage', 'repositories', '... on Repository', 'isSecurityPolicyEnable']]],
      );
    });

    it('GraphQL: a document that does not parse is a parse error naming the token', async () => {
      assert.deepEqual(await graphqlErrors('query Broken {\n  viewer {\n    login\n  }\n'), [{ message: 'Unexpected end of document', locations: [] }]);
      assert.deepEqual(await graphqlErrors('query Broken {\n  viewer { login }\n  }\n}'), [{ message: 'Parse error on "}" (RCURLY) at [4, 1]', locations: [{ line: 4, column: 1 }] }]);
    });

    it('GraphQL: an unknown argument, an undeclared variable and a missing non-null variable are refused', async () => {
      const [argument] = await graphqlErrors('query K($id: ID!) { node(id: $id) { ... on Repository { deployKeys(frist: 10) { totalCount } } } }', { id: 'R_1' });
      assert.equal(argument?.message, "Field 'deployKeys' doesn't accept argument 'frist'");
      assert.deepEqual(argument?.extensions, { code: 'argumentNotAccepted', name: 'deployKeys', typeName: 'Field', argumentName: 'frist' });
      const [undeclared] = await graphqlErrors(DEPLOY_KEYS_QUERY, { id: 'R_1', cursor: 'abc' });
      assert.equal(undeclared?.message, 'Variable $cursor was provided but PostureDeployKeys does not declare it');
      const [missing] = await graphqlErrors(OUTSIDE_COLLABORATORS_QUERY, {});
      assert.equal(missing?.message, 'Variable $id of type ID! was provided invalid value');
      assert.deepEqual((missing?.extensions as { value: unknown }).value, null);
    });

    it("GraphQL: every field posture's queries select is checked against the fake's list of known fields", () => {
      const schema = githubSchema();
      const documents = { PostureRepositoryPage: REPOSITORY_PAGE_QUERY, PostureDeployKeys: DEPLOY_KEYS_QUERY, PostureOutsideCollaborators: OUTSIDE_COLLABORATORS_QUERY };
      const variables = { PostureRepositoryPage: { ids: [], adminIds: [], withAdmin: true }, PostureDeployKeys: { id: 'R_1' }, PostureOutsideCollaborators: { id: 'R_1' } };
      let checked = 0;
      for (const [name, query] of Object.entries(documents)) {
        const vars = variables[name as keyof typeof variables];
        assert.ok('document' in checkGraphqlRequest(schema, query, vars, undefined), `${name} is accepted as it stands`);
        // Each (type, field) the document selects: without it in the list, the document is refused naming it.
        const selected = new Set<string>();
        const typeInfo = new TypeInfo(schema);
        visit(
          parse(query),
          visitWithTypeInfo(typeInfo, {
            [Kind.FIELD]: (node) => {
              const parent = typeInfo.getParentType();
              if (parent && node.name.value !== '__typename') selected.add(`${getNamedType(parent).name}.${node.name.value}`);
            },
          }),
        );
        for (const entry of selected) {
          const [typeName, fieldName] = entry.split('.') as [string, string];
          const without = { ...KNOWN_FIELDS, [typeName]: (KNOWN_FIELDS[typeName] ?? []).filter((f) => f !== fieldName) };
          const result = checkGraphqlRequest(schema, query, vars, undefined, without);
          assert.ok('errors' in result && result.errors.some((e) => e.message === `Field '${fieldName}' doesn't exist on type '${typeName}'`), `${name}: ${entry} is checked`);
          checked++;
        }
      }
      assert.ok(checked >= 40, `checked ${checked} fields`);
    });
  });
});
