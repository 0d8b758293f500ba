import assert from 'node:assert/strict';
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'graphql';
import { readGithubPermissions, readPolicy } from '../../scripts/render-permissions.js';
import { IAM_ACTIONS } from '../../src/aws/iam-actions.js';
import { DEPLOY_KEYS_QUERY, OUTSIDE_COLLABORATORS_QUERY, REPOSITORY_PAGE_QUERY } from '../../src/collectors/github/queries.js';
import { GITHUB_CALLS } from '../../src/collectors/github/routes.js';
import { startDemoAws, withEnv } from '../support/fake-aws/index.js';
import { CHECKS_ROUTES } from '../support/fake-github/checks.js';
import { startDemoGithub } from '../support/fake-github/index.js';
import { scanDemo, type ScanOutcome } from './support.js';

/** The IAM action of an entry of the fake AWS log (S3 operations are logged under their action's name). */
const actionOf = (service: string, operation: string): string | null | undefined => (service === 's3' ? `s3:${operation}` : IAM_ACTIONS[`${service}.${operation}`]?.action);

describe('least privilege: what posture calls is exactly what docs/permissions documents', function () {
  this.timeout(120_000);

  let full: ScanOutcome;
  let viaOrganization: ScanOutcome;
  before(async () => {
    // Every AWS call (bucket regions left out of the listing, tags needed) and the demo organisation.
    full = await scanDemo({ s3State: (state) => ({ ...state, ListBucketsOmitsRegion: true }), extraNeeds: { 'aws.s3.bucket': ['tags'] } });
    // The same account found through aws.organization: ListAccounts, then the account's role, which lists its enabled regions (--aws-regions all).
    viaOrganization = await scanDemo({ sources: ['aws'], organization: true, options: { awsRegions: 'all' } });
  });

  it('the AWS actions called in a full run equal the actions of docs/permissions/aws-policy.json', () => {
    const called = new Set([...full.awsLog, ...viaOrganization.awsLog].map((e) => actionOf(e.service, e.operation)));
    assert.ok(!called.has(undefined), 'an AWS call the table in src/aws/iam-actions.ts does not declare');
    assert.ok(called.has('organizations:ListAccounts') && called.has('sts:AssumeRole'), 'the organization run listed the accounts and assumed the role');
    assert.ok(called.has('account:ListRegions'), "the organization run listed the account's enabled regions");
    called.delete(null); // sts:GetCallerIdentity needs no permission
    // sts:AssumeRole is granted on the roles to the identity that runs posture, outside the policy (docs/permissions.md says so).
    for (const entry of Object.values(IAM_ACTIONS)) if (entry.grantedTo === 'caller') called.delete(entry.action);
    const documented = readPolicy().Statement.flatMap((s) => s.Action);
    assert.deepEqual([...called].sort(), [...new Set(documented)].sort());
    assert.deepEqual(documented.filter((a) => !/^[a-z0-9-]+:(Get|List|Describe|GenerateCredentialReport$)/.test(a)), [], 'the policy grants only reads');
  });

  it('the GitHub calls of a full run are documented in docs/permissions/github.json, which matches src/collectors/github/routes.ts', () => {
    const doc = readGithubPermissions();
    assert.deepEqual(doc.calls, GITHUB_CALLS);
    const documented = new Set(doc.calls.map((c) => c.api));
    const called = new Set(full.githubLog.map((e) => (e.route === 'POST /graphql' ? `graphql ${e.operation ?? 'anonymous'}` : e.route)));
    assert.deepEqual([...called].filter((api) => !documented.has(api)), []);
    // The scan itself writes nothing: every request it makes is a GET or a GraphQL query.
    assert.deepEqual([...called].filter((api) => !api.startsWith('GET ') && !api.startsWith('graphql ')), []);
  });

  it('only publishing writes, and the documented writes are the routes the fake GitHub serves for it', () => {
    const writes = GITHUB_CALLS.filter((c) => c.writes).map((c) => c.api);
    assert.ok(GITHUB_CALLS.filter((c) => c.writes).every((c) => c.by === 'publish'));
    assert.deepEqual(writes.sort(), CHECKS_ROUTES.filter((r) => !r.startsWith('GET ')).sort());
    assert.deepEqual(GITHUB_CALLS.filter((c) => !c.writes && !c.api.startsWith('GET ') && !c.api.startsWith('graphql ')).map((c) => c.api), ['POST /app/installations/{installation_id}/access_tokens']);
  });

  it('no GraphQL document posture sends contains a mutation', () => {
    const documents = { REPOSITORY_PAGE_QUERY, DEPLOY_KEYS_QUERY, OUTSIDE_COLLABORATORS_QUERY };
    const operations = Object.values(documents).flatMap((text) => parse(text).definitions);
    assert.equal(operations.length, 3);
    for (const definition of operations) {
      assert.equal(definition.kind, 'OperationDefinition');
      if (definition.kind === 'OperationDefinition') assert.equal(definition.operation, 'query', definition.name?.value);
    }
    const declared = GITHUB_CALLS.filter((c) => c.api.startsWith('graphql ')).map((c) => c.api.slice('graphql '.length));
    assert.deepEqual(operations.map((d) => (d.kind === 'OperationDefinition' ? d.name?.value : undefined)).sort(), declared.sort());
  });

  it('the fakes refuse calls they do not know with the service\'s own error', async () => {
    const aws = await startDemoAws();
    const github = await startDemoGithub();
    const restore = withEnv({ ...aws.env, AWS_PROFILE: undefined });
    const iam = new IAMClient({ region: 'us-east-1', maxAttempts: 1 });
    const s3 = new S3Client({ region: 'eu-west-1', forcePathStyle: true, maxAttempts: 1 });
    try {
      await assert.rejects(iam.send(new ListUsersCommand({})), (error: Error & { $metadata?: { httpStatusCode?: number } }) => error.name === 'InvalidAction' && error.$metadata?.httpStatusCode === 400);
      await assert.rejects(
        s3.send(new PutBucketVersioningCommand({ Bucket: 'acme-rockets-backups', VersioningConfiguration: { Status: 'Suspended' } })),
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => error.name === 'NotImplemented' && error.$metadata?.httpStatusCode === 501,
      );
      const response = await fetch(`${github.url}/repos/acme-rockets/payments`, { method: 'DELETE', headers: { authorization: 'token posture-demo-token' } });
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { message?: unknown }).message, 'Not Found');
    } finally {
      iam.destroy();
      s3.destroy();
      restore();
      await Promise.all([aws.close(), github.close()]);
    }
  });
});
