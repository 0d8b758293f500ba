import assert from 'node:assert/strict';
import { isUnknown, type Resource } from '../../../src/facts/types.js';
import { collect, DOCUMENTED, kindProblems, testContext, withFake } from './helpers.js';

// AWS's own documented examples, served over HTTP, read by the real SDK deserialisers.
describe('aws-iam collector over the responses AWS documents', () => {
  let resources: Resource[];
  let output: Awaited<ReturnType<typeof collect>>;
  before(async () => {
    const { stop } = await withFake({ fixtures: DOCUMENTED });
    try {
      output = await collect(testContext({ scanTime: new Date('2019-05-08T12:00:00Z'), options: { awsRegions: 'us-east-1' } }));
      resources = output.resources;
    } finally {
      await stop();
    }
  });
  const get = (name: string): Resource => resources.find((r) => r.name === name) as Resource;

  it('decides administrators in the GetAccountAuthorizationDetails example: a deny of billing does not take admin away, NotAction iam:* is not admin', () => {
    assert.equal(get('Alice').attributes.adminAccess, 'full');
    assert.equal(get('Bob').attributes.adminAccess, 'full');
    assert.equal(get('Elaine').attributes.adminAccess, 'full');
    assert.equal(get('Charlie').attributes.adminAccess, 'none');
    assert.equal(get('Danielle').attributes.adminAccess, 'none');
    assert.deepEqual(get('Elaine').attributes.adminVia, ['group Admins: inline policy AdministratorAccess-201409151020: allows every action']);
    assert.deepEqual(get('EC2role').attributes.trustedPrincipals, [
      { principal: 'ec2.amazonaws.com', type: 'service', account: null, accountScope: 'none', externalId: false, orgCondition: false, subCondition: false, conditional: false, actions: ['sts:AssumeRole'] },
    ]);
  });

  it('reads the credential report sample with its special values', () => {
    const user = get('user');
    assert.equal(user.attributes.passwordEnabled, true);
    assert.equal(user.attributes.passwordLastChanged, 'N/A');
    assert.equal(user.attributes.activeAccessKeyCount, 2);
    const auditor = get('auditor_tmp');
    assert.deepEqual(auditor.attributes.activeCredentials, [{ credential: 'access_key_1', lastUsed: 'N/A', lastActivity: '2019-05-07T15:35:55+00:00', neverUsed: true }]);
    const account = resources.find((r) => r.kind === 'aws.account') as Resource;
    assert.equal((account.attributes.rootCredentials as { mfaActive: unknown }).mfaActive, true);
    assert.equal(account.attributes.credentialReportGeneratedAt, '2019-05-07T15:40:22.000Z');
  });

  it('joins the report and the authorization details by ARN, marking what only one of them knows', () => {
    assert.ok(isUnknown(get('Alice').attributes.mfaActive), 'Alice is not in the report');
    assert.ok(isUnknown(get('user').attributes.adminAccess), 'user is not in the authorization details');
  });

  it('reads the documented password policy and account summary, and names what the summary leaves out', () => {
    const account = resources.find((r) => r.kind === 'aws.account') as Resource;
    assert.deepEqual(account.attributes.passwordPolicy, {
      minimumPasswordLength: 12, requireUppercaseCharacters: true, requireLowercaseCharacters: true, requireNumbers: true, requireSymbols: true,
      characterClasses: { uppercase: true, lowercase: true, numbers: true, symbols: true }, passwordReusePrevention: 12, maxPasswordAge: null,
      allowUsersToChangePassword: true, hardExpiry: false,
    });
    assert.equal(account.attributes.rootMfaEnabled, false);
    // The documented example predates AccountAccessKeysPresent: unknown, with a gap, never "no keys".
    assert.ok(isUnknown(account.attributes.rootAccessKeysPresent));
    assert.ok(output.gaps?.some((g) => g.attributes.includes('rootAccessKeysPresent')));
  });

  it('reads the documented trails, event selectors and detector', () => {
    const region = resources.find((r) => r.kind === 'aws.region') as Resource;
    const trails = region.attributes.trails as { name: string; logging: unknown; managementEvents: unknown }[];
    assert.deepEqual(trails.map((t) => t.name), ['Trail1', 'Trail2']);
    assert.equal(trails[0]?.logging, true);
    assert.deepEqual(trails[0]?.managementEvents, { read: true, write: true });
    assert.ok(isUnknown(trails[1]?.logging), 'no status recorded for Trail2');
    assert.deepEqual(region.attributes.guardDutyDetectors, [{ id: '12abc34d567e8fa901bc2d34eexample', status: 'ENABLED' }]);
  });

  it('emits attributes that validate against the kind schemas', () => {
    assert.deepEqual(kindProblems(resources), []);
  });
});
