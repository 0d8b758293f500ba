import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ListAccountsCommand, OrganizationsClient, paginateListAccounts, type Account } from '@aws-sdk/client-organizations';
import { shardOfUnit } from '../../src/collectors/shard.js';
import type { ResultDocument } from '../../src/engine/types.js';
import type { FactsDocument } from '../../src/facts/types.js';
import { DEMO_AWS_IAM, withFakeAwsEnv } from '../support/fake-aws/index.js';
import { startOrganizationAws, type FakeOrgAccount, type OrganizationFake } from '../support/fake-aws/organizations.js';
import type { AwsRequest, Fault } from '../support/fake-aws/server.js';
import { queryParams } from '../support/fake-aws/wire.js';
import { runInProcess } from '../support/cli.js';
import { tempTree } from '../support/temp.js';

const MANAGEMENT = '123456789012';
const REFUSED = '333333333333';
const SUSPENDED = '555555555555';
const CLOSING = '666666666666';
const CLOSED = '777777777777';
/** Member accounts whose role posture can assume. */
const READABLE = ['111111111111', '222222222222', '444444444444', '888888888888', '999999999999'];

/** The organization: the management account first, as ListAccounts lists it, then the members in no particular order. */
const ACCOUNTS: FakeOrgAccount[] = [
  { Id: MANAGEMENT, Name: 'acme-management', State: 'ACTIVE', JoinedMethod: 'INVITED' },
  { Id: '999999999999', Name: 'sandbox', State: 'ACTIVE' },
  { Id: '111111111111', Name: 'production', State: 'ACTIVE' },
  { Id: SUSPENDED, Name: 'old-marketing', State: 'SUSPENDED' },
  { Id: REFUSED, Name: 'no-posture-role', State: 'ACTIVE' },
  { Id: '222222222222', Name: 'staging', State: 'ACTIVE' },
  // Answered with the retired Status only, as before AWS added State.
  { Id: CLOSING, Name: 'closing', Status: 'PENDING_CLOSURE' },
  { Id: '444444444444', Name: 'logging', Status: 'ACTIVE' },
  { Id: CLOSED, Name: 'closed', State: 'CLOSED' },
  { Id: '888888888888', Name: 'security', State: 'ACTIVE' },
];

const config = (organization: string): string => `aws:\n  regions: [us-east-1]\n  organization:\n${organization}`;
const ORGANIZATION = config(`    roleName: posture-audit\n    externalId: acme-7f3c\n    exclude: ['${MANAGEMENT}']\n`);

/** Whether a request is an AssumeRole of the role in `account`. */
const assumes = (request: AwsRequest, account: string): boolean =>
  request.service === 'sts' && queryParams(request).get('Action') === 'AssumeRole' && (queryParams(request).get('RoleArn') ?? '').includes(`::${account}:`);

type Run = { code: number; stderr: string; out: string; facts?: FactsDocument };

describe('aws.organization: the accounts of an AWS Organization, discovered', function () {
  this.timeout(180_000);
  let fake: OrganizationFake;
  let tree: ReturnType<typeof tempTree>;
  let restore: (() => void) | undefined;
  /** RoleArns of every AssumeRole asked, refused or not. */
  const asked: string[] = [];

  const start = async (options: Partial<Parameters<typeof startOrganizationAws>[0]> = {}): Promise<void> => {
    restore?.();
    await fake?.close();
    fake = await startOrganizationAws({ fixtures: DEMO_AWS_IAM, shiftTimesTo: new Date(), accounts: ACCOUNTS, pageSize: 3, emptyPageAt: 1, externalId: 'acme-7f3c', s3: true, ...options });
    // The fake's log does not keep request bodies: the first fault records the roles asked for and never strikes.
    const recorder: Fault = { kind: 'access-denied', match: (request) => {
        if (request.service === 'sts' && queryParams(request).get('Action') === 'AssumeRole') asked.push(queryParams(request).get('RoleArn') ?? '');
        return false;
      },
    };
    const refuseOne: Fault = { kind: 'access-denied', service: 'sts', operation: 'AssumeRole', match: (request) => assumes(request, REFUSED) };
    fake.faults.push(recorder, refuseOne);
    // The AWS SDK reads its endpoint and credentials from the process environment.
    restore = withFakeAwsEnv(fake.url);
  };

  const run = async (args: string[], posture = ORGANIZATION): Promise<Run> => {
    writeFileSync(path.join(tree.dir, 'posture.yaml'), posture);
    const out = path.join(tree.dir, `facts-${Math.random().toString(36).slice(2)}.json`);
    const { code, stderr } = await runInProcess([...args, '--log-level', 'error', '--out', out], process.env, tree.dir);
    return { code, stderr, out, ...(code === 0 && args[0] === 'collect' ? { facts: JSON.parse(readFileSync(out, 'utf8')) as FactsDocument } : {}) };
  };
  const collect = (extra: string[] = [], posture?: string): Promise<Run> => run(['collect', 'tree', '--sources', 'aws-iam,aws-s3', ...extra], posture);

  before(async () => {
    tree = tempTree({ 'tree/README.md': '# x\n' });
    await start();
  });
  after(async () => {
    restore?.();
    await fake?.close();
    tree?.cleanup();
  });

  it('the fake speaks Organizations JSON 1.1 as the SDK reads it, in pages', async () => {
    const client = new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 });
    try {
      const seen: Account[] = [];
      for await (const page of paginateListAccounts({ client, pageSize: 3 }, {})) seen.push(...(page.Accounts ?? []));
      assert.deepEqual(seen.map((a) => a.Id), ACCOUNTS.map((a) => a.Id));
      const production = seen.find((a) => a.Id === '111111111111');
      assert.equal(production?.State, 'ACTIVE');
      assert.equal(production?.Arn, `arn:aws:organizations::${MANAGEMENT}:account/o-a1b2c3d4e5/111111111111`);
      assert.ok(production?.JoinedTimestamp instanceof Date && production.JoinedTimestamp.getUTCFullYear() === 2024);
      await assert.rejects(client.send(new ListAccountsCommand({ MaxResults: 50 })), (error: Error) => error.name === 'InvalidInputException');
    } finally {
      client.destroy();
    }
  });

  it("lists every page, assumes the role in each active account, and each account's resources carry its id", async () => {
    asked.length = 0;
    const before = fake.organizations.requests.length;
    const beforeCalls = fake.calls.length;
    const { code, facts, stderr } = await collect();
    assert.equal(code, 0, stderr);
    assert.ok(facts);
    // 10 accounts, 3 a page, one empty page: 5 pages, listed once for the scan, not once per source.
    const requests = fake.organizations.requests.slice(before);
    assert.equal(requests.length, 5, JSON.stringify(requests));
    assert.ok(requests.every((r) => r.maxResults !== undefined && r.maxResults <= 20));
    assert.equal(requests.filter((r) => !r.nextToken).length, 1, 'the listing starts once');
    assert.equal(fake.calls.slice(beforeCalls).filter((c) => c.service === 'organizations').length, 5, "the fake's call log");

    const expectedRoles = [...READABLE, REFUSED].map((id) => `arn:aws:iam::${id}:role/posture-audit`).sort();
    assert.deepEqual([...new Set(asked)].sort(), expectedRoles, 'no role is asked for in a suspended, closing, closed or excluded account');
    assert.ok(fake.sts.assumed.every((a) => a.externalId === 'acme-7f3c'));

    for (const account of READABLE) {
      const own = facts.resources.filter((r) => r.scope?.account === account);
      assert.ok(own.some((r) => r.kind === 'aws.account' && r.id === `aws:${account}`), `aws:${account}`);
      assert.ok(own.some((r) => r.kind === 'aws.iam.user' && r.id.startsWith(`arn:aws:iam::${account}:user/`)), `users of ${account}`);
      assert.ok(own.some((r) => r.kind === 'aws.s3.bucket' && r.id.startsWith(`arn:aws:s3:::acme-${account}-`)), `buckets of ${account}`);
      // An account's resources name no other account's id.
      for (const resource of own.filter((r) => r.kind !== 'aws.s3.bucket')) assert.ok(!/\d{12}/.test(resource.id.replaceAll(account, '')), resource.id);
    }
    const accountsSeen = new Set(facts.resources.map((r) => r.scope?.account));
    assert.deepEqual([...accountsSeen].sort(), [...READABLE].sort(), 'nothing of the management, refused, suspended, closing or closed accounts');
    assert.equal(new Set(facts.resources.map((r) => r.id)).size, facts.resources.length, 'no two accounts share a resource id');

    for (const id of ['aws-iam', 'aws-s3']) {
      const source: FactsDocument['sources'][number] | undefined = facts.sources.find((s) => s.id === id);
      assert.equal(source?.status, 'partial', `${id}: ${source?.reason ?? ''}`);
      // The one refused role is the only gap naming sts:AssumeRole, on its account.
      const refusals: FactsDocument['sources'][number]['gaps'] = source?.gaps.filter((g) => g.permission === 'sts:AssumeRole') ?? [];
      assert.deepEqual(refusals.map((g) => [g.resource, g.attributes]), [[`aws:${REFUSED}`, ['*']]], `${id}: ${JSON.stringify(source?.gaps)}`);
      const notes = source?.notes.join('\n') ?? '';
      assert.match(notes, /organization: 10 accounts listed, 6 scanned through role posture-audit/);
      assert.match(notes, new RegExp(`not scanned: ${MANAGEMENT} \\(excluded\\), ${SUSPENDED} \\(SUSPENDED\\), ${CLOSING} \\(PENDING_CLOSURE\\), ${CLOSED} \\(CLOSED\\)`));
      assert.match(notes, new RegExp(`account ${REFUSED} could not be read`));
    }
    // The one listing is counted once: under aws-iam, which made it; aws-s3 says whose calls it used.
    const [iam, s3] = ['aws-iam', 'aws-s3'].map((id) => facts.sources.find((s) => s.id === id));
    assert.equal(iam?.calls.byApi['organizations.ListAccounts']?.calls, 5);
    assert.equal(s3?.calls.byApi['organizations.ListAccounts'], undefined, JSON.stringify(s3?.calls));
    assert.ok(s3?.notes.includes("the AWS Organization's accounts were listed once for the scan, by aws-iam: its calls are counted there"), s3?.notes.join('\n'));
    assert.ok(!iam?.notes.some((n) => n.includes('once for the scan')), iam?.notes.join('\n'));
  });

  it('10 accounts at 2 a page: 5 ListAccounts calls for the scan, not one listing per source', async () => {
    const pages = ACCOUNTS.map(({ Status: _status, ...account }) => ({ ...account, State: 'ACTIVE' as const }));
    await start({ accounts: pages, pageSize: 2, emptyPageAt: undefined });
    try {
      const { code, facts, stderr } = await collect([], config('    roleName: posture-audit\n    externalId: acme-7f3c\n'));
      assert.equal(code, 0, stderr);
      const listings = fake.calls.filter((c) => c.service === 'organizations');
      assert.deepEqual(listings.map((c) => `${c.operation} ${c.status}`), Array(5).fill('ListAccounts 200'));
      assert.deepEqual(facts?.sources.map((s) => [s.id, s.calls.byApi['organizations.ListAccounts']?.calls ?? 0]), [['aws-iam', 5], ['aws-s3', 0]]);
      // Both sources scanned the same ten accounts, less the refused one.
      for (const id of ['aws-iam', 'aws-s3']) {
        const source = facts?.sources.find((s) => s.id === id);
        assert.match(source?.notes.join('\n') ?? '', /organization: 10 accounts listed, 10 scanned through role posture-audit/, id);
        const kind = id === 'aws-iam' ? 'aws.account' : 'aws.s3.bucket';
        assert.equal(new Set(facts?.resources.filter((r) => r.kind === kind).map((r) => r.scope?.account)).size, 9, id);
      }
    } finally {
      await start();
    }
  });

  it('ListAccounts denied: nothing is scanned, both sources fail naming organizations:ListAccounts, and no finding passes', async () => {
    fake.faults.unshift({ service: 'organizations', operation: 'ListAccounts', kind: 'access-denied' });
    try {
      const before = fake.sts.assumed.length;
      let calls = fake.calls.length;
      const { code, facts, stderr } = await collect();
      assert.equal(code, 0, stderr);
      assert.ok(facts);
      assert.equal(facts.resources.length, 0);
      assert.equal(fake.sts.assumed.length, before, 'no role assumed');
      for (const source of facts.sources) {
        assert.equal(source.status, 'failed');
        assert.match(source.reason ?? '', /organizations:ListAccounts was denied/);
        assert.deepEqual(source.gaps, [{ resource: 'aws', attributes: ['*'], reason: 'AccessDenied', permission: 'organizations:ListAccounts' }]);
      }
      // One denied call for the scan, counted once, by the source that made it.
      assert.deepEqual(fake.calls.slice(calls).map((c) => `${c.service}.${c.operation} ${c.fault ?? c.status}`), ['organizations.ListAccounts access-denied']);
      assert.deepEqual(facts.sources.map((s) => [s.id, s.calls.total, s.calls.byApi['organizations.ListAccounts']?.errors ?? 0]), [['aws-iam', 1, 1], ['aws-s3', 0, 0]]);
      // The whole scan: exit 3 with --fail-on-gaps, and no finding at all, so none passes.
      calls = fake.calls.length;
      const scan = await run(['scan', 'tree', '--sources', 'aws-iam,aws-s3', '--fail-on-gaps', '--format', 'json']);
      assert.equal(scan.code, 3, scan.stderr);
      const result = JSON.parse(readFileSync(path.join(scan.out, 'result.json'), 'utf8')) as ResultDocument;
      assert.equal(result.findings.filter((f) => f.status === 'pass').length, 0);
      assert.equal(fake.calls.length - calls, 1, 'one ListAccounts call for the scan');
      assert.deepEqual(result.coverage.sources.map((s) => [s.id, s.status, s.calls.byApi['organizations.ListAccounts']?.calls ?? 0]), [['aws-iam', 'failed', 1], ['aws-s3', 'failed', 0]]);
    } finally {
      fake.faults.shift();
    }
  });

  it('outside an organization (AWSOrganizationsNotInUseException): the sources fail, naming organizations:ListAccounts', async () => {
    await start({ notInUse: true });
    try {
      const { code, facts, stderr } = await collect();
      assert.equal(code, 0, stderr);
      assert.equal(facts?.resources.length, 0);
      for (const source of facts?.sources ?? []) {
        assert.equal(source.status, 'failed');
        assert.match(source.reason ?? '', /not in an AWS Organization \(organizations:ListAccounts: AWSOrganizationsNotInUseException\)/);
        assert.equal(source.gaps[0]?.reason, 'AWSOrganizationsNotInUseException');
      }
    } finally {
      await start();
    }
  });

  it('a throttled listing is retried by the SDK and loses no account', async () => {
    fake.faults.unshift({ service: 'organizations', operation: 'ListAccounts', kind: 'throttle', times: 4 });
    try {
      const { code, facts, stderr } = await collect(['--sources', 'aws-iam']);
      assert.equal(code, 0, stderr);
      const source = facts?.sources[0];
      assert.equal(source?.calls.byApi['organizations.ListAccounts']?.throttles, 4);
      assert.equal(source?.calls.byApi['organizations.ListAccounts']?.calls, 5);
      assert.deepEqual([...new Set(facts?.resources.map((r) => r.scope?.account))].sort(), [...READABLE].sort());
    } finally {
      fake.faults.shift();
    }
  });

  it('--aws-role-arn scans that one role instead of the organization', async () => {
    const before = fake.organizations.requests.length;
    const { code, facts, stderr } = await collect(['--aws-role-arn', 'arn:aws:iam::111111111111:role/posture-audit', '--aws-external-id', 'acme-7f3c']);
    assert.equal(code, 0, stderr);
    assert.equal(fake.organizations.requests.length, before, 'no listing');
    assert.deepEqual([...new Set(facts?.resources.map((r) => r.scope?.account))], ['111111111111']);
  });

  it('--shard K/N: discovered accounts and their regions are units; the merged shards equal the unsharded collection', async () => {
    const n = 3;
    const scanTime = new Date().toISOString();
    const files = Array.from({ length: n + 1 }, (_, k) => path.join(tree.dir, `org-shard-${k}.json`));
    for (let k = 0; k <= n; k++) {
      const args = ['collect', 'tree', '--sources', 'aws-iam,aws-s3', '--scan-time', scanTime, ...(k > 0 ? ['--shard', `${k}/${n}`] : [])];
      writeFileSync(path.join(tree.dir, 'posture.yaml'), ORGANIZATION);
      const listed = fake.organizations.requests.length;
      const { code } = await runInProcess([...args, '--log-level', 'silent', '--out', files[k] as string], process.env, tree.dir);
      assert.equal(code, 0, `shard ${k}`);
      // Every shard lists the organization, once: its 5 pages.
      assert.equal(fake.organizations.requests.length - listed, 5, `shard ${k}`);
    }
    const read = (file: string): FactsDocument => JSON.parse(readFileSync(file, 'utf8')) as FactsDocument;
    const shards = files.slice(1).map(read);
    const units = shards.flatMap((s) => s.shard?.units ?? []);
    for (const account of READABLE) {
      assert.ok(units.includes(`aws:${account}`), `unit aws:${account}`);
      assert.ok(units.includes(`aws:${account}:us-east-1`), `unit aws:${account}:us-east-1`);
    }
    for (const shard of shards) for (const unit of shard.shard?.units ?? []) assert.equal(shardOfUnit(unit, n), shard.shard?.k, unit);
    assert.ok(shards.every((s) => s.resources.length > 0), 'every shard has a share of 5 accounts');

    const merged = path.join(tree.dir, 'org-merged.json');
    assert.equal((await runInProcess(['merge', ...files.slice(1), '--out', merged, '--log-level', 'silent'], process.env, tree.dir)).code, 0);
    const [whole, fromShards] = [read(files[0] as string), read(merged)];
    const resources = (facts: FactsDocument): string[] => facts.resources.map((r) => JSON.stringify(r)).sort();
    assert.ok(whole.resources.length > 50, `${whole.resources.length} resources`);
    assert.deepEqual(resources(fromShards), resources(whole));
    const coverage = (facts: FactsDocument) => facts.sources.map((s) => ({ id: s.id, status: s.status, gaps: [...s.gaps].map((g) => JSON.stringify(g)).sort() }));
    assert.deepEqual(coverage(fromShards), coverage(whole));
  });

  describe('posture.yaml errors (exit 2, naming the file and the key)', () => {
    const refuses = async (posture: string, message: RegExp): Promise<void> => {
      const { code, stderr } = await collect([], posture);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
    };
    it('aws.organization with aws.accounts', () =>
      refuses(`${ORGANIZATION}  accounts:\n    - id: '111111111111'\n      roleArn: arn:aws:iam::111111111111:role/posture-audit\n`, /posture\.yaml:7: aws\.organization and aws\.accounts exclude each other/));
    it('aws.organization with aws.roleArn', () => refuses(`${ORGANIZATION}  roleArn: arn:aws:iam::111111111111:role/x\n`, /posture\.yaml:7: aws\.organization and aws\.roleArn exclude each other/));
    it('a role name that is not one', () => refuses(config('    roleName: "arn:aws:iam::111111111111:role/x"\n'), /posture\.yaml:4: not a valid config document at \/aws\/organization\/roleName/));
    it('an excluded account id that is not one', () => refuses(config("    roleName: posture-audit\n    exclude: ['12345']\n"), /posture\.yaml:5: not a valid config document at \/aws\/organization\/exclude\/0/));
    it('a missing role name', () => refuses(config("    exclude: ['111111111111']\n"), /posture\.yaml:4: not a valid config document at \/aws\/organization: must have required property 'roleName'/));
  });
});
