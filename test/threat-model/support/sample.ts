import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../../../src/engine/evaluate.js';
import type { SuppressionSource } from '../../../src/engine/suppressions.js';
import type { ResultDocument, Rule, RuleFile } from '../../../src/engine/types.js';
import { createSchemaSet } from '../../../src/facts/documents.js';
import { unknown, type FactsDocument, type Resource, type SourceReport } from '../../../src/facts/types.js';
import { acceptedRiskSuppressions, loadThreatModelFile } from '../../../src/threat-model/model.js';
import { buildThreatModelSection } from '../../../src/threat-model/register.js';
import type { LoadedThreatModel } from '../../../src/threat-model/types.js';

/** fixtures/threat-model/, where the sample model and the generated result document live. */
export const FIXTURES = fileURLToPath(new URL('../../../fixtures/threat-model/', import.meta.url));

export const SCAN_TIME = '2026-03-02T09:00:00.000Z';
const TREE = 'https://github.com/acme-rockets/launch-control';
const ACCOUNT = '111122223333';

const hash = (text: string): string => createHash('sha256').update(text).digest('hex');

type RuleSpec = Omit<RuleFile, 'description' | 'risk' | 'lifecycle' | 'title' | 'message'> & { title: string; message?: string; description?: string; risk?: string };

const rule = (spec: RuleSpec): Rule => ({
  description: `${spec.title}.`,
  risk: `Without this, ${spec.threats.join(' and ')} become easier.`,
  lifecycle: 'stable',
  message: `{{name}} does not meet "${spec.title}"`,
  ...spec,
  file: `rules/sample/${spec.id}.yaml`,
  builtin: true,
});

const is = (attribute: string, value: unknown): Record<string, unknown> => ({ type: 'object', required: [attribute], properties: { [attribute]: { const: value } } });

/** Rules shaped like the built-in ones (ids from the issues), enough to exercise every report section. */
export const sampleRules = (): Rule[] => [
  rule({
    id: 'aws-root-mfa-enabled', title: 'The root user has MFA enabled', severity: 'critical', resource: 'aws.account', requires: ['rootMfaEnabled'],
    condition: is('rootMfaEnabled', true), csf: [{ id: 'PR.AA-03', rationale: 'Root sign-in is authenticated with a second factor' }], threats: ['spoofing', 'elevation-of-privilege'],
    remediation: { text: 'Enable a hardware MFA device for the root user.', cli: 'aws iam enable-mfa-device --user-name root ...' }, references: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-virt-mfa-for-root.html'],
  }),
  rule({
    id: 'iam-user-mfa-enabled', title: 'IAM users with a console password have MFA', severity: 'high', resource: 'aws.iam.user', requires: ['consoleAccess', 'mfaEnabled'],
    when: is('consoleAccess', true), condition: is('mfaEnabled', true), csf: [{ id: 'PR.AA-03', rationale: 'Users are authenticated with a second factor' }], threats: ['spoofing'],
    message: '{{name}} can sign in to the console without MFA',
    remediation: { text: 'Assign an MFA device to the user or remove the console password.', cli: 'aws iam create-virtual-mfa-device --virtual-mfa-device-name {{name}}' }, references: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html'],
  }),
  rule({
    id: 'iam-access-keys-rotated', title: 'Access keys are younger than the rotation period', severity: 'medium', resource: 'aws.iam.user', requires: ['accessKeys'],
    params: { maxAgeDays: { type: 'integer', default: 90, description: 'Oldest acceptable key age' } },
    condition: { type: 'object', properties: { accessKeys: { type: 'array', items: { type: 'object', properties: { createdAt: { type: 'string', format: 'date-time', formatMinimum: { $ago: { days: { $param: 'maxAgeDays' } } } } } } } } },
    csf: [{ id: 'PR.AA-01', rationale: 'Credentials are managed through their lifecycle' }], threats: ['spoofing'],
    message: '{{name}} has an access key older than {{params.maxAgeDays}} days',
    remediation: { text: 'Create a new key, move its users to it, then deactivate and delete the old one.', cli: 'aws iam create-access-key --user-name {{name}}' },
  }),
  rule({
    id: 'cloudtrail-enabled', title: 'CloudTrail records management events in the region', severity: 'high', resource: 'aws.region', requires: ['cloudtrailEnabled'],
    condition: is('cloudtrailEnabled', true), csf: [{ id: 'DE.CM-09', rationale: 'API activity is recorded for monitoring' }], threats: ['repudiation'],
    remediation: { text: 'Create a multi-region trail that logs management events to a protected bucket.', terraform: 'resource "aws_cloudtrail" "main" {\n  is_multi_region_trail = true\n}' },
  }),
  rule({
    id: 'guardduty-enabled', title: 'GuardDuty is enabled in the region', severity: 'medium', resource: 'aws.region', requires: ['guardDutyEnabled'],
    condition: is('guardDutyEnabled', true), csf: [{ id: 'DE.CM-01', rationale: 'Threat detection watches account and network activity' }], threats: ['tampering', 'elevation-of-privilege'],
    remediation: { text: 'Enable GuardDuty in every region in use.', cli: 'aws guardduty create-detector --enable' },
  }),
  rule({
    id: 's3-bucket-not-public', title: 'The bucket is not public', severity: 'critical', resource: 'aws.s3.bucket', requires: ['public'],
    condition: is('public', false), csf: [{ id: 'PR.AA-05', rationale: 'Access to data is limited to authorised principals' }], threats: ['information-disclosure'],
    message: '{{name}} is readable by anyone on the internet',
    remediation: { text: 'Remove public grants and statements, then turn on the bucket\'s public access block.', cli: 'aws s3api put-public-access-block --bucket {{name}} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true' },
    references: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html'],
  }),
  rule({
    id: 's3-bucket-default-encryption-kms', title: 'The bucket encrypts new objects with KMS', severity: 'medium', resource: 'aws.s3.bucket', requires: ['encryption'],
    condition: { type: 'object', properties: { encryption: { enum: ['aws:kms', 'aws:kms:dsse'] } } }, csf: [{ id: 'PR.DS-01', rationale: 'Data at rest is encrypted under keys the account controls' }], threats: ['information-disclosure'],
    remediation: { text: 'Set default encryption to SSE-KMS with a customer managed key.' },
  }),
  rule({
    id: 's3-bucket-versioning-enabled', title: 'The bucket keeps object versions', severity: 'medium', resource: 'aws.s3.bucket', requires: ['versioning'],
    condition: is('versioning', 'Enabled'), csf: [{ id: 'PR.DS-11', rationale: 'Earlier versions serve as backups' }], threats: ['tampering', 'denial-of-service'],
    remediation: { text: 'Enable versioning.', cli: 'aws s3api put-bucket-versioning --bucket {{name}} --versioning-configuration Status=Enabled' },
  }),
  rule({
    id: 's3-bucket-replication-enabled', title: 'The bucket replicates to another region or account', severity: 'medium', resource: 'aws.s3.bucket', requires: ['replication'],
    condition: is('replication', true), csf: [{ id: 'PR.DS-11', rationale: 'Backups are kept apart from production' }], threats: ['denial-of-service'],
    remediation: { text: 'Add an enabled replication rule to a bucket in another account.' },
  }),
  rule({
    id: 's3-bucket-object-lock-enabled', title: 'The bucket protects objects with Object Lock', severity: 'low', resource: 'aws.s3.bucket', requires: ['objectLock'],
    condition: is('objectLock', true), csf: [{ id: 'RC.RP-03', rationale: 'Locked objects keep restoration assets intact' }], threats: ['tampering'],
    remediation: { text: 'Enable Object Lock in governance or compliance mode for backup buckets.' },
  }),
  rule({
    id: 's3-bucket-access-logging-enabled', title: 'The bucket logs access requests', severity: 'low', resource: 'aws.s3.bucket', requires: ['logging'],
    condition: is('logging', true), csf: [{ id: 'DE.CM-09', rationale: 'Data access is recorded' }], threats: ['repudiation'],
    remediation: { text: 'Enable server access logging to a separate log bucket.' },
  }),
  rule({
    id: 's3-bucket-lifecycle-configured', title: 'The bucket has a lifecycle rule', severity: 'low', resource: 'aws.s3.bucket', requires: ['lifecycle'],
    condition: is('lifecycle', true), csf: [{ id: 'PR.DS-11', rationale: 'Retention is defined' }], threats: ['denial-of-service'],
    remediation: { text: 'Add an enabled lifecycle rule that expires or transitions old objects.' },
  }),
  rule({
    id: 'github-org-2fa-required', title: 'The organisation requires two-factor authentication', severity: 'high', resource: 'github.organization', requires: ['twoFactorRequired'],
    condition: is('twoFactorRequired', true), csf: [{ id: 'PR.AA-03', rationale: 'Members authenticate with a second factor' }], threats: ['spoofing'],
    remediation: { text: 'Organisation settings → Authentication security → Require two-factor authentication.', cli: 'gh api -X PATCH orgs/ORG -f two_factor_requirement_enabled=true' },
    references: ['https://docs.github.com/en/organizations/keeping-your-organization-secure/managing-two-factor-authentication-for-your-organization/requiring-two-factor-authentication-in-your-organization'],
  }),
  rule({
    id: 'github-repo-default-branch-protected', title: 'The default branch requires reviews and blocks force pushes', severity: 'high', resource: 'github.repository', requires: ['branchProtected'],
    condition: is('branchProtected', true), csf: [{ id: 'PR.PS-01', rationale: 'Changes to what ships go through review' }], threats: ['tampering'],
    remediation: { text: 'Add a ruleset for the default branch: pull request with one approval, block force pushes and deletion.' },
  }),
  rule({
    id: 'github-repo-secret-scanning-enabled', title: 'Secret scanning is enabled', severity: 'medium', resource: 'github.repository', requires: ['secretScanning'],
    condition: is('secretScanning', true), csf: [{ id: 'DE.CM-09', rationale: 'Committed credentials are detected' }], threats: ['information-disclosure'],
    remediation: { text: 'Settings → Code security → enable secret scanning.' },
  }),
  rule({
    id: 'github-repo-security-policy-present', title: 'The repository has a security policy', severity: 'low', resource: 'github.repository', requires: ['securityPolicy'],
    condition: is('securityPolicy', true), csf: [{ id: 'GV.PO-01', rationale: 'The policy for reporting vulnerabilities is published' }], threats: ['information-disclosure'],
    remediation: { text: 'Add SECURITY.md saying how to report a vulnerability.' },
  }),
  rule({
    id: 'workflow-actions-pinned', title: 'Workflow actions are pinned to a full commit SHA', severity: 'high', resource: 'source.workflow', requires: ['actions'],
    condition: { type: 'object', properties: { actions: { type: 'array', items: { type: 'object', properties: { pinned: { const: true } } } } } },
    csf: [{ id: 'GV.SC-07', rationale: 'Third-party build steps are fixed to reviewed versions' }], threats: ['tampering', 'elevation-of-privilege'],
    message: '{{name}} uses {{evidenceCount}} action(s) not pinned to a full commit SHA', evidence: '{{uses}} is not pinned to a full commit SHA',
    remediation: { text: 'Replace each tag with the full commit SHA it points to, and let Dependabot update the pins.' },
  }),
  rule({
    id: 'source-no-committed-secrets', title: 'No credential is committed to the source tree', severity: 'critical', severityFrom: 'severity', resource: 'source.secret', requires: ['revoked'],
    condition: is('revoked', true), csf: [{ id: 'PR.AA-01', rationale: 'Credentials are not stored where readers of the code get them' }], threats: ['spoofing', 'information-disclosure'],
    message: 'A credential ({{attributes.type}}) is committed in {{name}}',
    remediation: { text: 'Revoke the credential now, then remove it from the tree and its history.' },
  }),
  rule({
    id: 'dependency-no-known-vulnerabilities', title: 'The dependency has no known vulnerability', severity: 'high', severityFrom: 'severity', resource: 'dependency.package', requires: ['vulnerable'],
    condition: is('vulnerable', false), csf: [{ id: 'ID.RA-01', rationale: 'Vulnerabilities in assets are identified' }], threats: ['tampering', 'elevation-of-privilege'],
    message: '{{name}} is affected by {{attributes.advisory}}',
    remediation: { text: 'Upgrade to the fixed version or later.' },
  }),
];

const bucket = (name: string, attributes: Record<string, unknown>, tags?: Record<string, string>): Resource => ({
  kind: 'aws.s3.bucket', id: `arn:aws:s3:::${name}`, name, source: 'aws-s3', scope: { account: ACCOUNT, region: 'eu-west-1' }, ...(tags ? { tags } : {}),
  attributes: { public: false, encryption: 'aws:kms', versioning: 'Enabled', replication: true, objectLock: false, logging: true, lifecycle: true, ...attributes },
});

const repo = (name: string, attributes: Record<string, unknown>): Resource => ({
  kind: 'github.repository', id: `https://github.com/acme-rockets/${name}`, name: `acme-rockets/${name}`, source: 'github', scope: { org: 'acme-rockets' },
  attributes: { visibility: 'private', branchProtected: true, secretScanning: true, securityPolicy: true, ...attributes },
});

const source = (id: SourceReport['id'], status: SourceReport['status'], extra: Partial<SourceReport> = {}): SourceReport => ({
  id, status, gaps: [], calls: { total: 0, byApi: {} }, durationMs: 0, notes: [], ...extra,
});

/** The Acme Rockets estate in miniature: AWS, GitHub and one source tree, with gaps, as the collectors would report it. */
export const sampleFacts = (overrides: { names?: Record<string, string>; paths?: Record<string, string> } = {}): FactsDocument => {
  const rename = (r: Resource): Resource => (overrides.names?.[r.id] ? { ...r, name: overrides.names[r.id] as string } : r);
  const resources: Resource[] = [
    { kind: 'aws.account', id: `aws:${ACCOUNT}`, name: 'acme-rockets-prod', source: 'aws-iam', scope: { account: ACCOUNT }, attributes: { rootMfaEnabled: false } },
    { kind: 'aws.region', id: `aws:${ACCOUNT}:eu-west-1`, name: 'eu-west-1', source: 'aws-iam', scope: { account: ACCOUNT, region: 'eu-west-1' }, attributes: { cloudtrailEnabled: true, guardDutyEnabled: false } },
    { kind: 'aws.region', id: `aws:${ACCOUNT}:us-east-1`, name: 'us-east-1', source: 'aws-iam', scope: { account: ACCOUNT, region: 'us-east-1' }, attributes: { cloudtrailEnabled: true, guardDutyEnabled: unknown('AccessDenied', 'guardduty:ListDetectors') } },
    { kind: 'aws.iam.user', id: `arn:aws:iam::${ACCOUNT}:user/deploy-bot`, name: 'deploy-bot', source: 'aws-iam', scope: { account: ACCOUNT }, tags: { team: 'platform' }, attributes: { consoleAccess: false, mfaEnabled: false, accessKeys: [{ id: 'AKIAIOSFODNN7EXAMPLE', createdAt: '2025-06-01T10:00:00Z' }] } },
    { kind: 'aws.iam.user', id: `arn:aws:iam::${ACCOUNT}:user/alice`, name: 'alice', source: 'aws-iam', scope: { account: ACCOUNT }, attributes: { consoleAccess: true, mfaEnabled: true, accessKeys: [] } },
    { kind: 'aws.iam.user', id: `arn:aws:iam::${ACCOUNT}:user/bob`, name: 'bob', source: 'aws-iam', scope: { account: ACCOUNT }, attributes: { consoleAccess: true, mfaEnabled: false, accessKeys: [{ id: 'AKIAI44QH8DHBEXAMPLE', createdAt: '2026-02-01T10:00:00Z' }] } },
    bucket('acme-customer-uploads', { public: true, encryption: 'AES256' }, { 'data-classification': 'restricted', team: 'payments' }),
    bucket('acme-payments-exports', { objectLock: true }, { 'data-classification': 'restricted', team: 'payments' }),
    bucket('acme-backups', { replication: unknown('AccessDenied', 's3:GetReplicationConfiguration'), objectLock: true, lifecycle: true }),
    bucket('acme-app-logs', { versioning: 'Suspended', lifecycle: false, logging: false, replication: false }),
    bucket('acme-website', { public: true, encryption: 'AES256', replication: false, logging: false }),
    bucket('acme-build-cache', { versioning: null, replication: false, lifecycle: false, logging: false, encryption: 'AES256' }),
    { kind: 'github.organization', id: 'https://github.com/acme-rockets', name: 'acme-rockets', source: 'github', scope: { org: 'acme-rockets' }, attributes: { twoFactorRequired: false } },
    repo('launch-control', { visibility: 'public', secretScanning: true }),
    repo('flight-software', { branchProtected: false, securityPolicy: false }),
    repo('website', { visibility: 'public', branchProtected: unknown('HTTP 403', 'admin on acme-rockets/website'), securityPolicy: false }),
    { kind: 'source.repository', id: TREE, name: 'launch-control', source: 'local-repo', scope: { tree: TREE }, attributes: {} },
    {
      kind: 'source.workflow', id: `${TREE}/.github/workflows/ci.yml`, name: '.github/workflows/ci.yml', source: 'local-repo', scope: { tree: TREE }, location: { path: overrides.paths?.workflow ?? '.github/workflows/ci.yml' },
      attributes: { actions: [
        { uses: 'actions/checkout@v4', line: 12, pinned: false },
        { uses: 'actions/setup-node@1d0ff469b7ec7b3cb9d8673fde0c81c44821de2a', line: 15, pinned: true },
        { uses: 'aws-actions/configure-aws-credentials@main', line: 21, pinned: false },
      ] },
    },
    {
      kind: 'source.secret', id: `${TREE}/config/deploy.env#aws-access-key:9f86d081`, name: 'config/deploy.env', source: 'secrets', scope: { tree: TREE }, location: { path: overrides.paths?.secret ?? 'config/deploy.env', line: 3 }, discriminator: '9f86d081',
      attributes: { type: 'AWS access key', severity: 'critical', revoked: false, preview: 'AKIA…MPLE' },
    },
    {
      kind: 'dependency.package', id: `${TREE}/package-lock.json#pkg:npm/lodash@4.17.15`, name: 'lodash@4.17.15', source: 'osv', scope: { tree: TREE }, location: { path: 'package-lock.json', line: 1044 }, discriminator: 'GHSA-35jh-r3h4-6jhm',
      attributes: { vulnerable: true, advisory: 'GHSA-35jh-r3h4-6jhm', severity: 'high' },
    },
    {
      kind: 'dependency.package', id: `${TREE}/package-lock.json#pkg:npm/minimist@1.2.5`, name: 'minimist@1.2.5', source: 'osv', scope: { tree: TREE }, location: { path: 'package-lock.json', line: 2210 }, discriminator: 'GHSA-xvch-5gv4-984h',
      attributes: { vulnerable: true, advisory: 'GHSA-xvch-5gv4-984h', severity: 'critical' },
    },
    {
      kind: 'dependency.package', id: `${TREE}/package-lock.json#pkg:npm/express@4.21.2`, name: 'express@4.21.2', source: 'osv', scope: { tree: TREE }, location: { path: 'package-lock.json', line: 812 },
      attributes: { vulnerable: false },
    },
  ];
  return {
    schemaVersion: '1',
    tool: { name: 'posture', version: '0.1.0' },
    scan: { startedAt: SCAN_TIME, targets: { path: '.', treeId: TREE }, demo: true },
    sources: [
      source('local-repo', 'complete', { durationMs: 41 }),
      source('secrets', 'complete', { durationMs: 230 }),
      source('osv', 'complete', { durationMs: 1900, calls: { total: 1, byApi: { 'osv-scanner': { calls: 1, retries: 0, throttles: 0, errors: 0, ms: 1890 } } } }),
      source('aws-iam', 'partial', {
        endpoint: 'https://iam.amazonaws.com', identity: `arn:aws:iam::${ACCOUNT}:role/posture-audit`, durationMs: 2100,
        gaps: [{ resource: `aws:${ACCOUNT}:us-east-1`, attributes: ['guardDutyEnabled'], reason: 'AccessDenied', permission: 'guardduty:ListDetectors' }],
        calls: { total: 14, byApi: { 'iam:ListUsers': { calls: 1, retries: 0, throttles: 0, errors: 0, ms: 120 }, 'guardduty:ListDetectors': { calls: 2, retries: 0, throttles: 0, errors: 1, ms: 90 } } },
      }),
      source('aws-s3', 'partial', {
        endpoint: 'https://s3.eu-west-1.amazonaws.com', identity: `arn:aws:iam::${ACCOUNT}:role/posture-audit`, durationMs: 3300,
        gaps: [{ resource: 'arn:aws:s3:::acme-backups', attributes: ['replication'], reason: 'AccessDenied', permission: 's3:GetReplicationConfiguration' }],
        calls: { total: 49, byApi: { ListBuckets: { calls: 1, retries: 0, throttles: 0, errors: 0, ms: 80 }, GetBucketReplication: { calls: 6, retries: 1, throttles: 1, errors: 1, ms: 400 } } },
      }),
      source('github', 'partial', {
        endpoint: 'https://api.github.com', identity: 'posture-reader[bot]', durationMs: 1500,
        gaps: [{ resource: 'https://github.com/acme-rockets/website', attributes: ['branchProtected'], reason: 'HTTP 403', permission: 'admin on acme-rockets/website' }],
        calls: { total: 9, byApi: { 'GET /orgs/{org}': { calls: 1, retries: 0, throttles: 0, errors: 0, ms: 60 } } },
        notes: ['GraphQL: 3 points used, 4997 remaining'],
      }),
    ],
    resources: resources.map(rename),
    excluded: ['node_modules/', 'vendor/'],
  };
};

export const sampleModelFile = (): string => path.join(FIXTURES, 'acme.threat-model.yaml');

export const loadSampleModel = (): LoadedThreatModel => ({
  model: loadThreatModelFile(createSchemaSet(), sampleModelFile()),
  source: 'file',
  file: 'threat-model.yaml',
});

/** A posture.yaml suppression that matches nothing (reported as stale). */
const configSuppressions = (): SuppressionSource[] => [
  { suppression: { rule: 'iam-user-mfa-enabled', resource: `arn:aws:iam::${ACCOUNT}:user/old-contractor`, reason: 'Account being removed', owner: 'it@acme.example', expires: '2026-06-30' }, source: 'posture.yaml' },
];

/** Evaluates the sample estate with the sample rules and model, as `posture scan` would. */
export const buildSampleResult = (facts: FactsDocument = sampleFacts(), loaded: LoadedThreatModel = loadSampleModel()): ResultDocument => {
  const rules = sampleRules();
  const scanTime = new Date(SCAN_TIME);
  const params = new Map(rules.map((r) => [r.id, Object.fromEntries(Object.entries(r.params ?? {}).map(([k, v]) => [k, v.default]))]));
  const result = evaluate(facts, {
    rules,
    params,
    scanTime,
    suppressions: [...configSuppressions(), ...acceptedRiskSuppressions(loaded)],
    configHash: hash('posture.yaml'),
    rulesHash: hash(rules.map((r) => r.id).join(',')),
    tool: { name: 'posture', version: '0.1.0' },
  });
  return { ...result, ...buildThreatModelSection(result, facts, loaded, scanTime) };
};

/** The estate a month earlier: alice had no MFA yet, bob had it, minimist's advisory was rated high. */
export const sampleBaselineFacts = (): FactsDocument => {
  const facts = sampleFacts();
  facts.scan.startedAt = '2026-02-02T09:00:00.000Z';
  for (const resource of facts.resources) {
    if (resource.name === 'alice') resource.attributes = { ...resource.attributes, mfaEnabled: false };
    if (resource.name === 'bob') resource.attributes = { ...resource.attributes, mfaEnabled: true };
    if (resource.name === 'minimist@1.2.5') resource.attributes = { ...resource.attributes, severity: 'high' };
  }
  return facts;
};
