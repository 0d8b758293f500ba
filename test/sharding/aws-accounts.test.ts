import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { FactsDocument } from '../../src/facts/types.js';
import { awsEnvFor, DEMO_AWS_IAM, startFixtureAws, withEnv, type FixtureFake } from '../support/fake-aws/index.js';
import { demoS3Service } from '../support/fake-aws/s3.js';
import { tempTree } from '../support/temp.js';

const GOOD = '123456789012';
const DENIED = '210987654321';

const config = `aws:
  regions: [us-east-1]
  accounts:
    - id: '${GOOD}'
      roleArn: arn:aws:iam::${GOOD}:role/posture-audit
      externalId: acme-7f3c
    - id: '${DENIED}'
      roleArn: arn:aws:iam::${DENIED}:role/posture-audit
      externalId: not-what-the-trust-policy-says
`;

describe('aws.accounts: several accounts in one scan', function () {
  this.timeout(120_000);
  let fake: FixtureFake;
  let tree: ReturnType<typeof tempTree>;
  let restore: (() => void) | undefined;
  before(async () => {
    // The fake's trust policy accepts one external id: the second account's role refuses the scanner.
    fake = await startFixtureAws({ fixtures: DEMO_AWS_IAM, shiftTimesTo: new Date(), externalId: 'acme-7f3c', extraServices: { s3: demoS3Service() } });
    tree = tempTree({ 'posture.yaml': config, 'tree/README.md': '# x\n' });
    // The AWS SDK reads its endpoint and credentials from the process environment.
    restore = withEnv(awsEnvFor(fake.url));
  });
  after(async () => {
    restore?.();
    await fake?.close();
    tree?.cleanup();
  });

  const collect = async (extra: string[] = []): Promise<{ code: number; facts: FactsDocument }> => {
    const out = path.join(tree.dir, `facts-${extra.length}.json`);
    const code = await main(['collect', 'tree', '--sources', 'aws-iam,aws-s3', '--log-level', 'silent', '--out', out, ...extra], process.env, tree.dir);
    return { code, facts: code === 0 ? (JSON.parse(readFileSync(out, 'utf8')) as FactsDocument) : ({} as FactsDocument) };
  };

  it("assumes each account's role; an account whose role is refused is a coverage gap naming sts:AssumeRole, not a failed source", async () => {
    const { code, facts } = await collect();
    assert.equal(code, 0);
    const roles = fake.sts.assumed.map((a) => `${a.roleArn} ${a.externalId ?? ''}`);
    assert.ok(roles.includes(`arn:aws:iam::${GOOD}:role/posture-audit acme-7f3c`), roles.join('\n'));
    for (const id of ['aws-iam', 'aws-s3']) {
      const source = facts.sources.find((s) => s.id === id);
      assert.equal(source?.status, 'partial', `${id}: ${source?.reason ?? ''}`);
      const gap = source?.gaps.find((g) => g.resource === `aws:${DENIED}`);
      assert.ok(gap, `${id} records the refused account: ${JSON.stringify(source?.gaps)}`);
      assert.deepEqual(gap.attributes, ['*']);
      assert.equal(gap.permission, 'sts:AssumeRole');
      assert.match(source?.notes.join('\n') ?? '', new RegExp(`account ${DENIED} could not be read`));
    }
    assert.ok(facts.resources.length > 5);
    assert.ok(facts.resources.every((r) => r.scope?.account === GOOD), 'every resource carries its account id');
    assert.ok(facts.resources.some((r) => r.id === `aws:${GOOD}` && r.kind === 'aws.account'));
    assert.ok(facts.resources.some((r) => r.kind === 'aws.s3.bucket'));
  });

  it('--aws-role-arn scans that one role instead of the list', async () => {
    const before = fake.sts.assumed.length;
    const { code, facts } = await collect(['--aws-role-arn', `arn:aws:iam::${GOOD}:role/posture-audit`, '--aws-external-id', 'acme-7f3c']);
    assert.equal(code, 0);
    assert.ok(fake.sts.assumed.slice(before).every((a) => a.roleArn === `arn:aws:iam::${GOOD}:role/posture-audit`));
    assert.deepEqual(facts.sources.map((s) => s.status), ['complete', 'complete']);
  });
});
