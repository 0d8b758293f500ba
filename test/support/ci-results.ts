import { evaluate } from '../../src/engine/evaluate.js';
import type { SuppressionSource } from '../../src/engine/suppressions.js';
import type { ResultDocument, Rule } from '../../src/engine/types.js';
import type { FactsDocument, Resource, SourceReport } from '../../src/facts/types.js';
import { unknown } from '../../src/facts/types.js';
import { makeRule } from './rules.js';

const TREE = 'https://github.com/acme/rockets';

/** Rules over every scope the CI formats care about: files, dependencies, secrets, cloud, organisation. */
export const ciRules = (): Rule[] => [
  makeRule({
    id: 'workflow-actions-pinned',
    title: 'Workflow actions are pinned to a full commit SHA',
    description: 'Every action is referenced by a full commit SHA.',
    risk: 'Tags are mutable.',
    severity: 'medium',
    resource: 'source.workflow',
    requires: ['actions'],
    condition: { properties: { actions: { items: { properties: { pinned: { const: true } }, required: ['pinned'] } } } },
    csf: [{ id: 'ID.RA-09', rationale: 'Pinned code is reviewed code.' }, { id: 'PR.PS-06', rationale: 'Immutable build dependencies.' }],
    threats: ['tampering', 'elevation-of-privilege'],
    message: '{{name}} uses {{evidenceCount}} action(s) not pinned to a full commit SHA',
    evidence: '{{uses}} is not pinned to a full commit SHA',
    remediation: { text: 'Pin each action to a commit SHA.', cli: 'git ls-remote https://github.com/OWNER/ACTION refs/tags/vX.Y.Z' },
    references: ['https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions'],
  }),
  makeRule({
    id: 'dependency-no-known-vulnerabilities',
    title: 'Dependencies have no known vulnerabilities',
    description: 'No package matches an advisory.',
    risk: 'Known vulnerabilities are exploited first.',
    severity: 'high',
    severityFrom: 'severity',
    resource: 'dependency.package',
    requires: ['vulnerable'],
    condition: { properties: { vulnerable: { const: false } }, required: ['vulnerable'] },
    csf: [{ id: 'ID.RA-01', rationale: 'Vulnerabilities in assets are identified.' }],
    threats: ['tampering'],
    message: '{{name}} is affected by {{attributes.advisory}}',
    remediation: { text: 'Upgrade to a fixed version.' },
  }),
  makeRule({
    id: 'secrets-not-committed',
    title: 'No secrets are committed',
    description: 'The tree holds no live credentials.',
    risk: 'Anyone with read access can use a committed credential.',
    severity: 'critical',
    severityFrom: 'severity',
    resource: 'source.secret',
    requires: ['committed'],
    condition: { properties: { committed: { const: false } }, required: ['committed'] },
    csf: [{ id: 'PR.AA-01', rationale: 'Credentials are managed.' }],
    threats: ['spoofing', 'information-disclosure'],
    message: '{{name}} contains a secret',
    remediation: { text: 'Revoke the secret and remove it from history.' },
  }),
  makeRule({
    id: 's3-bucket-encrypted',
    title: 'S3 buckets are encrypted',
    severity: 'high',
    resource: 'aws.s3.bucket',
    requires: ['enabled'],
    condition: { properties: { enabled: { const: true } }, required: ['enabled'] },
    remediation: { text: 'Enable default encryption.', terraform: 'resource "aws_s3_bucket_server_side_encryption_configuration" "x" {}' },
  }),
  makeRule({
    id: 'github-org-2fa-required',
    title: 'The organisation requires two-factor authentication',
    severity: 'critical',
    resource: 'github.organization',
    requires: ['twoFactorRequired'],
    condition: { properties: { twoFactorRequired: { const: true } }, required: ['twoFactorRequired'] },
    csf: [{ id: 'PR.AA-03', rationale: 'Users are authenticated.' }],
    threats: ['spoofing'],
    remediation: { text: 'Require 2FA for members.' },
  }),
  makeRule({
    id: 'source-security-policy-present',
    title: 'A security policy is present',
    severity: 'info',
    resource: 'source.repository',
    requires: ['securityPolicy'],
    condition: { properties: { securityPolicy: { const: true } }, required: ['securityPolicy'] },
    csf: [{ id: 'GV.PO-01', rationale: 'Policy is established.' }],
    threats: [],
    remediation: { text: 'Add SECURITY.md.' },
  }),
];

/** A small estate with every kind of finding: located, pseudo-located, suppressed, expired, unknown. */
export const ciResources = (): Resource[] => [
  {
    kind: 'source.workflow',
    id: `${TREE}/.github/workflows/ci.yml`,
    name: '.github/workflows/ci.yml',
    source: 'local-repo',
    location: { path: '.github/workflows/ci.yml' },
    attributes: {
      actions: [
        { uses: 'actions/checkout@v4', line: 9, pinned: false },
        { uses: 'actions/setup-node@11bd71901bbe5b1630ceea73d27597364c9af683', line: 12, pinned: true },
        { uses: 'tj-actions/changed-files@v45', line: 17, pinned: false },
      ],
    },
  },
  {
    kind: 'source.workflow',
    id: `${TREE}/.github/workflows/release.yml`,
    name: '.github/workflows/release.yml',
    source: 'local-repo',
    location: { path: '.github/workflows/release.yml' },
    attributes: { actions: [{ uses: 'actions/checkout@v4', line: 5, pinned: false }] },
  },
  {
    kind: 'dependency.package',
    id: `${TREE}/package-lock.json#pkg:npm/lodash@4.17.15`,
    name: 'lodash@4.17.15',
    source: 'osv',
    location: { path: 'package-lock.json', line: 120 },
    discriminator: 'GHSA-p6mc-m468-83gw',
    attributes: { vulnerable: true, severity: 'high', advisory: 'GHSA-p6mc-m468-83gw' },
  },
  {
    kind: 'dependency.package',
    id: `${TREE}/package-lock.json#pkg:npm/minimist@1.2.5`,
    name: 'minimist@1.2.5',
    source: 'osv',
    location: { path: 'package-lock.json', line: 200 },
    discriminator: 'GHSA-xvch-5gv4-984h',
    attributes: { vulnerable: true, severity: 'critical', advisory: 'GHSA-xvch-5gv4-984h' },
  },
  {
    kind: 'source.secret',
    id: `${TREE}/config/dev.env#github-token:1a2b3c4d`,
    name: 'config/dev.env',
    source: 'secrets',
    location: { path: 'config/dev.env', line: 3 },
    discriminator: '1a2b3c4d5e6f',
    attributes: { committed: true, severity: 'critical' },
  },
  bucketResource('acme-logs', false),
  bucketResource('acme-public-assets', false),
  bucketResource('acme-legacy', false),
  bucketResource('acme-data', unknown('AccessDenied', 's3:GetEncryptionConfiguration')),
  bucketResource('acme-ok', true),
  {
    kind: 'github.organization',
    id: 'https://github.com/acme',
    name: 'acme',
    source: 'github',
    scope: { org: 'acme' },
    attributes: { twoFactorRequired: false },
  },
  { kind: 'source.repository', id: TREE, name: 'rockets', source: 'local-repo', attributes: { securityPolicy: false } },
];

function bucketResource(name: string, enabled: unknown): Resource {
  return { kind: 'aws.s3.bucket', id: `arn:aws:s3:::${name}`, name, source: 'aws-s3', scope: { account: '123456789012', region: 'eu-west-1' }, attributes: { enabled } };
}

export const ciSources = (): SourceReport[] => [
  { id: 'local-repo', status: 'complete', gaps: [], calls: { total: 0, byApi: {} }, durationMs: 3, notes: [] },
  {
    id: 'aws-s3',
    status: 'partial',
    gaps: [{ resource: 'arn:aws:s3:::acme-data', attributes: ['enabled'], reason: 'AccessDenied', permission: 's3:GetEncryptionConfiguration' }],
    calls: { total: 9, byApi: {} },
    durationMs: 40,
    notes: [],
  },
];

export const ciSuppressions = (): SuppressionSource[] => [
  {
    suppression: { rule: 's3-bucket-encrypted', resource: 'arn:aws:s3:::acme-public-*', reason: 'Public assets, nothing confidential', owner: 'platform@acme.example', expires: '2026-12-31', ticket: 'SEC-42' },
    source: 'posture.yaml',
  },
  {
    suppression: { rule: 's3-bucket-encrypted', resource: 'arn:aws:s3:::acme-legacy', reason: 'Migration pending', owner: 'data@acme.example', expires: '2026-01-31' },
    source: '.posture-ignore.yaml',
  },
  {
    suppression: { rule: 'workflow-actions-pinned', resource: `${TREE}/.github/workflows/gone.yml`, reason: 'Removed soon', owner: 'ci@acme.example', expires: '2026-06-30' },
    source: '.posture-ignore.yaml',
  },
];

/** Evaluates the CI estate at a fixed scan time, so the output is byte-for-byte stable. */
export const ciResult = (options: { resources?: Resource[]; rules?: Rule[]; scanTime?: string; path?: string } = {}): ResultDocument => {
  const scanTime = options.scanTime ?? '2026-03-01T00:00:00.000Z';
  const facts: FactsDocument = {
    schemaVersion: '1',
    tool: { name: 'posture', version: '0.1.0' },
    scan: { startedAt: scanTime, targets: { path: options.path ?? '.', treeId: TREE } },
    sources: ciSources(),
    resources: options.resources ?? ciResources(),
    excluded: [],
  };
  const result = evaluate(facts, {
    rules: options.rules ?? ciRules(),
    params: new Map(),
    scanTime: new Date(scanTime),
    suppressions: ciSuppressions(),
    configHash: '0'.repeat(64),
    rulesHash: '1'.repeat(64),
    tool: { name: 'posture', version: '0.1.0' },
  });
  return result;
};
