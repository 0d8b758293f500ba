import assert from 'node:assert/strict';
import { AccountClient } from '@aws-sdk/client-account';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { createAwsIamCollector } from '../../src/collectors/aws-iam/index.js';
import { createAwsS3Collector } from '../../src/collectors/aws-s3/index.js';
import { runCollectors } from '../../src/collectors/run.js';
import { shardOfUnit } from '../../src/collectors/shard.js';
import type { ResultDocument } from '../../src/engine/types.js';
import type { FactsDocument, Resource } from '../../src/facts/types.js';
import { accountRegions, DEFAULT_REGIONS } from '../support/fake-aws/account.js';
import { DEMO_AWS_IAM, ESTATE_REGIONS, startFixtureAws, withFakeAwsEnv, type FixtureFakeOptions } from '../support/fake-aws/index.js';
import { demoS3Service } from '../support/fake-aws/s3.js';
import { startOrganizationAws, type OrganizationFake } from '../support/fake-aws/organizations.js';
import { runInProcess } from '../support/cli.js';
import { tempTree } from '../support/temp.js';
import { collect, FAST, kindProblems, testContext, withFake } from './aws-iam/helpers.js';

const FIRST = '111111111111';
const SECOND = '222222222222';
const roleOf = (account: string): string => `arn:aws:iam::${account}:role/posture-audit`;

/** The estate's enabled regions: the default ones and eu-south-1; me-central-1 is still being enabled, the other opt-in regions are disabled. */
const ESTATE_ENABLED = [...DEFAULT_REGIONS, 'eu-south-1'].sort();
/**
 * The second account: a trimmed estate with us-east-1, eu-west-1 and the opt-in af-south-1. Its
 * other buckets (us-east-2, us-west-2, eu-central-1) stand for buckets left in a region since
 * disabled.
 */
const SECOND_REGIONS = accountRegions({ only: ['us-east-1', 'eu-west-1'], enabled: ['af-south-1'] });
const SECOND_ENABLED = ['af-south-1', 'eu-west-1', 'us-east-1'];

const regionIds = (resources: Resource[], account: string): string[] =>
  resources
    .filter((r) => r.kind === 'aws.region' && r.scope?.account === account)
    .map((r) => r.scope?.region ?? '')
    .sort();

describe('--aws-regions all: the regions enabled in each account (account:ListRegions)', function () {
  this.timeout(180_000);

  describe('two accounts of aws.accounts, aws-iam and aws-s3, through `posture scan`', () => {
    let fake: OrganizationFake;
    let tree: ReturnType<typeof tempTree>;
    let restore: (() => void) | undefined;
    before(async () => {
      // Ten regions a page: the first account's 18 enabled regions take two pages, the second's three one.
      fake = await startOrganizationAws({ fixtures: DEMO_AWS_IAM, shiftTimesTo: new Date(), accounts: [], s3: true, regions: { [FIRST]: ESTATE_REGIONS, [SECOND]: SECOND_REGIONS }, regionsPageSize: 10 });
      tree = tempTree({
        'posture.yaml': `aws:\n  regions: [all]\n  accounts:\n    - id: '${FIRST}'\n      roleArn: ${roleOf(FIRST)}\n    - id: '${SECOND}'\n      roleArn: ${roleOf(SECOND)}\n`,
        'tree/README.md': '# x\n',
      });
      restore = withFakeAwsEnv(fake.url);
    });
    after(async () => {
      restore?.();
      await fake?.close();
      tree?.cleanup();
    });

    it("each account's regions and buckets come from exactly its enabled regions; ListRegions is listed once per account, through its role, and counted once", async () => {
      const out = path.join(tree.dir, 'out');
      const calls = fake.calls.length;
      const code = await main(['scan', 'tree', '--sources', 'aws-iam,aws-s3', '--format', 'json', '--fail-on', 'none', '--log-level', 'silent', '--out', out], process.env, tree.dir);
      assert.equal(code, 0);
      const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as ResultDocument;
      const facts = JSON.parse(readFileSync(path.join(out, 'facts.json'), 'utf8')) as FactsDocument;

      // CloudTrail and GuardDuty: one aws.region per enabled region, none for ENABLING or DISABLED ones.
      assert.deepEqual(regionIds(facts.resources, FIRST), ESTATE_ENABLED);
      assert.deepEqual(regionIds(facts.resources, SECOND), SECOND_ENABLED);
      const account = (id: string) => facts.resources.find((r) => r.id === `aws:${id}`);
      assert.deepEqual(account(FIRST)?.attributes.regions, ESTATE_ENABLED);
      assert.deepEqual(account(SECOND)?.attributes.regions, SECOND_ENABLED);
      assert.deepEqual(kindProblems(facts.resources.filter((r) => r.kind === 'aws.account' || r.kind === 'aws.region')), []);
      // The regional calls went to those regions only.
      const log = fake.calls.slice(calls);
      const keyAccount = new Map(fake.sts.assumed.map((a) => [a.accessKeyId, /::(\d{12}):/.exec(a.roleArn)?.[1]]));
      const regionsCalled = (account: string): string[] =>
        [...new Set(log.filter((c) => (c.service === 'cloudtrail' || c.service === 'guardduty') && keyAccount.get(c.accessKeyId ?? '') === account).map((c) => c.region))].sort();
      assert.deepEqual(regionsCalled(FIRST), ESTATE_ENABLED);
      assert.deepEqual(regionsCalled(SECOND), SECOND_ENABLED);

      // Buckets: the first account's nine are all examined; of the second's, those in its enabled regions only.
      const bucketRegions = (account: string): string[] => facts.resources.filter((r) => r.kind === 'aws.s3.bucket' && r.scope?.account === account).map((r) => r.scope?.region ?? '');
      assert.equal(bucketRegions(FIRST).length, 9);
      assert.deepEqual([...new Set(bucketRegions(SECOND))].sort(), ['eu-west-1', 'us-east-1']);
      assert.equal(bucketRegions(SECOND).length, 6);
      const s3 = facts.sources.find((s) => s.id === 'aws-s3');
      assert.ok(s3?.notes.some((n) => n === `account ${SECOND}: 3 bucket(s) in regions not enabled in the account (account:ListRegions) were not examined`), JSON.stringify(s3?.notes));
      // Not enabled is not failing: no gap, and no S3 call to those regions.
      assert.ok(!facts.sources.some((s) => s.gaps.some((g) => /ListRegions|af-south-1|us-east-2|us-west-2|eu-central-1/.test(JSON.stringify(g)))), JSON.stringify(facts.sources.map((s) => s.gaps)));
      assert.ok(!log.some((c) => c.service === 's3' && keyAccount.get(c.accessKeyId ?? '') === SECOND && ['us-east-2', 'us-west-2', 'eu-central-1'].includes(c.region)));

      // At the fake: one listing per account (two pages for the first), each signed with that account's role.
      assert.deepEqual(fake.accountApis.get(FIRST)?.requests.map((r) => Boolean(r.nextToken)), [false, true]);
      assert.deepEqual(fake.accountApis.get(SECOND)?.requests.map((r) => Boolean(r.nextToken)), [false]);
      for (const api of fake.accountApis.values()) {
        assert.ok(api.requests.every((r) => r.maxResults === 50 && JSON.stringify(r.statuses) === '["ENABLED","ENABLED_BY_DEFAULT"]'), JSON.stringify(api.requests));
      }
      const listings = log.filter((c) => c.service === 'account');
      assert.deepEqual(listings.map((c) => keyAccount.get(c.accessKeyId ?? '')).sort(), [FIRST, FIRST, SECOND]);
      assert.ok(listings.every((c) => c.operation === 'ListRegions' && c.status === 200));

      // result.json: the three pages counted once, by whichever source asked first; the other says whose answers it used.
      const sources = result.coverage.sources;
      const counted = sources.map((s) => s.calls.byApi['account.ListRegions']?.calls ?? 0);
      assert.equal(counted.reduce((a, b) => a + b, 0), 3, JSON.stringify(sources.map((s) => s.calls.byApi)));
      assert.ok(sources.every((s) => (s.calls.byApi['account.ListRegions']?.errors ?? 0) === 0));
      // Both sources used both accounts' lists: a source that did not pay for all three pages says whose answers it used.
      for (const [i, source] of sources.entries()) {
        if ((counted[i] ?? 0) === 3) continue;
        assert.ok(source.notes.some((n) => /^account:ListRegions: the enabled regions of [12] accounts? listed by aws-(iam|s3), whose answers this source used/.test(n)), `${source.id}: ${JSON.stringify(source.notes)}`);
      }
      // Findings stand for every enabled region, and for none other.
      const guardduty = result.findings.filter((f) => f.ruleId === 'guardduty-enabled').map((f) => f.resource.id).sort();
      assert.deepEqual(guardduty, [...ESTATE_ENABLED.map((r) => `aws:${FIRST}:${r}`), ...SECOND_ENABLED.map((r) => `aws:${SECOND}:${r}`)].sort());
    });
  });

  it("the Account API is global: whatever region its client is built for, the SDK's rules send it to the partition's global endpoint", () => {
    const client = new AccountClient({ region: 'eu-west-1' });
    try {
      const resolve = (region: string) => {
        const endpoint = client.config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false });
        return [endpoint.url.href, (endpoint.properties?.authSchemes as { signingRegion?: string }[] | undefined)?.[0]?.signingRegion];
      };
      assert.deepEqual(resolve('eu-west-1'), ['https://account.us-east-1.amazonaws.com/', 'us-east-1']);
      assert.deepEqual(resolve('ap-southeast-2'), ['https://account.us-east-1.amazonaws.com/', 'us-east-1']);
      assert.deepEqual(resolve('cn-north-1'), ['https://account.cn-northwest-1.amazonaws.com.cn/', 'cn-northwest-1']);
    } finally {
      client.destroy();
    }
  });

  it('--shard K/N with regions: [all]: each enabled region is a unit of one shard, and the merged shards equal the unsharded collection', async () => {
    const fake = await startOrganizationAws({ fixtures: DEMO_AWS_IAM, shiftTimesTo: new Date(), accounts: [], s3: true, regions: { [FIRST]: ESTATE_REGIONS, [SECOND]: SECOND_REGIONS } });
    const tree = tempTree({
      'posture.yaml': `aws:\n  regions: [all]\n  accounts:\n    - id: '${FIRST}'\n      roleArn: ${roleOf(FIRST)}\n    - id: '${SECOND}'\n      roleArn: ${roleOf(SECOND)}\n`,
      'tree/README.md': '# x\n',
    });
    const restore = withFakeAwsEnv(fake.url);
    try {
      const n = 3;
      const scanTime = new Date().toISOString();
      const files = Array.from({ length: n + 1 }, (_, k) => path.join(tree.dir, `shard-${k}.json`));
      for (let k = 0; k <= n; k++) {
        const args = ['collect', 'tree', '--sources', 'aws-iam,aws-s3', '--scan-time', scanTime, ...(k > 0 ? ['--shard', `${k}/${n}`] : []), '--log-level', 'silent', '--out', files[k] as string];
        assert.equal((await runInProcess(args, process.env, tree.dir)).code, 0, `shard ${k}`);
      }
      const read = (file: string): FactsDocument => JSON.parse(readFileSync(file, 'utf8')) as FactsDocument;
      const shards = files.slice(1).map(read);
      const units = shards.flatMap((shard) => shard.shard?.units ?? []);
      const regionUnits = (account: string): string[] => units.filter((u) => u.startsWith(`aws:${account}:`)).map((u) => u.split(':')[2] ?? '').sort();
      assert.deepEqual(regionUnits(FIRST), ESTATE_ENABLED);
      assert.deepEqual(regionUnits(SECOND), SECOND_ENABLED);
      for (const shard of shards) for (const unit of shard.shard?.units ?? []) assert.equal(shardOfUnit(unit, n), shard.shard?.k, unit);
      const merged = path.join(tree.dir, 'merged.json');
      assert.equal((await runInProcess(['merge', ...files.slice(1), '--out', merged, '--log-level', 'silent'], process.env, tree.dir)).code, 0);
      const resources = (facts: FactsDocument): string[] => facts.resources.map((r) => JSON.stringify(r)).sort();
      const [whole, fromShards] = [read(files[0] as string), read(merged)];
      assert.deepEqual(resources(fromShards), resources(whole));
      assert.equal(whole.resources.filter((r) => r.kind === 'aws.region').length, ESTATE_ENABLED.length + SECOND_ENABLED.length);
    } finally {
      restore();
      await fake.close();
      tree.cleanup();
    }
  });

  describe('aws-s3 alone, the demo account', () => {
    const scanS3 = async (options: Partial<FixtureFakeOptions>) => {
      const fake = await startFixtureAws({ fixtures: DEMO_AWS_IAM, extraServices: { s3: demoS3Service() }, ...options });
      const restore = withFakeAwsEnv(fake.url);
      try {
        const ctx = testContext({ options: { awsRegions: 'all' }, needs: { 'aws.s3.bucket': ['defaultEncryption'] } });
        const { calls: _calls, logLines: _lines, ...context } = ctx;
        const facts = await runCollectors({ collectors: [createAwsS3Collector({ tuning: FAST })], context, tool: { name: 'posture', version: 'test' }, targets: { path: '.', treeId: 'test' } });
        return { facts, fake, source: facts.sources[0] };
      } finally {
        restore();
        await fake.close();
      }
    };
    const bucketRegions = (facts: FactsDocument): string[] => facts.resources.filter((r) => r.kind === 'aws.s3.bucket').map((r) => r.scope?.region ?? '').sort();

    it('examines the buckets of the enabled regions only; the others are left out with a note, not a gap', async () => {
      const { facts, fake, source } = await scanS3({ regions: accountRegions({ only: ['us-east-1', 'eu-west-1'] }) });
      assert.deepEqual(bucketRegions(facts), ['eu-west-1', 'eu-west-1', 'eu-west-1', 'eu-west-1', 'eu-west-1', 'us-east-1']);
      assert.equal(fake.account.requests.length, 1);
      assert.equal(source?.calls.byApi['account.ListRegions']?.calls, 1);
      assert.equal(source?.status, 'complete', JSON.stringify(source?.gaps));
      assert.ok(source?.notes.includes('3 bucket(s) in regions not enabled in the account (account:ListRegions) were not examined'), JSON.stringify(source?.notes));
      // No call went to a region that is not enabled.
      assert.deepEqual([...new Set(fake.calls.filter((c) => c.service === 's3' && c.operation !== 'ListAllMyBuckets').map((c) => c.region))].sort(), ['eu-west-1', 'us-east-1']);
    });

    it('ListRegions denied: every bucket is examined, as without --aws-regions, and a gap names account:ListRegions', async () => {
      const { facts, source } = await scanS3({ regions: accountRegions({ only: ['us-east-1', 'eu-west-1'] }), faults: [{ service: 'account', kind: 'access-denied' }] });
      assert.equal(bucketRegions(facts).length, 9);
      // No enabled rule needs the account id here, so none was asked: the gap is on the account the credentials reach, `aws`.
      assert.deepEqual(source?.gaps.map((g) => `${g.resource} ${g.attributes.join(',')} ${g.reason} ${g.permission}`), ['aws regions AccessDenied account:ListRegions']);
      assert.ok(source?.notes.some((n) => n.includes('the enabled regions could not be listed') && n.includes('every bucket was examined')), JSON.stringify(source?.notes));
      assert.equal(source?.calls.byApi['account.ListRegions']?.errors, 1);
    });
  });

  describe('aws-iam alone, one account', () => {
    it('pages through ListRegions and checks every enabled region, none other', async () => {
      const { fake, stop } = await withFake({ regionsPageSize: 7 });
      try {
        const ctx = testContext({ options: { awsRegions: 'all' }, needs: { 'aws.region': ['guardDutyDetectors'] } });
        const output = await collect(ctx);
        assert.deepEqual(regionIds(output.resources, '111122223333'), ESTATE_ENABLED);
        // 18 enabled regions at seven a page: three pages, the later ones with the token the earlier gave.
        assert.equal(fake.account.requests.length, 3);
        assert.deepEqual(fake.account.requests.map((r) => r.nextToken === undefined), [true, false, false]);
        assert.equal(ctx.calls.snapshot().byApi['account.ListRegions']?.calls, 3);
        assert.deepEqual(output.gaps, []);
        assert.ok(output.notes?.some((n) => n.startsWith('--aws-regions all: 18 enabled regions (account:ListRegions)')), JSON.stringify(output.notes));
        assert.deepEqual([...new Set(fake.calls.filter((c) => c.service === 'guardduty').map((c) => c.region))].sort(), ESTATE_ENABLED);
      } finally {
        await stop();
      }
    });

    it('aws.regions: [all] in posture.yaml does the same; a region list is not listed at all', async () => {
      const { fake, stop } = await withFake();
      try {
        const output = await collect(testContext({ options: {}, config: { aws: { regions: ['all'] } }, needs: { 'aws.region': ['trails'] } }));
        assert.deepEqual(regionIds(output.resources, '111122223333'), ESTATE_ENABLED);
        assert.equal(fake.account.requests.length, 1);
        await collect(testContext({ options: { awsRegions: 'eu-west-1' }, config: { aws: { regions: ['all'] } }, needs: { 'aws.region': ['trails'] } }));
        assert.equal(fake.account.requests.length, 1, 'the flag names the regions: nothing to list');
      } finally {
        await stop();
      }
    });

    it('a throttled ListRegions is retried by the SDK and recorded as one call with its throttles', async () => {
      const { fake, stop } = await withFake({ faults: [{ service: 'account', kind: 'throttle', times: 2 }] });
      try {
        const ctx = testContext({ options: { awsRegions: 'all' }, needs: { 'aws.region': ['trails'] } });
        const output = await collect(ctx);
        assert.deepEqual(regionIds(output.resources, '111122223333'), ESTATE_ENABLED);
        assert.deepEqual(fake.calls.filter((c) => c.service === 'account').map((c) => [c.status, c.attempt]), [[429, 1], [429, 2], [200, 3]]);
        assert.deepEqual(ctx.calls.snapshot().byApi['account.ListRegions'], { ...ctx.calls.snapshot().byApi['account.ListRegions'], calls: 1, retries: 2, throttles: 2, errors: 0 });
      } finally {
        await stop();
      }
    });

    for (const { fault, reason } of [
      { fault: 'access-denied' as const, reason: 'AccessDenied' },
      { fault: 'server-error' as const, reason: 'ServiceError' },
    ]) {
      it(`ListRegions failing (${fault}): the SDK's region only, the account's regions unknown, a gap naming account:ListRegions`, async () => {
        const { fake, stop } = await withFake({ faults: [{ service: 'account', kind: fault }] });
        try {
          const ctx = testContext({ options: { awsRegions: 'all' } });
          const { calls: _calls, logLines: _lines, ...context } = ctx;
          const facts = await runCollectors({ collectors: [createAwsIamCollector(FAST)], context, tool: { name: 'posture', version: 'test' }, targets: { path: '.', treeId: 'test' } });
          const [source] = facts.sources;
          assert.equal(source?.status, 'partial');
          const gaps = source?.gaps.filter((g) => g.permission === 'account:ListRegions') ?? [];
          assert.deepEqual(gaps.map((g) => `${g.resource} ${g.attributes.join(',')}`), ['aws:111122223333 regions']);
          assert.match(gaps[0]?.reason ?? '', new RegExp(`^${reason}`));
          assert.deepEqual(regionIds(facts.resources, '111122223333'), ['us-east-1'], 'AWS_REGION, as without --aws-regions');
          const account = facts.resources.find((r) => r.kind === 'aws.account');
          assert.deepEqual((account?.attributes.regions as { $unknown: { reason: string; permission?: string } }).$unknown.permission, 'account:ListRegions');
          assert.equal((account?.attributes.regions as { $unknown: { reason: string } }).$unknown.reason, reason);
          assert.deepEqual(kindProblems(facts.resources.filter((r) => r.kind === 'aws.account')), []);
          assert.ok(source?.notes.some((n) => n.includes('the enabled regions could not be listed') && n.includes('checked us-east-1 only')), JSON.stringify(source?.notes));
          // Denied: one attempt; a server error: the SDK's retries, recorded as one call with its retries.
          const byApi = source?.calls.byApi['account.ListRegions'];
          assert.equal(byApi?.calls, 1);
          assert.equal(byApi?.errors, 1);
          const attempts = fake.calls.filter((c) => c.service === 'account').length;
          assert.equal(attempts, fault === 'access-denied' ? 1 : 5);
          assert.equal(byApi?.retries, attempts - 1);
        } finally {
          await stop();
        }
      });
    }
  });
});
