import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IAM_ACTIONS } from '../../../src/aws/iam-actions.js';
import { PERMISSIONS_MD, readPolicy, renderPermissions } from '../../../scripts/render-permissions.js';
import { calledOperations, collect, testContext, withFake } from './helpers.js';

const SERVICES = new Set(['iam', 'sts', 'cloudtrail', 'guardduty']);

/** The IAM actions the scanning identity needs for a set of operations (`<service>.<Operation>`). */
const actionsFor = (operations: Iterable<string>): string[] => {
  const actions = new Set<string>();
  for (const operation of operations) {
    const entry = IAM_ACTIONS[operation];
    assert.ok(entry, `${operation} is missing from the table in src/aws/iam-actions.ts`);
    if (entry.action && entry.grantedTo !== 'caller') actions.add(entry.action);
  }
  return [...actions].sort();
};

describe('aws-iam least-privilege policy', () => {
  it('docs/permissions.md is rendered from docs/permissions/aws-policy.json (npx tsx scripts/render-permissions.ts)', () => {
    assert.equal(readFileSync(PERMISSIONS_MD, 'utf8'), renderPermissions(readPolicy()));
  });

  it('lists exactly the actions the collector calls', async () => {
    const { fake, stop } = await withFake();
    try {
      // No rule filter: every call the collector can make.
      await collect(testContext({ options: { awsRegions: 'us-east-1,eu-west-1' } }));
      for (const call of fake.calls) calledOperations.add(`${call.service}.${call.operation}`);
    } finally {
      await stop();
    }
    const called = actionsFor([...calledOperations].filter((operation) => SERVICES.has(operation.split('.')[0] as string)));
    const statement = readPolicy().Statement.find((s) => s.Sid === 'PostureAwsIam');
    assert.ok(statement, 'the policy has a PostureAwsIam statement');
    assert.equal(statement.Effect, 'Allow');
    assert.equal(statement.Resource, '*');
    assert.deepEqual([...statement.Action].sort(), called);
  });
});
