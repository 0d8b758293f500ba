import assert from 'node:assert/strict';
import { createAwsIamCollector } from '../../../src/collectors/aws-iam/index.js';
import { shiftTimestamps, startDemoAws, withEnv } from '../../support/fake-aws/index.js';
import { evaluateAws, FAST, kindProblems, statuses, testContext } from './helpers.js';

const failing = (result: ReturnType<typeof evaluateAws>, rule: string): string[] =>
  Object.entries(statuses(result, rule))
    .filter(([, status]) => status === 'fail')
    .map(([name]) => name)
    .sort();

describe('the demo AWS account (Acme Rockets, 123456789012)', () => {
  // Any day will do: the demo endpoint moves its timestamps so that the account looks the same.
  const now = new Date('2031-07-04T08:30:00Z');
  let result: ReturnType<typeof evaluateAws>;
  let output: Awaited<ReturnType<ReturnType<typeof createAwsIamCollector>['collect']>>;

  before(async () => {
    const demo = await startDemoAws({ now });
    const restore = withEnv(demo.env);
    try {
      output = await createAwsIamCollector(FAST).collect(testContext({ scanTime: now, options: { awsRegions: 'us-east-1,eu-west-1' } }));
      result = evaluateAws(output.resources, now);
    } finally {
      restore();
      await demo.close();
    }
  });

  it('is complete and schema-valid', () => {
    assert.deepEqual(output.gaps, []);
    assert.deepEqual(kindProblems(output.resources), []);
    assert.equal(output.identity, 'arn:aws:iam::123456789012:user/posture-demo');
  });

  it('shows every seeded situation under its rule', () => {
    assert.deepEqual(failing(result, 'iam-user-console-mfa-enabled'), ['grace.hopper', 'intern.sam']);
    assert.deepEqual(failing(result, 'iam-user-access-key-rotated'), ['ci-deploy', 'legacy-etl']);
    assert.deepEqual(failing(result, 'iam-user-unused-credentials-disabled'), ['intern.sam', 'legacy-etl']);
    assert.deepEqual(failing(result, 'iam-user-single-active-access-key'), ['legacy-etl']);
    assert.deepEqual(failing(result, 'iam-user-no-administrator-access'), ['ada.lovelace', 'ci-deploy', 'launch-ops']);
    assert.deepEqual(failing(result, 'iam-role-trust-restricted'), ['github-actions-deploy', 'vendor-support']);
    assert.deepEqual(failing(result, 'iam-password-policy-strong'), ['AWS account 123456789012'], 'no password policy at all');
    assert.deepEqual(failing(result, 'cloudtrail-multi-region-enabled'), ['eu-west-1 (123456789012)', 'us-east-1 (123456789012)']);
    assert.deepEqual(failing(result, 'cloudtrail-log-validation-enabled'), ['us-east-1 (123456789012)']);
    assert.deepEqual(failing(result, 'guardduty-enabled'), ['eu-west-1 (123456789012)']);
  });

  it('also shows what is in order', () => {
    assert.equal(statuses(result, 'iam-root-mfa-enabled')['AWS account 123456789012'], 'pass');
    assert.equal(statuses(result, 'iam-root-no-access-keys')['AWS account 123456789012'], 'pass');
    assert.equal(statuses(result, 'guardduty-enabled')['us-east-1 (123456789012)'], 'pass');
    for (const rule of ['iam-user-console-mfa-enabled', 'iam-user-no-administrator-access']) assert.equal(statuses(result, rule).auditor, 'pass', rule);
    assert.equal(result.findings.filter((f) => f.status === 'unknown').length, 0);
  });

  it('moves timestamps by a fixed offset and keeps their style', () => {
    const day = 86_400_000;
    assert.equal(shiftTimestamps('a,2026-01-15T12:00:00+00:00,b', day), 'a,2026-01-16T12:00:00+00:00,b');
    assert.equal(shiftTimestamps('<CreateDate>2026-01-15T12:00:00Z</CreateDate>', -day), '<CreateDate>2026-01-14T12:00:00Z</CreateDate>');
    assert.equal(shiftTimestamps('"2026-01-15T12:00:00.000Z"', day), '"2026-01-16T12:00:00.000Z"');
    assert.equal(shiftTimestamps('"Version":"2012-10-17"', day), '"Version":"2012-10-17"');
  });
});
