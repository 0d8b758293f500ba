import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main.js';
import type { ResultDocument } from '../../../src/engine/types.js';
import { withFake } from './helpers.js';

describe('posture scan --sources aws-iam against an AWS-compatible endpoint', () => {
  let dir: string;
  let result: ResultDocument;
  let markdown: string;
  let code: number;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'posture-aws-iam-'));
    writeFileSync(path.join(dir, 'posture.yaml'), 'aws:\n  regions: [us-east-1, eu-west-1]\nlimits:\n  timeoutMs: 2000\n');
    const { stop } = await withFake({ reportReadyAfter: 0 });
    try {
      code = await main(['scan', dir, '--sources', 'aws-iam', '--out', path.join(dir, 'out'), '--format', 'json,md', '--scan-time', '2026-01-15T12:00:00Z', '--fail-on', 'high', '--log-level', 'silent'], process.env, dir);
    } finally {
      await stop();
    }
    result = JSON.parse(readFileSync(path.join(dir, 'out', 'result.json'), 'utf8')) as ResultDocument;
    markdown = readFileSync(path.join(dir, 'out', 'report.md'), 'utf8');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 for the failing high-severity findings', () => {
    assert.equal(code, 1);
  });

  it('puts the findings, the coverage and the API call counts in result.json', () => {
    const failing = (rule: string) => result.findings.filter((f) => f.ruleId === rule && f.status === 'fail').map((f) => f.resource.name).sort();
    assert.deepEqual(failing('iam-user-console-mfa-enabled'), ['bob', 'nina']);
    assert.deepEqual(failing('iam-user-access-key-rotated'), ['carol']);
    assert.deepEqual(failing('iam-user-unused-credentials-disabled'), ['erin', 'ken']);
    assert.deepEqual(failing('iam-user-single-active-access-key'), ['dave']);
    assert.deepEqual(failing('iam-user-no-administrator-access'), ['alice', 'carol', 'frank', 'grace', 'heidi', 'ken']);
    assert.deepEqual(failing('iam-password-policy-strong'), ['AWS account 111122223333']);
    const source = result.coverage.sources.find((s) => s.id === 'aws-iam');
    assert.equal(source?.status, 'partial', 'mallory is not in the credential report');
    assert.equal(source?.identity, 'arn:aws:iam::111122223333:user/posture-scanner');
    assert.ok((source?.calls.total ?? 0) >= 15);
    assert.equal(source?.calls.byApi['iam.GetAccountAuthorizationDetails']?.calls, 2);
  });

  it('shows AWS findings and the coverage in the Markdown report', () => {
    assert.match(markdown, /iam-user-no-administrator-access/);
    assert.match(markdown, /iam-password-policy-strong/);
    assert.match(markdown, /aws-iam/);
  });
});
