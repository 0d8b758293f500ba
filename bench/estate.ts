// Generates the benchmark estate: an AWS account with 2,000 IAM users and 1,000 buckets over four
// regions, a GitHub organisation with 300 repositories, and a source tree with 20 lockfiles. The
// AWS answers are written in the same fixture layout the tests' fake endpoints replay.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/util/package-root.js';
import type { Scenario } from '../test/support/fake-github/fixtures.js';
import type { FakeS3State } from '../test/support/fake-aws/s3.js';

export type EstateSize = { users: number; buckets: number; regions: string[]; repositories: number; lockfiles: number };

export const DEFAULT_ESTATE: EstateSize = {
  users: 2000,
  buckets: 1000,
  regions: ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2'],
  repositories: 300,
  lockfiles: 20,
};

export const BENCH_ORG = 'bench-org';
const ACCOUNT = '123456789012';
const USERS_PER_PAGE = 100;

const pad = (n: number): string => String(n).padStart(5, '0');
const userName = (i: number): string => `user-${pad(i)}`;

const credentialReport = (size: EstateSize): string => {
  const header =
    'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
  const lines = [header, `<root_account>,arn:aws:iam::${ACCOUNT}:root,2020-04-16T12:00:00+00:00,not_supported,2025-10-12T12:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`];
  for (let i = 0; i < size.users; i++) {
    const console = i % 3 !== 0;
    const mfa = i % 5 !== 0;
    const key = i % 2 === 0;
    lines.push(
      [
        userName(i),
        `arn:aws:iam::${ACCOUNT}:user/${userName(i)}`,
        '2023-07-30T12:00:00+00:00',
        console ? 'true' : 'false',
        console ? '2026-01-14T12:00:00+00:00' : 'N/A',
        console ? '2025-11-06T12:00:00+00:00' : 'N/A',
        'N/A',
        mfa ? 'true' : 'false',
        key ? 'true' : 'false',
        key ? (i % 4 === 0 ? '2024-01-01T12:00:00+00:00' : '2026-01-01T12:00:00+00:00') : 'N/A',
        key ? '2026-01-10T12:00:00+00:00' : 'N/A',
        key ? 'us-east-1' : 'N/A',
        key ? 's3' : 'N/A',
        'false',
        'N/A',
        'N/A',
        'N/A',
        'N/A',
        'false',
        'N/A',
        'false',
        'N/A',
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
};

const userXml = (i: number): string => `      <member>
        <Path>/</Path>
        <UserName>${userName(i)}</UserName>
        <UserId>AIDABENCH${pad(i)}XXXXXXX</UserId>
        <Arn>arn:aws:iam::${ACCOUNT}:user/${userName(i)}</Arn>
        <CreateDate>2023-07-30T12:00:00Z</CreateDate>
        <UserPolicyList/>
        <GroupList/>
        <AttachedManagedPolicies>${
          i % 50 === 0 ? '\n          <member>\n            <PolicyName>AdministratorAccess</PolicyName>\n            <PolicyArn>arn:aws:iam::aws:policy/AdministratorAccess</PolicyArn>\n          </member>\n        ' : ''
        }</AttachedManagedPolicies>
        <Tags>
          <member>
            <Key>team</Key>
            <Value>team-${i % 12}</Value>
          </member>
        </Tags>
      </member>`;

const authorizationPage = (size: EstateSize, page: number, pages: number): string => {
  const from = (page - 1) * USERS_PER_PAGE;
  const users = Array.from({ length: Math.min(USERS_PER_PAGE, size.users - from) }, (_, k) => userXml(from + k));
  const more = page < pages;
  return `<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetAccountAuthorizationDetailsResult>
    <IsTruncated>${more}</IsTruncated>${more ? `\n    <Marker>page-${page + 1}</Marker>` : ''}
    <UserDetailList>
${users.join('\n')}
    </UserDetailList>
    <GroupDetailList/>
    <RoleDetailList/>
    <Policies/>
  </GetAccountAuthorizationDetailsResult>
  <ResponseMetadata>
    <RequestId>bench-${page}</RequestId>
  </ResponseMetadata>
</GetAccountAuthorizationDetailsResponse>
`;
};

/** Writes the IAM fixture set (credential report, authorization pages, account-level answers) into `dir`. */
const writeIamFixtures = (dir: string, size: EstateSize): void => {
  const demo = path.join(packageRoot, 'fixtures', 'demo', 'aws', 'iam');
  cpSync(demo, dir, { recursive: true });
  // CloudTrail and GuardDuty are regional: every benchmark region answers as the demo's us-east-1.
  for (const service of ['cloudtrail', 'guardduty']) {
    for (const region of size.regions) {
      if (region !== 'us-east-1') cpSync(path.join(demo, service, 'us-east-1'), path.join(dir, service, region), { recursive: true });
    }
  }
  writeFileSync(path.join(dir, 'iam', 'credential-report.csv'), credentialReport(size));
  const pages = Math.max(1, Math.ceil(size.users / USERS_PER_PAGE));
  for (let page = 1; page <= pages; page++) writeFileSync(path.join(dir, 'iam', `GetAccountAuthorizationDetails.${page}.xml`), authorizationPage(size, page, pages));
};

/** The fake S3 state: buckets spread over the regions, with a mix of configurations. */
export const s3State = (size: EstateSize): FakeS3State => {
  const demo = JSON.parse(readFileSync(path.join(packageRoot, 'fixtures', 'demo', 'aws', 's3', 'buckets.json'), 'utf8')) as FakeS3State;
  const Buckets: FakeS3State['Buckets'] = Array.from({ length: size.buckets }, (_, i) => {
    const name = `bench-bucket-${pad(i)}`;
    const region = size.regions[i % size.regions.length] as string;
    return {
      Name: name,
      Region: region,
      CreationDate: '2024-01-01T00:00:00.000Z',
      Encryption: i % 7 === 0 ? null : { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
      Policy: i % 3 === 0 ? null : { Version: '2012-10-17', Statement: [{ Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] },
      PublicAccessBlock: i % 5 === 0 ? null : { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      Versioning: i % 2 === 0 ? { Status: 'Enabled' } : {},
      Logging: i % 4 === 0 ? { TargetBucket: 'bench-bucket-00000', TargetPrefix: `${name}/` } : null,
      Tags: [{ Key: 'team', Value: `team-${i % 12}` }],
    };
  });
  return { ...demo, Buckets };
};

/** The GitHub organisation: `repositories` repositories with varied settings. */
export const githubScenario = (size: EstateSize): Scenario => ({
  viewer: 'bench-bot',
  organizations: [{ login: BENCH_ORG, name: 'Benchmark', viewerIsOwner: true, twoFactorRequired: true, defaultRepositoryPermission: 'read', owners: ['bench-owner'] }],
  repositories: Array.from({ length: size.repositories }, (_, i) => ({
    owner: BENCH_ORG,
    name: `repo-${pad(i)}`,
    visibility: i % 10 === 0 ? 'public' : 'private',
    viewerRole: 'admin',
    vulnerabilityAlerts: i % 2 === 0,
    securityPolicy: i % 3 === 0,
    workflowPermissions: i % 4 === 0 ? 'write' : 'read',
    classicProtection: i % 5 === 0 ? null : { requiredApprovals: 1 + (i % 2), allowForcePushes: false, allowDeletions: false, enforceAdmins: i % 2 === 0 },
    deployKeys: i % 6 === 0 ? [{ title: 'deploy', readOnly: false }] : [],
    collaborators: [{ login: `dev-${i % 40}`, role: 'write', outside: i % 9 === 0 }],
  })),
});

/** A source tree with `lockfiles` npm projects (package.json + package-lock.json). */
const writeTree = (dir: string, size: EstateSize): void => {
  for (let i = 0; i < size.lockfiles; i++) {
    const project = path.join(dir, 'services', `service-${pad(i)}`);
    mkdirSync(project, { recursive: true });
    const deps: Record<string, string> = { lodash: '4.17.20', express: '4.17.1', minimist: '1.2.5' };
    writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: `service-${i}`, version: '1.0.0', private: true, dependencies: deps }, null, 2)}\n`);
    const packages: Record<string, unknown> = { '': { name: `service-${i}`, version: '1.0.0', dependencies: deps } };
    for (const [name, version] of Object.entries(deps)) {
      packages[`node_modules/${name}`] = { version, resolved: `https://registry.npmjs.org/${name}/-/${name}-${version}.tgz`, integrity: 'sha512-AAAA' };
    }
    writeFileSync(path.join(project, 'package-lock.json'), `${JSON.stringify({ name: `service-${i}`, version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
  }
  mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
  writeFileSync(
    path.join(dir, '.github', 'workflows', 'ci.yml'),
    'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm test\n',
  );
};

export type Estate = { iamDir: string; tree: string; size: EstateSize };

/** Writes the estate's files under `dir` (IAM fixtures and the source tree). */
export const generateEstate = (dir: string, size: EstateSize = DEFAULT_ESTATE): Estate => {
  const iamDir = path.join(dir, 'aws-iam');
  const tree = path.join(dir, 'tree');
  writeIamFixtures(iamDir, size);
  writeTree(tree, size);
  return { iamDir, tree, size };
};
