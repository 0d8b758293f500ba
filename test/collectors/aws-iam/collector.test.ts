import assert from 'node:assert/strict';
import { isUnknown, type Resource } from '../../../src/facts/types.js';
import { collect, evaluateAws, kindProblems, statuses, testContext, withFake } from './helpers.js';

const byName = (resources: Resource[], kind: string): Record<string, Resource> =>
  Object.fromEntries(resources.filter((r) => r.kind === kind).map((r) => [r.name, r]));

describe('aws-iam collector against the seeded account', () => {
  let stop: () => Promise<void>;
  let resources: Resource[];
  let output: Awaited<ReturnType<typeof collect>>;
  let ctx: ReturnType<typeof testContext>;
  let fakeCalls: { service: string; operation: string; region: string }[];

  before(async () => {
    const started = await withFake();
    stop = started.stop;
    ctx = testContext();
    output = await collect(ctx);
    resources = output.resources;
    fakeCalls = started.fake.calls;
  });
  after(async () => stop());

  it('emits the account, every user of the report and the authorization details, every role and each region, with the documented ids', () => {
    const ids = resources.map((r) => r.id);
    assert.ok(ids.includes('aws:111122223333'));
    assert.ok(ids.includes('aws:111122223333:us-east-1'));
    assert.ok(ids.includes('aws:111122223333:eu-west-1'));
    assert.ok(ids.includes('arn:aws:iam::111122223333:user/alice'));
    assert.ok(ids.includes('arn:aws:iam::111122223333:role/github-deploy'));
    assert.equal(resources.filter((r) => r.kind === 'aws.iam.user').length, 13, 'twelve report users plus one created since');
    assert.equal(resources.filter((r) => r.kind === 'aws.iam.role').length, 9, 'roles come from the second page');
    assert.ok(!ids.some((id) => id.endsWith(':root')), 'the root user is account-level, not a user resource');
    assert.deepEqual(output.gaps?.map((g) => g.resource), ['arn:aws:iam::111122223333:user/mallory']);
    assert.equal(output.identity, 'arn:aws:iam::111122223333:user/posture-scanner');
  });

  it('emits attributes that validate against the kind schemas', () => {
    assert.deepEqual(kindProblems(resources), []);
  });

  it('keeps raw timestamps and the report special values, and records when the report was generated', () => {
    const users = byName(resources, 'aws.iam.user');
    assert.equal(users.carol?.attributes.passwordLastUsed, 'N/A');
    assert.equal(users.nina?.attributes.passwordLastUsed, 'no_information');
    assert.equal(users.carol?.attributes.createdAt, '2024-09-02T12:00:00+00:00');
    const account = resources.find((r) => r.kind === 'aws.account');
    assert.equal(account?.attributes.credentialReportGeneratedAt, '2026-01-15T10:00:00.000Z');
    assert.deepEqual(account?.attributes.rootCredentials, {
      mfaActive: false,
      passwordLastUsed: '2025-12-16T12:00:00+00:00',
      accessKeys: [{ slot: 1, active: true, lastRotated: '2024-02-15T12:00:00+00:00', lastUsed: '2025-06-29T12:00:00+00:00', lastUsedService: 'iam', lastUsedRegion: 'us-east-1' }],
    });
    assert.ok(output.notes?.some((n) => n.includes('credential report generated at 2026-01-15T10:00:00.000Z')));
  });

  it('marks a user created after the report as unknown for the report attributes only', () => {
    const mallory = byName(resources, 'aws.iam.user').mallory as Resource;
    assert.ok(isUnknown(mallory.attributes.mfaActive));
    assert.equal((mallory.attributes.mfaActive as { $unknown: { reason: string } }).$unknown.reason, 'NotInCredentialReport');
    assert.equal(mallory.attributes.adminAccess, 'none');
  });

  it('waits for the report to be generated, pages through the authorization details and asks each trail in its home region once', () => {
    const ops = fakeCalls.map((c) => `${c.service}.${c.operation}`);
    assert.equal(ops.filter((o) => o === 'iam.GenerateCredentialReport').length, 2, 'STARTED, then COMPLETE');
    assert.equal(ops.filter((o) => o === 'iam.GetCredentialReport').length, 1);
    assert.equal(ops.filter((o) => o === 'iam.GetAccountAuthorizationDetails').length, 2);
    const statusCalls = fakeCalls.filter((c) => c.operation === 'GetTrailStatus').map((c) => c.region).sort();
    assert.deepEqual(statusCalls, ['eu-west-1', 'us-east-1'], 'org-trail once in us-east-1, eu-local once in eu-west-1');
    assert.equal(fakeCalls.filter((c) => c.service === 'iam' || c.service === 'sts').every((c) => c.region === 'us-east-1'), true);
  });

  it('records every call by operation', () => {
    const snapshot = ctx.calls.snapshot();
    assert.equal(snapshot.byApi['iam.GetAccountAuthorizationDetails']?.calls, 2);
    assert.equal(snapshot.byApi['cloudtrail.DescribeTrails']?.calls, 2);
    assert.equal(snapshot.byApi['sts.GetCallerIdentity']?.calls, 1);
    const attempts = Object.values(snapshot.byApi).reduce((sum, s) => sum + s.calls + s.retries, 0);
    assert.equal(attempts, fakeCalls.length, 'every attempt the fake answered is a call or a retry');
  });

  describe('reports each seeded situation under the right rule', () => {
    let result: ReturnType<typeof evaluateAws>;
    before(() => {
      result = evaluateAws(resources);
    });

    it('console users without MFA', () => {
      assert.deepEqual(statuses(result, 'iam-user-console-mfa-enabled'), {
        alice: 'pass', bob: 'fail', carol: 'not_applicable', dave: 'not_applicable', erin: 'pass', frank: 'not_applicable', grace: 'not_applicable',
        heidi: 'pass', ivan: 'not_applicable', judy: 'pass', ken: 'not_applicable', mallory: 'unknown', nina: 'fail',
      });
    });

    it('access keys older than 90 days', () => {
      assert.deepEqual(statuses(result, 'iam-user-access-key-rotated'), {
        alice: 'not_applicable', bob: 'not_applicable', carol: 'fail', dave: 'pass', erin: 'not_applicable', frank: 'pass', grace: 'not_applicable',
        heidi: 'not_applicable', ivan: 'pass', judy: 'not_applicable', ken: 'pass', mallory: 'unknown', nina: 'not_applicable',
      });
    });

    it('unused credentials, counting never-used ones from their issue date', () => {
      const s = statuses(result, 'iam-user-unused-credentials-disabled');
      assert.equal(s.erin, 'fail', 'password last used 100 days ago');
      assert.equal(s.ken, 'fail', 'key last used 50 days ago');
      assert.equal(s.frank, 'pass', 'key created 10 days ago and never used');
      assert.equal(s.nina, 'pass', 'password set 3 days ago, no_information');
      assert.equal(s.grace, 'not_applicable', 'only an inactive key');
      assert.equal(s.mallory, 'unknown');
      assert.deepEqual(Object.entries(s).filter(([, v]) => v === 'fail').map(([k]) => k), ['erin', 'ken']);
    });

    it('two active keys', () => {
      const s = statuses(result, 'iam-user-single-active-access-key');
      assert.deepEqual(Object.entries(s).filter(([, v]) => v === 'fail').map(([k]) => k), ['dave']);
    });

    it('administrators through a direct policy, a group, an inline *:* policy, iam:*, NotAction and conditions', () => {
      const s = statuses(result, 'iam-user-no-administrator-access');
      assert.deepEqual(Object.entries(s).filter(([, v]) => v === 'fail').map(([k]) => k).sort(), ['alice', 'carol', 'frank', 'grace', 'heidi', 'ken']);
      for (const name of ['bob', 'dave', 'erin', 'ivan', 'judy', 'nina', 'mallory']) assert.equal(s[name], 'pass', name);
      const message = (name: string) => result.findings.find((f) => f.ruleId === 'iam-user-no-administrator-access' && f.resource.name === name)?.message ?? '';
      assert.match(message('alice'), /group Admins: AdministratorAccess/);
      assert.match(message('carol'), /AdministratorAccess attached to the user/);
      assert.match(message('frank'), /inline policy break-glass: allows every action/);
      assert.match(message('grace'), /iam-manager attached to the user: allows iam:\* \(IAM privilege escalation\)/);
      assert.match(message('heidi'), /has conditional administrator access .*under conditions/);
    });

    it('a weak password policy, root MFA and root keys', () => {
      assert.deepEqual(statuses(result, 'iam-password-policy-strong'), { 'AWS account 111122223333': 'fail' });
      assert.deepEqual(statuses(result, 'iam-root-mfa-enabled'), { 'AWS account 111122223333': 'fail' });
      assert.deepEqual(statuses(result, 'iam-root-no-access-keys'), { 'AWS account 111122223333': 'fail' });
      const evidence = result.findings.find((f) => f.ruleId === 'iam-password-policy-strong')?.evidence.map((e) => e.detail).join('; ') ?? '';
      assert.match(evidence, /minimumPasswordLength is 8/);
    });

    it('role trust: another account, any principal and OIDC without a subject fail', () => {
      assert.deepEqual(statuses(result, 'iam-role-trust-restricted'), {
        OrganizationAccountAccessRole: 'fail', 'partner-audit': 'pass', 'ec2-app': 'pass', 'github-deploy': 'fail', 'github-deploy-main': 'pass',
        'public-lookup': 'fail', 'org-readonly': 'pass', 'ops-admin': 'pass', AWSServiceRoleForSupport: 'pass',
      });
    });

    it('CloudTrail and GuardDuty per region, an organisation trail counting for both', () => {
      assert.deepEqual(statuses(result, 'cloudtrail-multi-region-enabled'), { 'us-east-1 (111122223333)': 'pass', 'eu-west-1 (111122223333)': 'pass' });
      assert.deepEqual(statuses(result, 'cloudtrail-log-validation-enabled'), { 'us-east-1 (111122223333)': 'pass', 'eu-west-1 (111122223333)': 'fail' });
      assert.deepEqual(statuses(result, 'guardduty-enabled'), { 'us-east-1 (111122223333)': 'pass', 'eu-west-1 (111122223333)': 'fail' });
    });

    it('shifts ages with the scan clock, not the wall clock', () => {
      const later = evaluateAws(resources, new Date('2026-03-15T12:00:00Z'));
      assert.equal(statuses(later, 'iam-user-access-key-rotated').ivan, 'pass', 'rotated 89 days before the later scan');
      assert.equal(statuses(later, 'iam-user-unused-credentials-disabled').frank, 'fail', 'never used, issued 69 days before');
    });
  });
});
