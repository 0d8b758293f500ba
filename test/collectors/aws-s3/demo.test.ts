import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../src/util/package-root.js';
import { startDemoAws, withEnv } from '../../support/fake-aws/index.js';
import { DEMO_AWS_S3, loadFakeS3State } from '../../support/fake-aws/s3.js';
import { assertValidFacts, collectS3, evaluateS3, startS3Fake, statusTable, type S3Fake } from './support.js';

const EXPECTED = JSON.parse(readFileSync(path.join(packageRoot, 'fixtures', 'demo', 'aws', 's3', 'expected-statuses.json'), 'utf8')) as Record<string, Record<string, string>>;

describe('aws-s3 on the demo estate', () => {
  let fake: S3Fake;
  before(async () => {
    fake = await startS3Fake(loadFakeS3State(DEMO_AWS_S3));
  });
  after(async () => fake.close());

  it('gives each seeded bucket the right status for every rule, and nothing unknown', async () => {
    const facts = await collectS3();
    assertValidFacts(facts);
    assert.equal(facts.sources[0]?.status, 'complete', JSON.stringify(facts.sources[0]?.gaps));
    assert.deepEqual(statusTable(evaluateS3(facts)), EXPECTED);
  });

  it('records "public, but blocked" for a grant that IgnorePublicAcls neutralises', async () => {
    const facts = await collectS3();
    const legacy = facts.resources.find((r) => r.name === 'acme-rockets-legacy-uploads');
    assert.deepEqual(legacy?.attributes.publicAclGrants, [{ grantee: 'AuthenticatedUsers', permission: 'WRITE', blocked: true, blockedBy: 'IgnorePublicAcls on the bucket' }]);
    assert.equal(legacy?.attributes.public, false);
    const website = facts.resources.find((r) => r.name === 'acme-rockets-public-website');
    assert.equal(website?.attributes.public, true);
  });

  it('is served by the demo\'s fake AWS endpoint, next to IAM', async () => {
    const demo = await startDemoAws();
    const restore = withEnv(demo.env);
    try {
      const facts = await collectS3();
      assert.equal(facts.sources[0]?.status, 'complete');
      assert.equal(facts.resources.length, Object.keys(EXPECTED).length);
      assert.ok(facts.resources.every((r) => r.scope?.account === '123456789012'));
    } finally {
      restore();
      await demo.close();
    }
  });
});
