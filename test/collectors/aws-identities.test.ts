import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createScanIdentities, type AwsIdentities, type AwsPrincipal } from '../../src/aws/identities.js';
import { createAwsSession } from '../../src/aws/session.js';
import { main } from '../../src/cli/main.js';
import { createAwsS3Collector } from '../../src/collectors/aws-s3/index.js';
import { runCollectors } from '../../src/collectors/run.js';
import type { PostureConfig } from '../../src/config/types.js';
import { createCallRecorder } from '../../src/collectors/types.js';
import type { ResultDocument } from '../../src/engine/types.js';
import type { FactsDocument } from '../../src/facts/types.js';
import { createRedactor } from '../../src/util/redact.js';
import { DEMO_AWS_IAM, withFakeAwsEnv } from '../support/fake-aws/index.js';
import { startOrganizationAws, type OrganizationFake } from '../support/fake-aws/organizations.js';
import type { Fault } from '../support/fake-aws/server.js';
import { queryParams } from '../support/fake-aws/wire.js';
import { tempTree } from '../support/temp.js';
import { FAST, testContext } from './aws-iam/helpers.js';

const FIRST = '111111111111';
const SECOND = '222222222222';
const REFUSED = '333333333333';
const roleOf = (account: string): string => `arn:aws:iam::${account}:role/posture-audit`;

/** Two readable accounts and one whose trust policy refuses the external id posture gives. */
const POSTURE_YAML = `aws:
  regions: [us-east-1]
  accounts:
    - id: '${FIRST}'
      roleArn: ${roleOf(FIRST)}
      externalId: acme-7f3c
    - id: '${SECOND}'
      roleArn: ${roleOf(SECOND)}
      externalId: acme-7f3c
    - id: '${REFUSED}'
      roleArn: ${roleOf(REFUSED)}
      externalId: not-what-the-trust-policy-says
`;

describe('AWS identities: each role assumed once and each caller identity asked once per scan, for aws-iam and aws-s3', function () {
  this.timeout(180_000);
  let fake: OrganizationFake;
  let tree: ReturnType<typeof tempTree>;
  let restore: (() => void) | undefined;
  /** The RoleArn of every AssumeRole request that reached the fake, refused or not. */
  const asked: string[] = [];

  before(async () => {
    // Each account reached through its role is served its own copy of the demo estate, S3 included.
    fake = await startOrganizationAws({ fixtures: DEMO_AWS_IAM, shiftTimesTo: new Date(), accounts: [], externalId: 'acme-7f3c', s3: true });
    // The fake's log does not keep request bodies: this fault records the roles asked for and never strikes.
    const recorder: Fault = {
      kind: 'access-denied',
      match: (request) => {
        if (request.service === 'sts' && queryParams(request).get('Action') === 'AssumeRole') asked.push(queryParams(request).get('RoleArn') ?? '');
        return false;
      },
    };
    fake.faults.push(recorder);
    tree = tempTree({ 'posture.yaml': POSTURE_YAML, 'tree/README.md': '# x\n' });
    // The AWS SDK reads its endpoint and credentials from the process environment.
    restore = withFakeAwsEnv(fake.url);
  });
  after(async () => {
    restore?.();
    await fake?.close();
    tree?.cleanup();
  });

  it('a scan of aws-iam and aws-s3 over three accounts: one AssumeRole and one GetCallerIdentity per account, recorded once; the refused role is a gap in both sources', async () => {
    asked.length = 0;
    const calls = fake.calls.length;
    const assumed = fake.sts.assumed.length;
    const out = path.join(tree.dir, 'out');
    const code = await main(['scan', 'tree', '--sources', 'aws-iam,aws-s3', '--format', 'json', '--fail-on', 'none', '--log-level', 'silent', '--out', out], process.env, tree.dir);
    assert.equal(code, 0);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as ResultDocument;
    const log = fake.calls.slice(calls);

    // At the fake: one AssumeRole per account, the refused one included.
    assert.deepEqual([...asked].sort(), [FIRST, SECOND, REFUSED].map(roleOf), 'one AssumeRole request per account');
    assert.equal(log.filter((c) => c.service === 'sts' && c.operation === 'AssumeRole').length, 3);
    const roles = fake.sts.assumed.slice(assumed);
    assert.deepEqual(roles.map((r) => r.roleArn).sort(), [FIRST, SECOND].map(roleOf), 'credentials handed out once per readable account');
    // One GetCallerIdentity per readable account, signed with that account's one set of credentials.
    const accountOfKey = new Map(roles.map((r) => [r.accessKeyId, /::(\d{12}):/.exec(r.roleArn)?.[1]]));
    const identities = log.filter((c) => c.service === 'sts' && c.operation === 'GetCallerIdentity');
    assert.deepEqual(identities.map((c) => accountOfKey.get(c.accessKeyId ?? '')).sort(), [FIRST, SECOND]);
    // Both collectors' threads signed with those same credentials: nothing else was assumed, nor read with the caller's keys.
    const read = log.filter((c) => c.service !== 'sts');
    assert.ok(read.some((c) => c.service === 'iam') && read.some((c) => c.service === 's3'), 'both sources read the accounts');
    assert.deepEqual([...new Set(read.map((c) => accountOfKey.get(c.accessKeyId ?? '')))].sort(), [FIRST, SECOND]);

    // result.json: each STS call counted once, by whichever source made it; the sums are the fake's.
    const sources = result.coverage.sources;
    assert.deepEqual(sources.map((s) => s.id), ['aws-iam', 'aws-s3']);
    const sum = (api: string, field: 'calls' | 'errors'): number => sources.reduce((total, s) => total + (s.calls.byApi[api]?.[field] ?? 0), 0);
    assert.equal(sum('sts.AssumeRole', 'calls'), 3, JSON.stringify(sources.map((s) => s.calls.byApi)));
    assert.equal(sum('sts.AssumeRole', 'errors'), 1, 'the refused role');
    // The refused account's identity was asked for once too, and failed for want of credentials before any request.
    assert.equal(sum('sts.GetCallerIdentity', 'calls'), 3);
    assert.equal(sum('sts.GetCallerIdentity', 'errors'), 1);
    // A source that used the other's STS answers says so, and whose calls count them.
    for (const source of sources) {
      const other = source.id === 'aws-iam' ? 'aws-s3' : 'aws-iam';
      const own = (source.calls.byApi['sts.AssumeRole']?.calls ?? 0) + (source.calls.byApi['sts.GetCallerIdentity']?.calls ?? 0);
      if (own < 6) assert.ok(source.notes.some((n) => n.startsWith('sts:') && n.includes(`by ${other}, whose answers this source used`)), `${source.id}: ${source.notes.join('\n')}`);
    }

    // The refused role: a gap on its account naming sts:AssumeRole, in both sources.
    for (const source of sources) {
      assert.equal(source.status, 'partial', `${source.id}: ${source.reason ?? ''}`);
      const gaps = source.gaps.filter((g) => g.permission === 'sts:AssumeRole');
      assert.deepEqual(gaps.map((g) => [g.resource, g.attributes]), [[`aws:${REFUSED}`, ['*']]], `${source.id}: ${JSON.stringify(source.gaps)}`);
      assert.match(source.notes.join('\n'), new RegExp(`account ${REFUSED} could not be read: .*${roleOf(REFUSED)}`));
    }
    assert.ok(result.findings.some((f) => f.resource.id.includes(FIRST)) && result.findings.some((f) => f.resource.id.includes(SECOND)));
    assert.ok(!result.findings.some((f) => f.resource.id.includes(REFUSED)), 'nothing of the refused account');
  });

  it('the facts of one collection agree: `posture collect` makes the same STS calls', async () => {
    asked.length = 0;
    const calls = fake.calls.length;
    const out = path.join(tree.dir, 'facts.json');
    const code = await main(['collect', 'tree', '--sources', 'aws-iam,aws-s3', '--log-level', 'silent', '--out', out], process.env, tree.dir);
    assert.equal(code, 0);
    const facts = JSON.parse(readFileSync(out, 'utf8')) as FactsDocument;
    const sts = fake.calls.slice(calls).filter((c) => c.service === 'sts');
    assert.deepEqual(sts.map((c) => c.operation).sort(), ['AssumeRole', 'AssumeRole', 'AssumeRole', 'GetCallerIdentity', 'GetCallerIdentity']);
    assert.deepEqual([...asked].sort(), [FIRST, SECOND, REFUSED].map(roleOf));
    const recorded = facts.sources.reduce((total, s) => total + (s.calls.byApi['sts.AssumeRole']?.calls ?? 0), 0);
    assert.equal(recorded, 3);
  });

  it('in process, aws-s3 alone and needing no account id: no GetCallerIdentity at all; the refused role still fails its first call as a gap naming sts:AssumeRole', async () => {
    asked.length = 0;
    const calls = fake.calls.length;
    const ctx = testContext({ config: parse(POSTURE_YAML) as PostureConfig, options: {}, needs: { 'aws.s3.bucket': ['defaultEncryption'] } });
    const { calls: _calls, logLines: _lines, ...context } = ctx;
    const facts = await runCollectors({ collectors: [createAwsS3Collector({ tuning: FAST })], context, tool: { name: 'posture', version: 'test' }, targets: { path: '.', treeId: 'test' } });
    const sts = fake.calls.slice(calls).filter((c) => c.service === 'sts');
    assert.deepEqual(sts.map((c) => c.operation), ['AssumeRole', 'AssumeRole', 'AssumeRole']);
    assert.deepEqual([...asked].sort(), [FIRST, SECOND, REFUSED].map(roleOf));
    const [source] = facts.sources;
    assert.equal(source?.status, 'partial', source?.reason);
    assert.deepEqual(Object.keys(source?.calls.byApi ?? {}).filter((api) => api.startsWith('sts.')), ['sts.AssumeRole']);
    assert.equal(source?.calls.byApi['sts.AssumeRole']?.calls, 3);
    assert.deepEqual(source?.gaps.filter((g) => g.permission === 'sts:AssumeRole').map((g) => g.resource), [`aws:${REFUSED}`]);
    assert.deepEqual([...new Set(facts.resources.map((r) => r.scope?.account))].sort(), [FIRST, SECOND]);
  });

  describe('the broker', () => {
    const principal = (account: string, externalId = 'acme-7f3c'): AwsPrincipal => ({ roleArn: roleOf(account), externalId, roleSessionName: 'posture', maxAttempts: 2, region: 'us-east-1' });
    const payer = () => ({ calls: createCallRecorder(), limits: { timeoutMs: 5000, concurrency: (_service: string, fallback: number) => fallback, maxFileBytes: 1024 }, signal: new AbortController().signal, redactor: createRedactor({}) });

    it('credentials are reused until they near their expiry, then assumed afresh, by whichever collector asks', async () => {
      let clock = Date.now();
      const identities = createScanIdentities({ now: () => clock });
      const [iam, s3] = [payer(), payer()];
      const before = fake.sts.assumed.length;
      const first = await identities.for('aws-iam', iam).credentials(principal(FIRST));
      assert.ok(first.ok);
      // Half an hour into the hour the fake's credentials last: the same ones.
      clock += 30 * 60_000;
      const again = await identities.for('aws-s3', s3).credentials(principal(FIRST));
      assert.deepEqual(again, first);
      assert.equal(fake.sts.assumed.length - before, 1);
      // Four minutes before they expire: assumed again, by the collector that asked, and counted on its calls.
      clock = Date.parse(first.value.expiration ?? '') - 4 * 60_000;
      const fresh = await identities.for('aws-s3', s3).credentials(principal(FIRST));
      assert.ok(fresh.ok);
      assert.notEqual(fresh.value.accessKeyId, first.value.accessKeyId);
      assert.equal(fake.sts.assumed.length - before, 2);
      assert.deepEqual([iam.calls.snapshot().byApi['sts.AssumeRole']?.calls, s3.calls.snapshot().byApi['sts.AssumeRole']?.calls], [1, 1]);
      assert.deepEqual(identities.notesFor('aws-s3'), ['sts:AssumeRole: 1 role assumed by aws-iam, whose answers this source used: the calls are counted there']);
      assert.deepEqual(identities.notesFor('aws-iam'), []);
    });

    it('a role asked for at once by both collectors is assumed once; a refused one is refused once, for both', async () => {
      const identities = createScanIdentities();
      const [iam, s3] = [payer(), payer()];
      asked.length = 0;
      const [a, b, c, d] = await Promise.all([
        identities.for('aws-iam', iam).credentials(principal(SECOND)),
        identities.for('aws-s3', s3).credentials(principal(SECOND)),
        identities.for('aws-iam', iam).credentials(principal(REFUSED, 'wrong-id')),
        identities.for('aws-s3', s3).credentials(principal(REFUSED, 'wrong-id')),
      ]);
      assert.deepEqual(a, b);
      assert.ok(!c.ok && !d.ok);
      assert.equal(c.failure.permission, 'sts:AssumeRole');
      assert.match(c.failure.message, /sts:AssumeRole/);
      assert.deepEqual([...asked].sort(), [SECOND, REFUSED].map(roleOf));
      assert.equal(iam.calls.snapshot().total + s3.calls.snapshot().total, 2);
    });

    it("a collector's session asks for the credentials again when they near their expiry, and not before", async () => {
      const asks: number[] = [];
      const brokered = (lifetimeMs: number): AwsIdentities => ({
        credentials: async () => {
          asks.push(lifetimeMs);
          // The caller's own keys stand in for a role's: the fake answers GetCallerIdentity for them.
          return { ok: true, value: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', expiration: new Date(Date.now() + lifetimeMs).toISOString() } };
        },
        callerIdentity: () => Promise.reject(new Error('not asked here')),
        enabledRegions: () => Promise.reject(new Error('not asked here')),
      });
      for (const lifetimeMs of [60 * 60_000, 60_000]) {
        const session = createAwsSession({ ...payer(), awsIdentities: brokered(lifetimeMs) }, { roleArn: roleOf(FIRST), roleSessionName: 'posture', maxAttempts: 1 }, 'us-east-1');
        try {
          const sts = session.client(STSClient, 'sts', 'us-east-1');
          for (let i = 0; i < 3; i++) assert.ok((await session.call('sts', 'GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})))).ok);
        } finally {
          session.destroy();
        }
      }
      // An hour's credentials serve the three calls; a minute's are asked for again before each (the SDK may ask more than once a call).
      assert.equal(asks.filter((ms) => ms === 60 * 60_000).length, 1);
      assert.ok(asks.filter((ms) => ms === 60_000).length >= 3, JSON.stringify(asks));
    });

    it("registers the credentials with the scan's redactor, so that no output shows them", async () => {
      const identities = createScanIdentities();
      const ctx = payer();
      const outcome = await identities.for('aws-iam', ctx).credentials(principal(FIRST));
      assert.ok(outcome.ok && outcome.value.sessionToken);
      const line = `token ${outcome.value.sessionToken}`;
      assert.equal(ctx.redactor.redact(line), `token ${ctx.redactor.marker(outcome.value.sessionToken, 'aws-session-token')}`);
    });
  });
});
