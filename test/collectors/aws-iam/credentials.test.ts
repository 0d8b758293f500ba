import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { awsSettings } from '../../../src/aws/settings.js';
import { runCollectors } from '../../../src/collectors/run.js';
import { createAwsIamCollector } from '../../../src/collectors/aws-iam/index.js';
import { withEnv } from '../../support/fake-aws/index.js';
import { collect, FAST, testContext, withFake } from './helpers.js';

describe('aws-iam collector credentials, endpoints and regions', () => {
  it('assumes --aws-role-arn with --aws-external-id and signs every later call with the role session', async () => {
    const { fake, stop } = await withFake({ externalId: 'acme-7f3c' });
    try {
      const ctx = testContext({ options: { awsRegions: 'us-east-1', awsRoleArn: 'arn:aws:iam::111122223333:role/posture-audit', awsExternalId: 'acme-7f3c' } });
      const output = await collect(ctx);
      assert.equal(fake.sts.assumed.length, 1, 'one AssumeRole for all clients');
      assert.deepEqual({ ...fake.sts.assumed[0], accessKeyId: undefined }, { roleArn: 'arn:aws:iam::111122223333:role/posture-audit', sessionName: 'posture', externalId: 'acme-7f3c', accessKeyId: undefined });
      const roleKey = fake.sts.assumed[0]?.accessKeyId;
      const later = fake.calls.filter((c) => c.operation !== 'AssumeRole');
      assert.ok(later.length > 5);
      assert.ok(later.every((c) => c.accessKeyId === roleKey), 'IAM, CloudTrail and GuardDuty calls use the role');
      assert.equal(fake.calls.find((c) => c.operation === 'AssumeRole')?.accessKeyId, 'AKIAIOSFODNN7EXAMPLE');
      assert.equal(output.identity, 'arn:aws:sts::111122223333:assumed-role/posture-audit/posture');
      assert.equal(ctx.calls.snapshot().byApi['sts.AssumeRole']?.calls, 1);
    } finally {
      await stop();
    }
  });

  it('fails the source with a clear reason when the role cannot be assumed', async () => {
    const { stop } = await withFake({ externalId: 'the-right-one' });
    try {
      const ctx = testContext({ options: { awsRegions: 'us-east-1', awsRoleArn: 'arn:aws:iam::111122223333:role/posture-audit', awsExternalId: 'a-wrong-one' } });
      const { calls: _calls, ...context } = ctx;
      const facts = await runCollectors({ collectors: [createAwsIamCollector(FAST)], context, tool: { name: 'posture', version: 'test' }, targets: { path: '.', treeId: 'test' } });
      assert.equal(facts.sources[0]?.status, 'failed');
      assert.match(facts.sources[0]?.reason ?? '', /could not assume arn:aws:iam::111122223333:role\/posture-audit/);
      assert.match(facts.sources[0]?.reason ?? '', /sts:AssumeRole/);
      assert.equal(facts.resources.length, 0);
    } finally {
      await stop();
    }
  });

  it('uses --aws-profile from the shared config and credentials files, with its region', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'posture-aws-'));
    writeFileSync(path.join(dir, 'credentials'), '[scanner]\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\naws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n');
    writeFileSync(path.join(dir, 'config'), '[profile scanner]\nregion = eu-west-1\n');
    const { fake, stop } = await withFake();
    const restore = withEnv({ AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'), AWS_CONFIG_FILE: path.join(dir, 'config'), AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
    try {
      const output = await collect(testContext({ options: { awsProfile: 'scanner' } }));
      assert.ok(fake.calls.every((c) => c.accessKeyId === 'AKIAI44QH8DHBEXAMPLE'), 'the profile beats the environment keys');
      assert.deepEqual(output.resources.filter((r) => r.kind === 'aws.region').map((r) => r.id), ['aws:111122223333:eu-west-1']);
    } finally {
      restore();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('honours the service-specific AWS_ENDPOINT_URL_<SERVICE> variables over AWS_ENDPOINT_URL', async () => {
    const { fake, stop } = await withFake();
    const restore = withEnv({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_IAM: fake.url,
      AWS_ENDPOINT_URL_STS: fake.url,
      AWS_ENDPOINT_URL_CLOUDTRAIL: fake.url,
      AWS_ENDPOINT_URL_GUARDDUTY: fake.url,
    });
    try {
      const output = await collect(testContext({ options: { awsRegions: 'us-east-1' } }));
      assert.equal(output.endpoint, fake.url);
      assert.deepEqual(output.gaps?.filter((g) => g.reason !== 'NotInCredentialReport'), []);
    } finally {
      restore();
      await stop();
    }
  });

  it('fails the source, naming the fix, when there are no credentials at all', async () => {
    const { stop } = await withFake();
    const restore = withEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined, AWS_WEB_IDENTITY_TOKEN_FILE: undefined, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined, AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined });
    try {
      await assert.rejects(collect(testContext({ options: { awsRegions: 'us-east-1' } })), /no AWS credentials/);
    } finally {
      restore();
      await stop();
    }
  });

  it('checks the SDK region when no region is given, and aws.regions from posture.yaml when it is', async () => {
    const { fake, stop } = await withFake();
    try {
      const sdk = await collect(testContext({ options: {} }));
      assert.deepEqual(sdk.resources.filter((r) => r.kind === 'aws.region').map((r) => r.id), ['aws:111122223333:us-east-1']);
      const configured = await collect(testContext({ options: {}, config: { aws: { regions: ['eu-west-1'] } } }));
      assert.deepEqual(configured.resources.filter((r) => r.kind === 'aws.region').map((r) => r.id), ['aws:111122223333:eu-west-1']);
      // org-trail's status still comes from its home region, us-east-1.
      assert.ok(fake.calls.some((c) => c.operation === 'GetTrailStatus' && c.region === 'us-east-1' && c.path === '/'));
      const flag = await collect(testContext({ options: { awsRegions: 'us-east-1' }, config: { aws: { regions: ['eu-west-1'] } } }));
      assert.deepEqual(flag.resources.filter((r) => r.kind === 'aws.region').map((r) => r.id), ['aws:111122223333:us-east-1'], 'the flag beats posture.yaml');
    } finally {
      await stop();
    }
  });

  it('says so when no region is configured anywhere', async () => {
    const { stop } = await withFake();
    const restore = withEnv({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined });
    try {
      const output = await collect(testContext({ options: {} }));
      assert.ok(output.notes?.some((n) => n.includes('no AWS region configured')));
      assert.deepEqual(output.resources.filter((r) => r.kind === 'aws.region').map((r) => r.id), ['aws:111122223333:us-east-1']);
    } finally {
      restore();
      await stop();
    }
  });

  it('with --aws-regions all and account:ListRegions denied, records that the enabled regions could not be listed instead of pretending', async () => {
    const { stop } = await withFake({ faults: [{ service: 'account', kind: 'access-denied' }] });
    try {
      const output = await collect(testContext({ options: { awsRegions: 'all' } }));
      const gap = output.gaps?.find((g) => g.attributes.includes('regions'));
      assert.equal(gap?.permission, 'account:ListRegions');
      assert.equal(gap?.resource, 'aws:111122223333');
      assert.deepEqual(output.resources.filter((r) => r.kind === 'aws.region').map((r) => r.id), ['aws:111122223333:us-east-1']);
    } finally {
      await stop();
    }
  });

  it('calls only what the enabled rules need', async () => {
    const { fake, stop } = await withFake();
    try {
      const output = await collect(testContext({ needs: { 'aws.account': ['passwordPolicy'] } }));
      assert.deepEqual(fake.calls.map((c) => `${c.service}.${c.operation}`).sort(), ['iam.GetAccountPasswordPolicy', 'sts.GetCallerIdentity']);
      assert.deepEqual(output.resources.map((r) => r.kind), ['aws.account']);
      fake.calls.length = 0;
      await collect(testContext({ needs: { 'aws.region': ['guardDutyDetectors'], 'aws.iam.role': ['trustedPrincipals'] } }));
      assert.deepEqual([...new Set(fake.calls.map((c) => `${c.service}.${c.operation}`))].sort(), ['guardduty.GetDetector', 'guardduty.ListDetectors', 'iam.GetAccountAuthorizationDetails', 'sts.GetCallerIdentity']);
    } finally {
      await stop();
    }
  });

  it('silences the SDK Node version warning only once a scan builds clients', async () => {
    const restore = withEnv({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined });
    const { stop } = await withFake();
    try {
      assert.equal(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, undefined, 'importing the collector set nothing');
      await collect(testContext({ options: { awsRegions: 'us-east-1' }, needs: { 'aws.account': ['passwordPolicy'] } }));
      assert.equal(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, 'true');
    } finally {
      await stop();
      restore();
    }
  });

  it('validates the AWS options', () => {
    assert.throws(() => awsSettings({ options: { awsRegions: 'us-east-1,mars-1' }, config: {} }), /"mars-1" is not an AWS region/);
    assert.throws(() => awsSettings({ options: { awsRegions: 'all,us-east-1' }, config: {} }), /"all" cannot be combined/);
    assert.throws(() => awsSettings({ options: { awsExternalId: 'x1' }, config: {} }), /needs --aws-role-arn/);
    assert.throws(() => awsSettings({ options: { awsRoleArn: 'arn:aws:iam::111122223333:user/bob' }, config: {} }), /not an IAM role ARN/);
    assert.deepEqual(awsSettings({ options: { awsRegions: ' eu-west-1, us-east-1 ,eu-west-1' }, config: { aws: { profile: 'audit', maxAttempts: 3 } } }), {
      profile: 'audit',
      regions: ['eu-west-1', 'us-east-1'],
      roleSessionName: 'posture',
      maxAttempts: 3,
    });
  });
});
