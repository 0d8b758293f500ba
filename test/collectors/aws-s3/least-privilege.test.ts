import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { S3_IAM_ACTIONS } from '../../../src/collectors/aws-s3/apis.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { DEMO_AWS_S3, loadFakeS3State } from '../../support/fake-aws/s3.js';
import { ALL_NEEDS, collectS3, s3Context, startS3Fake } from './support.js';

const POLICY = path.join(packageRoot, 'docs', 'permissions', 'aws-policy.json');

/** The actions an IAM policy document allows, from every Allow statement. */
const allowedActions = (file: string): Set<string> => {
  const document = JSON.parse(readFileSync(file, 'utf8')) as { Statement: { Effect: string; Action: string | string[] }[] };
  return new Set(document.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
};

describe('aws-s3 least privilege', () => {
  let called: Set<string>;

  before(async () => {
    // Every API the collector can call: all rules, tags, and no regions in the listing.
    const fake = await startS3Fake({ ...loadFakeS3State(DEMO_AWS_S3), ListBucketsOmitsRegion: true });
    try {
      const facts = await collectS3(s3Context({ needs: (kind) => (kind === 'aws.s3.bucket' ? new Set([...ALL_NEEDS, 'tags']) : new Set()) }));
      assert.equal(facts.sources[0]?.status, 'complete');
      // The fake names each S3 operation by the IAM action that authorises it.
      called = new Set(fake.calls.filter((c) => c.service === 's3' && c.status !== 0).map((c) => `s3:${c.operation}`));
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

  it('is covered by the documented least-privilege policy', function () {
    if (!existsSync(POLICY)) this.skip();
    const documented = allowedActions(POLICY);
    assert.deepEqual([...called].filter((action) => !documented.has(action)).sort(), []);
  });
});
