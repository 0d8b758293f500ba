import assert from 'node:assert/strict';
import { IAM_ACTIONS } from '../../src/aws/iam-actions.js';
import { ACCOUNT_BLOCK, BUCKET_APIS } from '../../src/collectors/aws-s3/apis.js';
import { DEMO_AWS_S3, loadFakeS3State } from '../support/fake-aws/s3.js';
import type { AwsRequest, Fault } from '../support/fake-aws/server.js';
import { changes, rules, scanDemo, statusMap, type ScanOptions, type ScanOutcome } from './support.js';

/**
 * Every AWS call the collectors can make: the demo estate with a listing that omits bucket regions
 * (so GetBucketLocation is asked) and bucket tags needed (as a threat model needs them).
 */
const FULL: ScanOptions = {
  sources: ['aws'],
  s3State: (state) => ({ ...state, ListBucketsOmitsRegion: true }),
  extraNeeds: { 'aws.s3.bucket': ['tags'] },
};

/** Operations called only when the accounts come from aws.organization. */
const THROUGH_ORGANIZATION = new Set(['organizations.ListAccounts']);

/** The same with --aws-regions all: the demo account's enabled regions (18 of them) are listed first. */
const ALL_REGIONS: ScanOptions = { ...FULL, options: { awsRegions: 'all' } };

/** Operations called only with --aws-regions all. */
const WITH_ALL_REGIONS = new Set(['account.ListRegions']);

/** The demo's buckets on the first ListBuckets page of two (S3 lists them by name). */
const FIRST_PAGE_BUCKETS = loadFakeS3State(DEMO_AWS_S3)
  .Buckets.map((b) => b.Name)
  .sort((a, b) => a.localeCompare(b))
  .slice(0, 2);

/**
 * The calls that read further pages, each refused on the pages after the first only. What the
 * first page listed keeps its findings where it can stand alone (a bucket), and what needs the
 * whole list (a user's administrator access, whose policies may be on the next page) is unknown.
 */
const PAGED: { operation: string; action: string; what: string; scan: ScanOptions; later: (request: AwsRequest) => boolean }[] = [
  {
    operation: 'iam.GetAccountAuthorizationDetails',
    action: 'iam:GetAccountAuthorizationDetails',
    what: 'the second page of users, groups, roles and policies',
    scan: FULL,
    later: (request) => new URLSearchParams(request.body.toString('utf8')).has('Marker'),
  },
  {
    operation: 's3.ListBuckets',
    action: 's3:ListAllMyBuckets',
    what: 'the buckets after the first two',
    scan: { ...FULL, s3PageSize: 2 },
    later: (request) => request.query.has('continuation-token'),
  },
];

/** Every declared operation that needs an action: the matrix's rows. */
const DECLARED = Object.entries(IAM_ACTIONS)
  .filter(([, entry]) => entry.action !== null)
  .map(([operation, entry]) => ({ operation, action: entry.action as string, caller: entry.grantedTo === 'caller' }));

/** The demo account, and the role in it that the role-based runs assume. */
const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/posture-scan`;

/**
 * The two ways a role is given: --aws-role-arn, and posture.yaml's aws.accounts. Actions granted to
 * the caller (sts:AssumeRole) are denied in a run of each; the rest in runs without a role.
 */
const ROLE_RUNS: { via: string; scan: ScanOptions }[] = [
  { via: '--aws-role-arn', scan: { ...FULL, options: { awsRoleArn: ROLE_ARN } } },
  { via: 'aws.accounts', scan: { ...FULL, config: { aws: { accounts: [{ id: ACCOUNT, roleArn: ROLE_ARN }] } } } },
  // The fake Organizations lists the demo account, whose role posture-scan is assumed.
  { via: 'aws.organization', scan: { ...FULL, organization: true } },
];

/** The fake names S3 and S3 Control operations by the IAM action that authorises them, as S3's own errors do. */
const fakeOperation = (operation: string, action: string): { service: string; operation: string } => {
  const [service, name] = operation.split('.') as [string, string];
  return service === 's3' || service === 's3-control' ? { service: 's3', operation: action.split(':')[1] as string } : { service, operation: name };
};

/** The IAM action of one entry of the fake's log; undefined for an operation nobody declared. */
const actionOfLogged = (service: string, operation: string): string | null | undefined => {
  if (service === 's3') return DECLARED.some((d) => d.action === `s3:${operation}`) ? `s3:${operation}` : undefined;
  const entry = IAM_ACTIONS[`${service}.${operation}`];
  return entry ? entry.action : undefined;
};

/** The attributes the aws-s3 collector declares each of its calls feeds (src/collectors/aws-s3/apis.ts). */
const S3_PROVIDES = new Map<string, readonly string[]>([
  ...BUCKET_APIS.map((api) => [`s3.${api.operation}`, api.provides] as const),
  ['s3-control.GetPublicAccessBlock', ACCOUNT_BLOCK.provides],
]);

const REQUIRES = new Map(rules.map((rule) => [rule.id, new Set(rule.requires.map((p) => p.split('.')[0] as string))]));

type Gap = { source: string; resource: string; attributes: string[]; permission?: string; reason: string };
const gapsOf = (outcome: ScanOutcome): Gap[] => outcome.facts.sources.flatMap((s) => s.gaps.map((g) => ({ source: s.id, ...g })));
const gapKey = (gap: Gap): string => `${gap.resource} ${[...gap.attributes].sort().join(',')} ${gap.reason}`;

describe('denied permissions: each AWS action the collectors declare, denied on its own', function () {
  this.timeout(300_000);

  let baseline: ScanOutcome;
  let faultFree: Map<string, string>;
  let allRegions: ScanOutcome;
  const roleBaselines = new Map<string, ScanOutcome>();

  before(async () => {
    baseline = await scanDemo(FULL);
    faultFree = statusMap(baseline.result);
    assert.deepEqual(baseline.facts.sources.map((s) => `${s.id} ${s.status}`), ['aws-iam complete', 'aws-s3 complete']);
    for (const run of ROLE_RUNS) roleBaselines.set(run.via, await scanDemo(run.scan));
    allRegions = await scanDemo(ALL_REGIONS);
    assert.deepEqual(allRegions.facts.sources.map((s) => `${s.id} ${s.status}`), ['aws-iam complete', 'aws-s3 complete']);
  });

  it('the full runs call exactly the declared operations: a call without a declaration in src/aws/iam-actions.ts fails here', () => {
    const log = [...baseline.awsLog, ...allRegions.awsLog, ...[...roleBaselines.values()].flatMap((outcome) => outcome.awsLog)];
    const undeclared = log.filter((e) => actionOfLogged(e.service, e.operation) === undefined).map((e) => `${e.service}.${e.operation}`);
    assert.deepEqual([...new Set(undeclared)], []);
    const called = new Set(log.map((e) => actionOfLogged(e.service, e.operation)).filter((a): a is string => typeof a === 'string'));
    assert.deepEqual([...called].sort(), [...new Set(DECLARED.map((d) => d.action))].sort(), 'every declared action is exercised by the matrix');
    // Through a role, the scan reads the same account and finds the same.
    for (const [via, outcome] of roleBaselines) {
      assert.deepEqual(outcome.facts.sources.map((s) => `${s.id} ${s.status}`), ['aws-iam complete', 'aws-s3 complete'], via);
      assert.deepEqual(changes(faultFree, statusMap(outcome.result)), [], via);
      assert.ok(outcome.awsLog.some((e) => e.service === 'sts' && e.operation === 'AssumeRole'), via);
    }
  });

  for (const { operation, action } of DECLARED.filter((d) => d.caller)) {
    for (const run of ROLE_RUNS) {
      it(`${action} (${operation}) denied, the role given in ${run.via}: the whole account is a gap naming ${action}, nothing passes, nothing is read with the caller's own credentials`, async () => {
        const target = fakeOperation(operation, action);
        const denied = await scanDemo({ ...run.scan, awsFaults: [{ ...target, kind: 'access-denied' }] });
        assert.ok(denied.awsLog.some((e) => e.fault === 'access-denied' && e.service === target.service && e.operation === target.operation), `${operation} was not called`);
        // Listing the organization's accounts is the one call made with the caller's credentials.
        const expected = run.via === 'aws.organization' ? ['organizations.ListAccounts', operation] : [operation];
        assert.deepEqual([...new Set(denied.awsLog.map((e) => `${e.service}.${e.operation}`))].sort(), expected.sort(), 'only the role was asked for');
        for (const source of denied.facts.sources) {
          assert.equal(source.status, 'failed', source.id);
          assert.match(source.reason ?? '', new RegExp(`${ROLE_ARN}.*${action}`), source.id);
          assert.deepEqual(
            source.gaps.map((g) => `${g.resource} ${g.attributes.join(',')} ${g.permission}`),
            [`aws:${ACCOUNT} * ${action}`],
            `${source.id}: ${JSON.stringify(source.gaps)}`,
          );
        }
        assert.deepEqual(denied.facts.resources, []);
        assert.deepEqual(denied.result.findings.map((f) => `${f.ruleId} ${f.status}`), [], 'no finding: nothing passes or fails on an account that could not be read');
        // The coverage section says which sources could not see, and why.
        assert.deepEqual(denied.result.coverage.sources.map((s) => `${s.id} ${s.status}`), ['aws-iam failed', 'aws-s3 failed']);
      });
    }
  }

  for (const { operation, action } of DECLARED.filter((d) => !d.caller)) {
    it(`${action} (${operation}) denied: only findings fed by it change, to unknown, and the gap names ${action}`, async () => {
      const organization = THROUGH_ORGANIZATION.has(operation) ? ROLE_RUNS.find((r) => r.via === 'aws.organization') : undefined;
      const everyRegion = WITH_ALL_REGIONS.has(operation);
      const reference = organization ? (roleBaselines.get(organization.via) as ScanOutcome) : everyRegion ? allRegions : baseline;
      const target = fakeOperation(operation, action);
      const fault: Fault = { ...target, kind: 'access-denied' };
      const denied = await scanDemo({ ...(organization?.scan ?? (everyRegion ? ALL_REGIONS : FULL)), awsFaults: [fault] });
      const referenceStatus = statusMap(reference.result);
      assert.ok(
        denied.awsLog.some((e) => e.fault === 'access-denied' && e.service === target.service && e.operation === target.operation),
        `${operation} was not called, so its denial tests nothing`,
      );
      // A denial is not retried: one attempt per call.
      assert.ok(denied.awsLog.filter((e) => e.fault === 'access-denied').every((e) => e.attempt === 1));

      const baseGaps = new Set(gapsOf(reference).map(gapKey));
      const newGaps = gapsOf(denied).filter((gap) => !baseGaps.has(gapKey(gap)));
      for (const gap of newGaps) assert.equal(gap.permission, action, `a new gap names ${gap.permission ?? 'no permission'}: ${JSON.stringify(gap)}`);

      const after = statusMap(denied.result);
      const changed = changes(referenceStatus, after);
      const failedSources = denied.facts.sources.filter((s) => s.status === 'failed');
      const baseResources = new Set(reference.facts.resources.map((r) => r.id));
      // What a gap covers: its resource (`user/*` covers every user), reading one of its
      // attributes (a dotted path counts by its first segment); a gap of the account or of a
      // region covers what the account's resources derive from it (the account's Block Public
      // Access decides whether a bucket is public).
      const declared = S3_PROVIDES.get(operation) ?? [];
      const covers = (gap: Gap, resource: string, reads: Set<string>): boolean => {
        if (/^aws:\d{12}(:[a-z0-9-]+)?$/.test(gap.resource) && gap.resource !== resource) return true;
        const same = gap.resource === resource || (gap.resource.endsWith('*') && resource.startsWith(gap.resource.slice(0, -1)));
        return same && [...gap.attributes, ...declared].some((a) => a === '*' || reads.has(a.split('.')[0] as string));
      };

      for (const change of changed) {
        const [ruleId, resource] = change.key.split(' ') as [string, string];
        const reads = REQUIRES.get(ruleId) ?? new Set<string>();
        if (change.to === undefined) {
          // The resource itself could not be listed: its source failed, or a gap naming the action
          // covers every resource of its kind (IAM roles come only from GetAccountAuthorizationDetails).
          const wholesale = newGaps.some((gap) => gap.attributes.includes('*') && gap.resource.endsWith('*') && resource.startsWith(gap.resource.slice(0, -1)));
          // An account's regions that could not be listed: the regions beyond the one checked are gone, under a gap on the account's `regions`.
          const unlistedRegion = /^aws:\d{12}:[a-z0-9-]+$/.test(resource) && newGaps.some((gap) => resource.startsWith(`${gap.resource}:`) && gap.attributes.includes('regions'));
          assert.ok(!denied.facts.resources.some((r) => r.id === resource) && (failedSources.length > 0 || wholesale || unlistedRegion), `${change.key} disappeared without a failed listing`);
          continue;
        }
        if (change.from === undefined) {
          // A resource the fault-free scan left out (a bucket outside the scanned regions) is
          // kept when the call that would place it was denied, with a gap naming the action.
          assert.ok(!baseResources.has(resource) && newGaps.some((gap) => gap.resource === resource), `${change.key} appeared without a gap`);
          continue;
        }
        assert.equal(change.to, 'unknown', `${change.key}: ${change.from} -> ${change.to}`);
        assert.ok(
          newGaps.some((gap) => covers(gap, resource, reads)),
          `${change.key} became unknown, but no gap of ${action} covers what ${ruleId} reads (${[...reads].join(', ')})`,
        );
      }

      if (everyRegion) {
        // The SDK's region (us-east-1) is still checked; nothing passes or fails in a region that was not listed.
        const regionsSeen = (outcome: ScanOutcome): string[] => outcome.facts.resources.filter((r) => r.kind === 'aws.region').map((r) => r.scope?.region ?? '');
        assert.equal(regionsSeen(reference).length, 18);
        assert.deepEqual(regionsSeen(denied), ['us-east-1']);
        assert.deepEqual(denied.result.findings.filter((f) => /^aws:\d{12}:/.test(f.resource.id) && !f.resource.id.endsWith(':us-east-1')), []);
        assert.ok(changed.length > 0 && changed.every((c) => c.to === undefined), JSON.stringify(changed.slice(0, 3)));
        for (const source of denied.facts.sources) {
          assert.deepEqual(
            source.gaps.map((g) => `${g.resource} ${g.attributes.join(',')} ${g.permission}`),
            [`aws:${ACCOUNT} regions ${action}`],
            `${source.id}: ${JSON.stringify(source.gaps)}`,
          );
        }
        const account = denied.facts.resources.find((r) => r.id === `aws:${ACCOUNT}`);
        const marker = (account?.attributes.regions as { $unknown?: { reason: string; permission?: string } } | undefined)?.$unknown;
        assert.deepEqual([marker?.reason, marker?.permission], ['AccessDenied', action], "the account's regions are unknown");
      }
      if (operation === 'iam.GenerateCredentialReport') {
        // An existing report is still read: nothing changes, and the source says why it is not fresh.
        assert.deepEqual(changed, []);
        const notes = denied.facts.sources.find((s) => s.id === 'aws-iam')?.notes ?? [];
        assert.ok(notes.some((n) => n.includes(action)), JSON.stringify(notes));
        return;
      }
      assert.ok(newGaps.length > 0, `denying ${action} left no coverage gap`);
      for (const source of denied.facts.sources.filter((s) => s.status === 'failed')) assert.match(`${source.reason ?? ''} ${JSON.stringify(source.gaps)}`, new RegExp(action.replace(/[:]/g, '\\$&')));
    });
  }
  for (const row of PAGED) {
    it(`${row.action} (${row.operation}) denied on the pages after the first (${row.what}): nothing passes on a half-read list`, async () => {
      const target = fakeOperation(row.operation, row.action);
      const whole = await scanDemo(row.scan);
      assert.deepEqual(changes(faultFree, statusMap(whole.result)), [], 'paging alone changes nothing');
      const denied = await scanDemo({ ...row.scan, awsFaults: [{ ...target, kind: 'access-denied', match: row.later }] });
      const refused = denied.awsLog.filter((e) => e.fault === 'access-denied');
      const asked = denied.awsLog.filter((e) => e.service === target.service && e.operation === target.operation);
      assert.ok(refused.length > 0 && asked.length > refused.length, `${row.operation}: ${asked.length} calls, ${refused.length} refused`);
      const changed = changes(faultFree, statusMap(denied.result));
      const newGaps = gapsOf(denied).filter((gap) => !new Set(gapsOf(whole).map(gapKey)).has(gapKey(gap)));
      for (const gap of newGaps) assert.equal(gap.permission, row.action, JSON.stringify(gap));
      for (const change of changed) assert.ok(change.to === 'unknown' || change.to === undefined, `${change.key}: ${change.from} -> ${change.to}`);
      if (row.operation === 's3.ListBuckets') {
        // The first page's buckets keep every finding; the others are gone, under a gap on all buckets.
        const kept = new Set(FIRST_PAGE_BUCKETS.map((name) => `arn:aws:s3:::${name}`));
        assert.deepEqual(changed.filter((c) => kept.has(c.key.split(' ')[1] as string)), []);
        assert.ok(changed.length > 0 && changed.every((c) => c.to === undefined), JSON.stringify(changed.slice(0, 3)));
        assert.deepEqual(newGaps.map((g) => `${g.resource} ${g.attributes.join(',')}`), ['arn:aws:s3:::* *']);
        assert.deepEqual(
          denied.facts.resources.filter((r) => r.kind === 'aws.s3.bucket').map((r) => r.name).sort(),
          FIRST_PAGE_BUCKETS,
        );
      } else {
        // Page 1 alone is not used: every user's and role's finding that reads the details is unknown or gone.
        assert.ok(changed.length > 0);
        assert.deepEqual(changed.filter((c) => !/:(user|role)\//.test(c.key)), []);
        assert.ok(newGaps.some((g) => g.resource.endsWith(':role/*') && g.attributes.includes('*')), JSON.stringify(newGaps));
        assert.ok(newGaps.some((g) => g.resource.endsWith(':user/*') && g.attributes.includes('adminAccess')), JSON.stringify(newGaps));
        assert.ok(denied.facts.resources.some((r) => r.kind === 'aws.iam.user'), 'the users of the credential report are still there');
      }
    });
  }
});
