import assert from 'node:assert/strict';
import { IAM_ACTIONS } from '../../../src/aws/iam-actions.js';
import { isUnknown, type Resource, type Unknown } from '../../../src/facts/types.js';
import type { Fault } from '../../support/fake-aws/server.js';
import { collect, evaluateAws, statuses, testContext, withFake } from './helpers.js';

const account = (resources: Resource[]): Resource => resources.find((r) => r.kind === 'aws.account') as Resource;
const region = (resources: Resource[], name: string): Resource => resources.find((r) => r.id === `aws:111122223333:${name}`) as Resource;
const user = (resources: Resource[], name: string): Resource => resources.find((r) => r.kind === 'aws.iam.user' && r.name === name) as Resource;
const marker = (value: unknown): Unknown['$unknown'] => {
  assert.ok(isUnknown(value), `expected an unknown marker, got ${JSON.stringify(value)}`);
  return value.$unknown;
};

const run = async (faults: Fault[], options: { hide?: string[]; reportReadyAfter?: number; timeoutMs?: number; regions?: string; maxAttempts?: number } = {}) => {
  const { fake, stop } = await withFake({ faults, ...(options.hide ? { hide: options.hide } : {}), ...(options.reportReadyAfter !== undefined ? { reportReadyAfter: options.reportReadyAfter } : {}) });
  try {
    const ctx = testContext({
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      options: { awsRegions: options.regions ?? 'us-east-1,eu-west-1' },
      ...(options.maxAttempts ? { config: { aws: { maxAttempts: options.maxAttempts } } } : {}),
    });
    const started = performance.now();
    const output = await collect(ctx);
    return { output, ctx, fake, ms: performance.now() - started, result: evaluateAws(output.resources) };
  } finally {
    await stop();
  }
};

/** For each operation: the attributes it feeds, where they live, and the rules that then cannot decide. */
const FEEDS: { operation: string; service: string; check: (resources: Resource[]) => unknown[]; rules: string[] }[] = [
  { operation: 'GetAccountPasswordPolicy', service: 'iam', check: (r) => [account(r).attributes.passwordPolicy], rules: ['iam-password-policy-strong'] },
  { operation: 'GetAccountSummary', service: 'iam', check: (r) => [account(r).attributes.rootMfaEnabled, account(r).attributes.rootAccessKeysPresent], rules: ['iam-root-mfa-enabled', 'iam-root-no-access-keys'] },
  {
    operation: 'GetCredentialReport',
    service: 'iam',
    check: (r) => [user(r, 'bob').attributes.mfaActive, user(r, 'carol').attributes.accessKeys, account(r).attributes.credentialReportGeneratedAt],
    rules: ['iam-user-console-mfa-enabled', 'iam-user-access-key-rotated', 'iam-user-unused-credentials-disabled', 'iam-user-single-active-access-key'],
  },
  { operation: 'GetAccountAuthorizationDetails', service: 'iam', check: (r) => [user(r, 'alice').attributes.adminAccess], rules: ['iam-user-no-administrator-access'] },
  { operation: 'DescribeTrails', service: 'cloudtrail', check: (r) => [region(r, 'us-east-1').attributes.trails, region(r, 'eu-west-1').attributes.trails], rules: ['cloudtrail-multi-region-enabled', 'cloudtrail-log-validation-enabled'] },
  { operation: 'ListDetectors', service: 'guardduty', check: (r) => [region(r, 'us-east-1').attributes.guardDutyDetectors], rules: ['guardduty-enabled'] },
];

describe('aws-iam collector failure semantics', () => {
  describe('AccessDenied on one action makes exactly what it feeds unknown, naming the IAM action', () => {
    for (const feed of FEEDS) {
      it(`${feed.service}:${feed.operation}`, async () => {
        const { output, result } = await run([{ service: feed.service, operation: feed.operation, kind: 'access-denied' }]);
        const action = IAM_ACTIONS[`${feed.service}.${feed.operation}`]?.action as string;
        for (const value of feed.check(output.resources)) {
          const m = marker(value);
          assert.equal(m.reason, 'AccessDenied');
          assert.equal(m.permission, action);
        }
        assert.ok(output.gaps?.some((g) => g.permission === action && g.reason === 'AccessDenied'), `a gap names ${action}: ${JSON.stringify(output.gaps)}`);
        assert.ok(output.gaps?.every((g) => g.permission === undefined || g.permission === action), 'no other action is blamed');
        for (const rule of feed.rules) {
          const findings = result.findings.filter((f) => f.ruleId === rule);
          assert.ok(findings.length > 0, rule);
          assert.ok(findings.every((f) => f.status === 'unknown' || f.status === 'not_applicable'), `${rule}: ${findings.map((f) => `${f.resource.name}=${f.status}`).join(', ')}`);
          assert.ok(findings.some((f) => f.unknown?.permission === action), `${rule} names ${action}`);
        }
        // Everything else is still decided.
        const others = result.findings.filter((f) => !feed.rules.includes(f.ruleId));
        assert.ok(others.some((f) => f.status === 'fail'), 'other rules still decide');
        assert.ok(others.every((f) => f.unknown?.permission === undefined), 'no other rule is unknown for a permission');
      });
    }

    it('a denied GetTrailStatus makes the multi-region rule unknown, not fail, and leaves log validation decided', async () => {
      const { output, result } = await run([{ service: 'cloudtrail', operation: 'GetTrailStatus', kind: 'access-denied' }]);
      const trail = (region(output.resources, 'us-east-1').attributes.trails as { logging: unknown }[])[0];
      assert.equal(marker(trail?.logging).permission, 'cloudtrail:GetTrailStatus');
      assert.deepEqual(statuses(result, 'cloudtrail-multi-region-enabled'), { 'us-east-1 (111122223333)': 'unknown', 'eu-west-1 (111122223333)': 'unknown' });
      assert.deepEqual(statuses(result, 'cloudtrail-log-validation-enabled'), { 'us-east-1 (111122223333)': 'pass', 'eu-west-1 (111122223333)': 'fail' });
      assert.ok(output.gaps?.some((g) => g.permission === 'cloudtrail:GetTrailStatus' && g.resource === 'aws:111122223333:us-east-1'));
    });

    it('a denied GetDetector leaves the detector listed with an unknown status', async () => {
      const { output, result } = await run([{ service: 'guardduty', operation: 'GetDetector', kind: 'access-denied' }]);
      const detectors = region(output.resources, 'us-east-1').attributes.guardDutyDetectors as { id: string; status: unknown }[];
      assert.equal(detectors[0]?.id, '12abc34d567e8fa901bc2d34e56789f0');
      assert.equal(marker(detectors[0]?.status).permission, 'guardduty:GetDetector');
      assert.deepEqual(statuses(result, 'guardduty-enabled'), { 'us-east-1 (111122223333)': 'unknown', 'eu-west-1 (111122223333)': 'unknown' });
    });

    it('a denied GenerateCredentialReport still uses the existing report and says so', async () => {
      const { output, result } = await run([{ service: 'iam', operation: 'GenerateCredentialReport', kind: 'access-denied' }]);
      assert.equal(user(output.resources, 'bob').attributes.mfaActive, false);
      assert.ok(output.notes?.some((n) => n.includes('iam:GenerateCredentialReport') && n.includes('2026-01-15T10:00:00.000Z')), JSON.stringify(output.notes));
      assert.equal(statuses(result, 'iam-user-console-mfa-enabled').bob, 'fail');
    });

    it('without a report to fall back on, a denied GenerateCredentialReport is what the gap names', async () => {
      const { output } = await run([{ service: 'iam', operation: 'GenerateCredentialReport', kind: 'access-denied' }], { hide: ['iam/credential-report.csv'] });
      assert.equal(marker(account(output.resources).attributes.credentialReportGeneratedAt).permission, 'iam:GenerateCredentialReport');
      assert.ok(output.gaps?.some((g) => g.permission === 'iam:GenerateCredentialReport' && g.resource === 'arn:aws:iam::111122223333:user/*'));
      // The authorization details still list the users, so they are reported, with the report's attributes unknown.
      assert.equal(marker(user(output.resources, 'bob').attributes.passwordEnabled).reason, 'AccessDenied');
    });

    it('nothing the collector could not read is reported as pass or fail when every IAM call is denied', async () => {
      const { output, result } = await run([
        { service: 'iam', kind: 'access-denied' },
        { service: 'cloudtrail', kind: 'access-denied' },
        { service: 'guardduty', kind: 'access-denied' },
      ]);
      assert.ok(result.findings.length > 0);
      assert.deepEqual(result.findings.filter((f) => f.status === 'pass' || f.status === 'fail'), []);
      assert.ok(result.findings.every((f) => f.status === 'unknown' && f.unknown?.permission), 'every unknown names a permission');
      assert.equal(output.resources.filter((r) => r.kind === 'aws.iam.user').length, 0, 'no user list could be read');
      assert.ok(output.gaps?.some((g) => g.resource === 'arn:aws:iam::111122223333:role/*' && g.permission === 'iam:GetAccountAuthorizationDetails'));
    });
  });

  describe('the password policy', () => {
    it('NoSuchEntity is "no policy", a real value that fails the rule', async () => {
      const { output, result } = await run([], { hide: ['iam/GetAccountPasswordPolicy.xml'] });
      assert.equal(account(output.resources).attributes.passwordPolicy, null);
      const finding = result.findings.find((f) => f.ruleId === 'iam-password-policy-strong');
      assert.equal(finding?.status, 'fail');
      assert.match(finding?.evidence[0]?.detail ?? '', /passwordPolicy is null/);
      assert.ok(!output.gaps?.some((g) => g.attributes.includes('passwordPolicy')));
    });
  });

  describe('throttling, server errors and timeouts', () => {
    it('retries throttling with the SDK retry strategy and records the retries', async () => {
      const { output, ctx, fake } = await run([{ service: 'iam', operation: 'GetAccountSummary', kind: 'throttle', times: 2 }]);
      assert.equal(account(output.resources).attributes.rootMfaEnabled, false);
      const stats = ctx.calls.snapshot().byApi['iam.GetAccountSummary'];
      assert.deepEqual({ calls: stats?.calls, retries: stats?.retries, throttles: stats?.throttles, errors: stats?.errors }, { calls: 1, retries: 2, throttles: 2, errors: 0 });
      assert.equal(fake.calls.filter((c) => c.operation === 'GetAccountSummary').length, 3);
    });

    it('throttling that never ends is unknown after the attempts run out', async () => {
      const { output, ctx, fake } = await run([{ service: 'iam', operation: 'GetAccountSummary', kind: 'throttle' }]);
      const m = marker(account(output.resources).attributes.rootMfaEnabled);
      assert.equal(m.reason, 'Throttling');
      assert.equal(fake.calls.filter((c) => c.operation === 'GetAccountSummary').length, 10, 'twice maxAttempts when throttled');
      assert.equal(ctx.calls.snapshot().byApi['iam.GetAccountSummary']?.errors, 1);
      assert.ok(output.gaps?.some((g) => g.attributes.includes('rootMfaEnabled') && g.reason.startsWith('Throttling')));
    });

    it('retries throttling on CloudTrail and GuardDuty in their own error codes', async () => {
      const { output, ctx } = await run([
        { service: 'cloudtrail', operation: 'DescribeTrails', kind: 'throttle', times: 1 },
        { service: 'guardduty', operation: 'ListDetectors', kind: 'throttle', times: 1 },
      ]);
      assert.ok(Array.isArray(region(output.resources, 'us-east-1').attributes.trails));
      assert.ok(Array.isArray(region(output.resources, 'us-east-1').attributes.guardDutyDetectors));
      assert.equal(ctx.calls.snapshot().byApi['cloudtrail.DescribeTrails']?.throttles, 1);
      assert.equal(ctx.calls.snapshot().byApi['guardduty.ListDetectors']?.throttles, 1);
    });

    it('retries a 500 and succeeds; a persistent 500 is a ServiceError unknown', async () => {
      const once = await run([{ service: 'iam', operation: 'GetAccountPasswordPolicy', kind: 'server-error', times: 1 }]);
      assert.equal((account(once.output.resources).attributes.passwordPolicy as { minimumPasswordLength: number }).minimumPasswordLength, 8);
      assert.equal(once.ctx.calls.snapshot().byApi['iam.GetAccountPasswordPolicy']?.retries, 1);
      const always = await run([{ service: 'iam', operation: 'GetAccountPasswordPolicy', kind: 'server-error' }]);
      assert.equal(marker(account(always.output.resources).attributes.passwordPolicy).reason, 'ServiceError');
      assert.equal(statuses(always.result, 'iam-password-policy-strong')['AWS account 111122223333'], 'unknown');
    });

    it('gives up on a call slower than the timeout, and the scan goes on', async () => {
      const { output, ms, result, ctx } = await run([{ service: 'iam', operation: 'GetAccountPasswordPolicy', kind: 'slow', delayMs: 5000 }], { timeoutMs: 300, maxAttempts: 2 });
      assert.equal(marker(account(output.resources).attributes.passwordPolicy).reason, 'Timeout');
      assert.equal(ctx.calls.snapshot().byApi['iam.GetAccountPasswordPolicy']?.retries, 1, 'aws.maxAttempts: 2');
      assert.equal(account(output.resources).attributes.rootMfaEnabled, false);
      assert.ok(ms < 5000, `finished in ${Math.round(ms)} ms, before the slow answer`);
      assert.equal(statuses(result, 'iam-root-mfa-enabled')['AWS account 111122223333'], 'fail');
    });

    it('a region that fails does not fail the others', async () => {
      const { output, result } = await run([
        { service: 'cloudtrail', kind: 'server-error', match: (request) => request.region === 'eu-west-1' },
        { service: 'guardduty', kind: 'slow', delayMs: 5000, match: (request) => request.region === 'eu-west-1' },
      ], { timeoutMs: 300, maxAttempts: 2 });
      assert.equal(marker(region(output.resources, 'eu-west-1').attributes.trails).reason, 'ServiceError');
      assert.equal(marker(region(output.resources, 'eu-west-1').attributes.guardDutyDetectors).reason, 'Timeout');
      assert.ok(Array.isArray(region(output.resources, 'us-east-1').attributes.trails));
      assert.deepEqual(statuses(result, 'guardduty-enabled'), { 'us-east-1 (111122223333)': 'pass', 'eu-west-1 (111122223333)': 'unknown' });
      assert.deepEqual(statuses(result, 'cloudtrail-multi-region-enabled'), { 'us-east-1 (111122223333)': 'pass', 'eu-west-1 (111122223333)': 'unknown' });
    });

    it('a reset connection is retried', async () => {
      const { output, ctx } = await run([{ service: 'iam', operation: 'GetAccountSummary', kind: 'reset', times: 1 }]);
      assert.equal(account(output.resources).attributes.rootAccessKeysPresent, true);
      assert.equal(ctx.calls.snapshot().byApi['iam.GetAccountSummary']?.retries, 1);
    });
  });

  describe('the credential report', () => {
    it('a report not ready within the bounded wait is unknown, not pass or fail', async () => {
      const { output, fake, result } = await run([], { reportReadyAfter: 1000 });
      assert.equal(marker(user(output.resources, 'bob').attributes.mfaActive).reason, 'NotReady');
      assert.ok(fake.iam.state.generateCalls > 2 && fake.iam.state.generateCalls < 200, `polled ${fake.iam.state.generateCalls} times`);
      assert.ok(output.gaps?.some((g) => g.reason.startsWith('NotReady')));
      assert.deepEqual(Object.values(statuses(result, 'iam-user-console-mfa-enabled')).filter((s) => s === 'pass' || s === 'fail'), []);
    });
  });
});
