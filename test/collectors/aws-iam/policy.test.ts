import assert from 'node:assert/strict';
import fc from 'fast-check';
import { policyResolver } from '../../../src/collectors/aws-iam/authorization.js';
import { managementEventsOf } from '../../../src/collectors/aws-iam/detection.js';
import { evaluateAdmin, parsePolicyDocument, wildcardMatch, type PolicyDocument, type PolicyStatement } from '../../../src/collectors/aws-iam/policy.js';
import { trustedPrincipals } from '../../../src/collectors/aws-iam/trust.js';

const ACCOUNT = '111122223333';
const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const admin = (policies: PolicyDocument[], boundary?: PolicyDocument) =>
  evaluateAdmin(ACCOUNT, policies.map((document, i) => ({ label: `p${i}`, document })), boundary ? { label: 'boundary', document: boundary } : undefined).access;

describe('administrator access', () => {
  it('treats a string and a one-element list alike, and actions case-insensitively', () => {
    assert.equal(admin([doc({ Effect: 'Allow', Action: '*', Resource: '*' })]), 'full');
    assert.equal(admin([doc({ Effect: 'Allow', Action: ['*'], Resource: ['*'] })]), 'full');
    assert.equal(admin([doc({ Effect: 'Allow', Action: '*:*', Resource: '*' })]), 'full');
    assert.equal(admin([doc({ Effect: 'Allow', Action: 'IAM:*', Resource: '*' })]), 'full');
    assert.equal(admin([doc({ Effect: 'Allow', Action: ['Iam:AttachUserPolicy'], Resource: '*' })]), 'full');
    assert.equal(admin([doc({ Effect: 'allow', Action: 'iam:*Policy*', Resource: '*' })]), 'full');
  });

  it('does not call narrower grants administrator access', () => {
    assert.equal(admin([doc({ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' })]), 'none');
    assert.equal(admin([doc({ Effect: 'Allow', Action: ['s3:*', 'ec2:*'], Resource: '*' })]), 'none');
    assert.equal(admin([doc({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::acme-data/*' })]), 'none');
    assert.equal(admin([doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' })]), 'none', 'PowerUserAccess');
    assert.equal(admin([doc({ Effect: 'Allow', Action: '*', NotResource: '*' })]), 'none');
    assert.equal(admin([]), 'none');
  });

  it('counts NotAction and NotResource that leave everything open', () => {
    assert.equal(admin([doc({ Effect: 'Allow', NotAction: 'aws-portal:*', Resource: '*' })]), 'full');
    assert.equal(admin([doc({ Effect: 'Allow', Action: '*', NotResource: 'arn:aws:s3:::secrets/*' })]), 'full');
  });

  it('treats policy variables as any value: iam:* on the caller itself is escalation', () => {
    assert.equal(admin([doc({ Effect: 'Allow', Action: 'iam:*', Resource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}` })]), 'full');
  });

  it('lets an unconditional explicit Deny take administrator access away, but not a conditional or partial one', () => {
    const everything = { Effect: 'Allow', Action: '*', Resource: '*' };
    assert.equal(admin([doc(everything), doc({ Effect: 'Deny', Action: 'iam:*', Resource: '*' })]), 'none');
    assert.equal(admin([doc(everything, { Effect: 'Deny', NotAction: ['s3:*'], Resource: '*' })]), 'none');
    assert.equal(admin([doc(everything, { Effect: 'Deny', Action: 'iam:*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } })]), 'full');
    assert.equal(admin([doc(everything, { Effect: 'Deny', Action: 'iam:*', Resource: `arn:aws:iam::${ACCOUNT}:user/admin` })]), 'full');
    assert.equal(admin([doc(everything, { Effect: 'Deny', Action: 'aws-portal:*', Resource: '*' })]), 'full');
  });

  it('reports an Allow under conditions as conditional', () => {
    assert.equal(admin([doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } })]), 'conditional');
    assert.equal(admin([doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }), doc({ Effect: 'Allow', Action: '*', Resource: '*' })]), 'full');
  });

  it('intersects with the permissions boundary', () => {
    const everything = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    assert.equal(admin([everything], doc({ Effect: 'Allow', Action: ['s3:*', 'ec2:*'], Resource: '*' })), 'none');
    assert.equal(admin([everything], doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })), 'none');
    assert.equal(admin([everything], everything), 'full');
    assert.equal(admin([everything], doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } })), 'conditional');
    assert.equal(admin([doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' })], everything), 'none', 'a boundary grants nothing by itself');
  });

  it('is unknown when a policy it needs cannot be read, unless a readable one already decides', () => {
    assert.equal(evaluateAdmin(ACCOUNT, [{ label: 'SecurityAudit', document: undefined }]).access, 'unknown');
    assert.equal(evaluateAdmin(ACCOUNT, [{ label: 'SecurityAudit', document: undefined }, { label: 'admin', document: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) }]).access, 'full');
    assert.equal(evaluateAdmin(ACCOUNT, [{ label: 'admin', document: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) }], { label: 'boundary', document: undefined }).access, 'unknown');
  });

  it('evaluates the default version of a managed policy only', () => {
    const resolve = policyResolver([
      {
        Arn: `arn:aws:iam::${ACCOUNT}:policy/deploy`,
        DefaultVersionId: 'v2',
        PolicyVersionList: [
          { VersionId: 'v1', IsDefaultVersion: false, Document: encodeURIComponent(JSON.stringify(doc({ Effect: 'Allow', Action: '*', Resource: '*' }))) },
          { VersionId: 'v2', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }))) },
        ],
      },
    ]);
    const document = resolve(`arn:aws:iam::${ACCOUNT}:policy/deploy`);
    assert.equal(evaluateAdmin(ACCOUNT, [{ label: 'deploy', document }]).access, 'none');
    assert.equal(evaluateAdmin(ACCOUNT, [{ label: 'AdministratorAccess', document: resolve('arn:aws:iam::aws:policy/AdministratorAccess') }]).access, 'full', 'well known when absent from the list');
    assert.equal(resolve('arn:aws:iam::aws:policy/SecurityAudit'), undefined);
  });

  it('parses URL-encoded and plain documents, a lone statement object, and refuses garbage', () => {
    const plain = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}';
    assert.deepEqual(parsePolicyDocument(encodeURIComponent(plain)), JSON.parse(plain));
    assert.deepEqual(parsePolicyDocument(plain), JSON.parse(plain));
    assert.equal(evaluateAdmin(ACCOUNT, [{ label: 'x', document: parsePolicyDocument(plain) }]).access, 'full');
    assert.deepEqual(parsePolicyDocument('{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/100%"}]}')?.Statement, [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::a/100%' }]);
    assert.equal(parsePolicyDocument('not json'), undefined);
    assert.equal(parsePolicyDocument(''), undefined);
  });

  it('matches wildcards like IAM: * any run, ? one character, actions in any case', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,12}$/), fc.stringMatching(/^[A-Za-z]{1,20}$/), (service, name) => {
        const action = `${service}:${name}`;
        assert.ok(wildcardMatch('*', action, true));
        assert.ok(wildcardMatch(`${service}:*`, action, true));
        assert.ok(wildcardMatch(action.toUpperCase(), action, true));
        assert.ok(!wildcardMatch(action.toUpperCase(), `${action}x`, true));
        assert.equal(wildcardMatch(`${service}:?${name.slice(1)}`, action, true), true);
      }),
    );
    assert.ok(!wildcardMatch('arn:aws:s3:::A', 'arn:aws:s3:::a', false), 'resources are case-sensitive');
    assert.ok(wildcardMatch('arn:aws:s3:::a.b/*', 'arn:aws:s3:::a.b/c', false));
    assert.ok(!wildcardMatch('arn:aws:s3:::a.b/*', 'arn:aws:s3:::aXb/c', false), 'a dot is literal');
  });
});

describe('role trust', () => {
  const trust = (statement: PolicyStatement) => trustedPrincipals(doc({ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }), ACCOUNT);

  it('recognises any principal in its three spellings', () => {
    assert.equal(trust({ Principal: '*' })[0]?.type, 'any');
    assert.equal(trust({ Principal: { AWS: '*' } })[0]?.type, 'any');
    assert.equal(trust({ NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } })[0]?.type, 'any');
  });

  it('places accounts in or out of scope from ids and ARNs', () => {
    const entries = trust({ Principal: { AWS: [ACCOUNT, 'arn:aws:iam::444455556666:role/deployer', 'AROAEXAMPLEDELETED001'] } });
    assert.deepEqual(entries.map((e) => [e.type, e.account, e.accountScope]), [
      ['aws', ACCOUNT, 'in-scope'],
      ['aws', '444455556666', 'external'],
      ['unique-id', null, 'none'],
    ]);
  });

  it('credits positive external-id and organisation conditions only', () => {
    assert.equal(trust({ Principal: { AWS: '444455556666' }, Condition: { StringEquals: { 'sts:ExternalId': 'x' } } })[0]?.externalId, true);
    assert.equal(trust({ Principal: { AWS: '444455556666' }, Condition: { StringNotEquals: { 'sts:ExternalId': 'x' } } })[0]?.externalId, false);
    assert.equal(trust({ Principal: { AWS: '444455556666' }, Condition: { StringEqualsIfExists: { 'sts:ExternalId': 'x' } } })[0]?.externalId, false);
    assert.equal(trust({ Principal: '*', Condition: { StringEquals: { 'aws:principalorgid': 'o-abc' } } })[0]?.orgCondition, true);
    assert.equal(trust({ Principal: '*', Condition: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-abc/r-ab12/*' } } })[0]?.orgCondition, true);
    assert.equal(trust({ Principal: '*', Condition: { Null: { 'aws:PrincipalOrgID': 'false' } } })[0]?.orgCondition, false);
  });

  it('requires a pinned subject for web identities', () => {
    const github = { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` };
    const sub = (value: string | string[]) => trust({ Principal: github, Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': value } } })[0]?.subCondition;
    assert.equal(trust({ Principal: github, Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } } })[0]?.subCondition, false);
    assert.equal(sub('repo:acme-rockets/launch-site:ref:refs/heads/main'), true);
    assert.equal(sub('repo:acme-rockets/*'), true);
    assert.equal(sub('repo:*'), false, 'any repository on GitHub');
    assert.equal(sub('*'), false);
    assert.equal(sub(['repo:acme-rockets/app:*', 'repo:*:*']), false, 'one open value opens it');
    assert.equal(trust({ Principal: { Federated: 'cognito-identity.amazonaws.com' }, Condition: { StringEquals: { 'cognito-identity.amazonaws.com:aud': 'us-east-1:12345678-aaaa' } } })[0]?.subCondition, true);
    assert.equal(trust({ Principal: { Federated: `arn:aws:iam::${ACCOUNT}:saml-provider/Okta` } })[0]?.type, 'saml');
  });

  it('ignores Deny statements and lists each principal of each Allow', () => {
    const entries = trustedPrincipals(
      doc({ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] }, Action: 'sts:AssumeRole' }, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' }),
      ACCOUNT,
    );
    assert.deepEqual(entries.map((e) => e.principal), ['ec2.amazonaws.com', 'lambda.amazonaws.com']);
  });
});

describe('CloudTrail management events', () => {
  it('reads basic and advanced event selectors', () => {
    assert.deepEqual(managementEventsOf({ EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] }), { read: true, write: true });
    assert.deepEqual(managementEventsOf({ EventSelectors: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }] }), { read: false, write: true });
    assert.deepEqual(managementEventsOf({ EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: false }] }), { read: false, write: false });
    assert.deepEqual(managementEventsOf({}), { read: false, write: false });
    assert.deepEqual(managementEventsOf({ AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }] }), { read: true, write: true });
    assert.deepEqual(managementEventsOf({ AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', Equals: ['true'] }] }] }), { read: true, write: false });
    assert.deepEqual(managementEventsOf({ AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', NotEquals: ['true'] }] }] }), { read: false, write: true });
    assert.deepEqual(managementEventsOf({ AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }] }), { read: false, write: false });
  });
});
