import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { IAM_ACTIONS } from '../../../src/aws/iam-actions.js';
import { S3_IAM_ACTIONS } from '../../../src/collectors/aws-s3/apis.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { DEMO_AWS_S3, loadFakeS3State } from '../../support/fake-aws/s3.js';
import { ALL_NEEDS, collectS3, s3Context, startS3Fake } from './support.js';

const POLICY = path.join(packageRoot, 'docs', 'permissions', 'aws-policy.json');

type Statement = { Sid: string; Effect: string; Action: string[]; Resource: string };

describe('aws-s3 least privilege', () => {
  let called: Set<string>;
  let recorded: string[];

  before(async () => {
    // Every API the collector can call: all rules, tags, and no regions in the listing.
    const fake = await startS3Fake({ ...loadFakeS3State(DEMO_AWS_S3), ListBucketsOmitsRegion: true });
    try {
      const facts = await collectS3(s3Context({ needs: (kind) => (kind === 'aws.s3.bucket' ? new Set([...ALL_NEEDS, 'tags']) : new Set()) }));
      assert.equal(facts.sources[0]?.status, 'complete');
      // The fake names each S3 operation by the IAM action that authorises it.
      called = new Set(fake.calls.filter((c) => c.service === 's3' && c.status !== 0).map((c) => `s3:${c.operation}`));
      recorded = Object.keys(facts.sources[0]?.calls.byApi ?? {});
    } finally {
      await fake.close();
    }
  });

  it('calls exactly the actions the collector documents for its operations', () => {
    assert.deepEqual([...called].sort(), [...new Set(Object.values(S3_IAM_ACTIONS))].sort());
  });

  it('uses only read actions', () => {
    assert.deepEqual([...called].filter((action) => !/^s3:(Get|List)/.test(action)), []);
  });

  it('records each call under an operation whose action the shared table names the same way', () => {
    for (const api of recorded) {
      if (api === 'sts.GetCallerIdentity') continue;
      assert.equal(IAM_ACTIONS[api]?.action, S3_IAM_ACTIONS[api], api);
    }
    assert.deepEqual(recorded.filter((api) => api.startsWith('s3')).sort(), Object.keys(S3_IAM_ACTIONS).sort());
  });

  it('matches the PostureAwsS3 statement of the documented least-privilege policy exactly', () => {
    assert.ok(existsSync(POLICY), 'docs/permissions/aws-policy.json is missing');
    const statement = (JSON.parse(readFileSync(POLICY, 'utf8')) as { Statement: Statement[] }).Statement.find((s) => s.Sid === 'PostureAwsS3');
    assert.ok(statement, 'the policy has no PostureAwsS3 statement');
    assert.equal(statement.Effect, 'Allow');
    assert.equal(statement.Resource, '*');
    assert.deepEqual([...statement.Action].sort(), [...called].sort());
  });
});
