import assert from 'node:assert/strict';
import { evaluate } from '../../src/engine/evaluate.js';
import type { ResultDocument } from '../../src/engine/types.js';
import { assertValid, createSchemaSet } from '../../src/facts/documents.js';
import { unknown, type FactsDocument, type Resource } from '../../src/facts/types.js';
import { deriveExposures, exposureAttributes, exposureKey } from '../../src/threat-model/exposure.js';
import { acceptedRiskSuppressions, defaultThreatModel } from '../../src/threat-model/model.js';
import { buildThreatModelSection, threatModelInventory } from '../../src/threat-model/register.js';
import { bandOf, scoreRisk } from '../../src/threat-model/risk.js';
import { assignResources, compileSelector } from '../../src/threat-model/select.js';
import type { LoadedThreatModel, ThreatModel } from '../../src/threat-model/types.js';
import { buildSampleResult, loadSampleModel, SCAN_TIME, sampleFacts, sampleRules } from './support/sample.js';

const schemas = createSchemaSet();

const res = (kind: Resource['kind'], id: string, extra: Partial<Resource> = {}): Resource => ({ kind, id, name: id, source: 'aws-s3', attributes: {}, ...extra });

describe('asset selectors', () => {
  it('match kind and id globs anchored and case-sensitive, with * crossing slashes and colons', () => {
    const select = compileSelector({ kind: 'aws.s3.*', id: 'arn:aws:s3:::acme-*' });
    assert.equal(select(res('aws.s3.bucket', 'arn:aws:s3:::acme-logs')), true);
    assert.equal(select(res('aws.s3.bucket', 'arn:aws:s3:::ACME-logs')), false);
    assert.equal(select(res('aws.s3.bucket', 'xarn:aws:s3:::acme-logs')), false);
    assert.equal(select(res('aws.iam.user', 'arn:aws:s3:::acme-logs')), false);
    assert.equal(compileSelector({ id: 'https://github.com/acme/*' })(res('github.repository', 'https://github.com/acme/a/b')), true);
  });

  it('treat dots and other regular-expression characters literally and ? as one character', () => {
    const select = compileSelector({ id: 'arn:aws:s3:::a.b?' });
    assert.equal(select(res('aws.s3.bucket', 'arn:aws:s3:::a.bc')), true);
    assert.equal(select(res('aws.s3.bucket', 'arn:aws:s3:::axbc')), false);
    assert.equal(select(res('aws.s3.bucket', 'arn:aws:s3:::a.bcd')), false);
  });

  it('need every named tag present with a matching value', () => {
    const select = compileSelector({ tags: { env: 'prod*', team: 'payments' } });
    assert.equal(select(res('aws.s3.bucket', 'x', { tags: { env: 'production', team: 'payments' } })), true);
    assert.equal(select(res('aws.s3.bucket', 'x', { tags: { env: 'production' } })), false);
    assert.equal(select(res('aws.s3.bucket', 'x', { tags: { env: 'staging', team: 'payments' } })), false);
    assert.equal(select(res('aws.s3.bucket', 'x')), false);
  });

  it('give each resource to the first asset that selects it, and return the rest', () => {
    const assets: ThreatModel['assets'] = [
      { id: 'special', name: 'Special', classification: 'restricted', owner: 'o', select: [{ id: 'arn:aws:s3:::secret-*' }, { tags: { data: 'pii' } }] },
      { id: 'buckets', name: 'Buckets', classification: 'internal', owner: 'o', select: { kind: 'aws.s3.bucket' } },
    ];
    const resources = [
      res('aws.s3.bucket', 'arn:aws:s3:::secret-a'),
      res('aws.s3.bucket', 'arn:aws:s3:::plain', { tags: { data: 'pii' } }),
      res('aws.s3.bucket', 'arn:aws:s3:::other'),
      res('aws.iam.user', 'arn:aws:iam::1:user/x'),
    ];
    const { byAsset, unmatched } = assignResources(assets, resources);
    assert.deepEqual(byAsset.get('special')?.map((r) => r.id), ['arn:aws:s3:::secret-a', 'arn:aws:s3:::plain']);
    assert.deepEqual(byAsset.get('buckets')?.map((r) => r.id), ['arn:aws:s3:::other']);
    assert.deepEqual(unmatched.map((r) => r.id), ['arn:aws:iam::1:user/x']);
  });
});

describe('exposure', () => {
  it('reads only attributes that the kinds\' schemas define', () => {
    const schemas = createSchemaSet();
    for (const [kind, attributes] of Object.entries(exposureAttributes())) {
      const schema = schemas.ajv.getSchema(`https://posture.dev/schemas/kinds/${kind}.schema.json`)?.schema as { properties?: Record<string, unknown> } | undefined;
      assert.ok(schema, `no schema for ${kind}`);
      for (const attribute of attributes) assert.ok(schema.properties?.[attribute], `${kind} has no attribute ${attribute}`);
    }
  });

  const verdict = (resources: Resource[], tree?: string) => {
    const map = deriveExposures(resources, tree);
    return (r: Resource) => map.get(exposureKey(r));
  };

  it('is public for a public bucket, unknown when its public status could not be read or was not collected', () => {
    const open = res('aws.s3.bucket', 'arn:aws:s3:::open', { attributes: { public: true } });
    const closed = res('aws.s3.bucket', 'arn:aws:s3:::closed', { attributes: { public: false } });
    const denied = res('aws.s3.bucket', 'arn:aws:s3:::denied', { attributes: { public: unknown('AccessDenied', 's3:GetBucketPolicyStatus') } });
    const uncollected = res('aws.s3.bucket', 'arn:aws:s3:::uncollected');
    const of = verdict([open, closed, denied, uncollected]);
    assert.equal(of(open)?.exposure, 'public');
    assert.equal(of(closed)?.exposure, 'internet-facing');
    assert.equal(of(denied)?.exposure, 'unknown');
    assert.match(of(denied)?.reason ?? '', /s3:GetBucketPolicyStatus/);
    assert.equal(of(uncollected)?.exposure, 'unknown');
  });

  it('finds a bucket public from an unblocked grant even when the overall verdict could not be made', () => {
    const grant = { grantee: 'AllUsers', permission: 'READ', blocked: false, blockedBy: null };
    const open = res('aws.s3.bucket', 'arn:aws:s3:::open', { attributes: { public: unknown('AccessDenied', 's3:GetBucketPublicAccessBlock'), publicAclGrants: [grant] } });
    const blocked = res('aws.s3.bucket', 'arn:aws:s3:::blocked', { attributes: { public: unknown('AccessDenied', 's3:GetBucketPublicAccessBlock'), publicAclGrants: [{ ...grant, blocked: true, blockedBy: 'bucket' }] } });
    const of = verdict([open, blocked]);
    assert.equal(of(open)?.exposure, 'public');
    assert.equal(of(blocked)?.exposure, 'unknown');
  });

  it('counts a role anyone can assume as public, and one limited to an organisation or a pinned subject as internet-facing', () => {
    const principal = { principal: '*', type: 'any', account: null, accountScope: 'none', externalId: false, orgCondition: false, subCondition: false, conditional: false, actions: ['sts:AssumeRole'] };
    const anyone = res('aws.iam.role', 'arn:aws:iam::1:role/anyone', { attributes: { trustedPrincipals: [principal] } });
    const org = res('aws.iam.role', 'arn:aws:iam::1:role/org', { attributes: { trustedPrincipals: [{ ...principal, orgCondition: true, conditional: true }] } });
    const oidc = { ...principal, principal: 'arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com', type: 'web-identity', account: '1', accountScope: 'in-scope' };
    const loose = res('aws.iam.role', 'arn:aws:iam::1:role/loose', { attributes: { trustedPrincipals: [oidc] } });
    const pinned = res('aws.iam.role', 'arn:aws:iam::1:role/pinned', { attributes: { trustedPrincipals: [{ ...oidc, subCondition: true }] } });
    const unreadable = res('aws.iam.role', 'arn:aws:iam::1:role/unreadable', { attributes: { trustedPrincipals: unknown('Unparseable') } });
    const of = verdict([anyone, org, loose, pinned, unreadable]);
    assert.deepEqual([anyone, org, loose, pinned, unreadable].map((r) => of(r)?.exposure), ['public', 'internet-facing', 'public', 'internet-facing', 'unknown']);
  });

  it('follows a repository\'s visibility, and source-tree resources take it from their hosting repository', () => {
    const tree = 'https://github.com/acme/app';
    const repo = res('github.repository', tree, { source: 'github', attributes: { visibility: 'public' } });
    const secret = res('source.secret', `${tree}/config/.env#aws-access-key:12345678`, { source: 'secrets' });
    const pkg = res('dependency.package', `${tree}/package-lock.json#pkg:npm/lodash@4.17.15`, { source: 'osv' });
    const of = verdict([repo, secret, pkg], tree);
    assert.equal(of(repo)?.exposure, 'public');
    assert.equal(of(secret)?.exposure, 'public');
    assert.equal(of(pkg)?.exposure, 'public');
    assert.equal(verdict([{ ...repo, attributes: { visibility: 'private' } }, secret], tree)(secret)?.exposure, 'internet-facing');
    assert.equal(verdict([{ ...repo, attributes: { visibility: unknown('HTTP 403') } }, secret], tree)(secret)?.exposure, 'unknown');
  });

  it('is unknown for a tree hosted somewhere the scan did not look, internal for a tree with no remote', () => {
    const hosted = res('source.workflow', 'https://gitlab.example/acme/app/.github/workflows/ci.yml', { source: 'local-repo' });
    assert.equal(verdict([hosted], 'https://gitlab.example/acme/app')(hosted)?.exposure, 'unknown');
    const local = res('source.workflow', 'app/.github/workflows/ci.yml', { source: 'local-repo' });
    assert.equal(verdict([local], 'app')(local)?.exposure, 'internal');
  });
});

describe('risk score', () => {
  it('multiplies severity, classification and exposure and shows the arithmetic', () => {
    const scored = scoreRisk('high', 'restricted', 'public');
    assert.equal(scored.score, 84);
    assert.equal(scored.band, 'critical');
    assert.equal(scored.formula, 'high 7 × restricted 4 × public 3 = 84');
  });

  it('ranks a public bucket of restricted data above a missing lifecycle rule on a log bucket', () => {
    assert.ok(scoreRisk('high', 'restricted', 'public').score > scoreRisk('low', 'internal', 'internet-facing').score);
    assert.equal(scoreRisk('low', 'internal', 'internet-facing').band, 'low');
  });

  it('scores unknown exposure like internet-facing: above internal, below public', () => {
    assert.equal(scoreRisk('medium', 'internal', 'unknown').score, scoreRisk('medium', 'internal', 'internet-facing').score);
    assert.ok(scoreRisk('medium', 'internal', 'unknown').score > scoreRisk('medium', 'internal', 'internal').score);
    assert.ok(scoreRisk('medium', 'internal', 'unknown').score < scoreRisk('medium', 'internal', 'public').score);
  });

  it('puts band boundaries where the formula says', () => {
    assert.deepEqual([bandOf(60), bandOf(59), bandOf(30), bandOf(29), bandOf(12), bandOf(11), bandOf(1), bandOf(0)], ['critical', 'high', 'high', 'medium', 'medium', 'low', 'low', 'none']);
  });
});

describe('threat-model section of the sample estate', () => {
  let result: ResultDocument;
  before(() => {
    result = buildSampleResult();
  });

  it('validates against the result schema', () => {
    assertValid(schemas, 'result', result, 'sample result');
  });

  it('puts every resource in exactly one asset; unselected ones become default assets of the default classification', () => {
    const facts = sampleFacts();
    const members = result.assets!.flatMap((a) => a.resources.map((r) => exposureKey(r)));
    assert.equal(members.length, facts.resources.length);
    assert.equal(new Set(members).size, facts.resources.length);
    const cache = result.assets!.find((a) => a.id === 'aws.s3.bucket:arn:aws:s3:::acme-build-cache');
    assert.equal(cache?.source, 'default');
    assert.equal(cache?.classification, 'internal');
    assert.equal(cache?.owner, 'platform@acme.example');
  });

  it('orders risks by residual score, highest first, with the public restricted bucket on top', () => {
    const risks = result.risks!;
    for (let i = 1; i < risks.length; i++) assert.ok(risks[i - 1]!.residual >= risks[i]!.residual, `risk ${i} out of order`);
    assert.equal(risks[0]?.ruleId, 's3-bucket-not-public');
    assert.equal(risks[0]?.resource.name, 'acme-customer-uploads');
    assert.equal(risks[0]?.formula, 'critical 10 × restricted 4 × public 3 = 120');
    const lifecycle = risks.find((r) => r.ruleId === 's3-bucket-lifecycle-configured' && r.resource.name === 'acme-app-logs');
    assert.equal(lifecycle?.band, 'low');
  });

  it('scores every failing and suppressed finding once, and nothing else', () => {
    const scored = result.findings.filter((f) => f.status === 'fail' || f.status === 'suppressed').map((f) => f.fingerprint).sort();
    assert.deepEqual(result.risks!.map((r) => r.fingerprint).sort(), scored);
  });

  it('brings an active accepted risk to residual 0, and reports an expired one at full score', () => {
    const website = result.risks!.find((r) => r.ruleId === 's3-bucket-not-public' && r.resource.name === 'acme-website');
    assert.equal(website?.state, 'accepted');
    assert.equal(website?.residual, 0);
    assert.equal(website?.score, 30);
    assert.equal(website?.acceptance?.owner, 'marketing@acme.example');
    const cache = result.risks!.find((r) => r.ruleId === 's3-bucket-versioning-enabled' && r.resource.name === 'acme-build-cache');
    assert.equal(cache?.state, 'acceptance-expired');
    assert.equal(cache?.residual, cache?.score);
    assert.ok((cache?.residual ?? 0) > 0);
  });

  it('gives every asset six register entries, one per STRIDE category', () => {
    assert.ok(result.assets!.every((a) => a.resources.length > 0));
    assert.equal(result.threatRegister!.length, result.assets!.length * 6);
  });

  it('builds the same section from the slim inventory that evaluate keeps as from the facts', () => {
    const facts = sampleFacts();
    const inventory = threatModelInventory(facts);
    assert.ok(inventory.some((item) => Object.keys(item.attributes).length > 0), 'exposure attributes are kept');
    assert.ok(facts.resources.some((r, i) => Object.keys(r.attributes).length > Object.keys(inventory[i]!.attributes).length), 'other attributes are not');
    const section = buildThreatModelSection(result, inventory, loadSampleModel(), SCAN_TIME);
    assert.deepEqual(section, buildThreatModelSection(result, facts, loadSampleModel(), SCAN_TIME));
    assert.ok(section.assets.some((a) => a.exposure === 'public'), 'exposure read from the kept attributes');
  });

  it("takes a cell's risk from its own findings, also when two findings share a fingerprint", () => {
    // The same committed secret twice (the same kind, id and discriminator), once critical and once
    // low: two failing findings with one fingerprint and two residual risks.
    const facts = sampleFacts();
    const secret = facts.resources.find((r) => r.kind === 'source.secret')!;
    facts.resources.push({ ...secret, attributes: { ...secret.attributes, severity: 'low' } });
    const twice = buildSampleResult(facts);
    const fingerprint = twice.findings.find((f) => f.resource.id === secret.id)!.fingerprint;
    const residuals = twice.risks!.filter((r) => r.fingerprint === fingerprint).map((r) => r.residual);
    assert.equal(residuals.length, 2);
    assert.notEqual(residuals[0], residuals[1]);
    const cells = twice.threatRegister!.filter((cell) => cell.rules.some((rule) => rule.findings.includes(fingerprint)) && cell.status === 'at-risk');
    assert.ok(cells.length > 0);
    for (const cell of cells) assert.equal(cell.risk, Math.max(...residuals), `${cell.asset} ${cell.threat}`);
  });

  it('keeps an asset that selects nothing in the inventory, out of the register', () => {
    const loaded = loadSampleModel();
    loaded.model.assets.push({ id: 'gone', name: 'Decommissioned', classification: 'restricted', owner: 'o', select: { id: 'arn:aws:s3:::no-such-bucket' } });
    const section = buildThreatModelSection(result, sampleFacts(), loaded, SCAN_TIME);
    const gone = section.assets.find((a) => a.id === 'gone');
    assert.deepEqual(gone?.resources, []);
    assert.equal(gone?.exposure, 'unknown');
    assert.equal(section.threatRegister.filter((e) => e.asset === 'gone').length, 0);
  });

  it('marks cells at risk, unverified, accepted, mitigated or not covered from the findings', () => {
    const cell = (asset: string, threat: string) => result.threatRegister!.find((e) => e.asset === asset && e.threat === threat);
    assert.equal(cell('customer-data', 'information-disclosure')?.status, 'at-risk');
    assert.equal(cell('customer-data', 'information-disclosure')?.risk, 120);
    assert.equal(cell('backups', 'denial-of-service')?.status, 'unverified');
    assert.match(cell('backups', 'denial-of-service')?.rules.find((r) => r.ruleId === 's3-bucket-replication-enabled')?.evidence[0] ?? '', /s3:GetReplicationConfiguration/);
    assert.equal(cell('public-website', 'information-disclosure')?.status, 'at-risk');
    assert.equal(cell('backups', 'information-disclosure')?.status, 'mitigated');
    assert.equal(cell('backups', 'spoofing')?.status, 'not-covered');
    assert.deepEqual(cell('backups', 'spoofing')?.rules, []);
  });

  it('names the attackers of the model that bring each category', () => {
    const entry = result.threatRegister!.find((e) => e.asset === 'logs' && e.threat === 'repudiation');
    assert.deepEqual(entry?.attackers, ['insider']);
    const tampering = result.threatRegister!.find((e) => e.asset === 'logs' && e.threat === 'tampering');
    assert.deepEqual(tampering?.attackers, ['external', 'insider', 'supply-chain']);
  });

  it('carries evidence of failing findings with lines into the register', () => {
    const entry = result.threatRegister!.find((e) => e.asset === 'source-code' && e.threat === 'tampering');
    const pinned = entry?.rules.find((r) => r.ruleId === 'workflow-actions-pinned');
    assert.equal(pinned?.status, 'fail');
    assert.deepEqual(pinned?.evidence, [
      '.github/workflows/ci.yml: line 12: actions/checkout@v4 is not pinned to a full commit SHA',
      '.github/workflows/ci.yml: line 21: aws-actions/configure-aws-credentials@main is not pinned to a full commit SHA',
    ]);
  });

  it('raises exposure to the declared floor and to internet-facing in an untrusted zone', () => {
    const website = result.assets!.find((a) => a.id === 'public-website');
    assert.equal(website?.declaredExposure, 'public');
    assert.equal(website?.exposure, 'public');
  });

  it('is deterministic', () => {
    assert.deepEqual(buildSampleResult(), result);
  });
});

describe('default model and accepted-risk expiry', () => {
  const facts = (): FactsDocument => sampleFacts();
  const evaluateAt = (scanTime: string, loaded: LoadedThreatModel): ResultDocument => {
    const rules = sampleRules();
    const f = facts();
    const result = evaluate(f, {
      rules,
      params: new Map(rules.map((r) => [r.id, Object.fromEntries(Object.entries(r.params ?? {}).map(([k, v]) => [k, v.default]))])),
      scanTime: new Date(scanTime),
      suppressions: acceptedRiskSuppressions(loaded),
      configHash: '0'.repeat(64),
      rulesHash: '1'.repeat(64),
      tool: { name: 'posture', version: '0' },
    });
    return { ...result, ...buildThreatModelSection(result, f, loaded, scanTime) };
  };

  it('makes every resource an asset of classification internal under the default model', () => {
    const result = evaluateAt(SCAN_TIME, { model: defaultThreatModel(), source: 'default' });
    assert.equal(result.assets!.length, facts().resources.length);
    assert.ok(result.assets!.every((a) => a.source === 'default' && a.classification === 'internal' && a.resources.length === 1));
    assert.equal(result.threatModel?.source, 'default');
    assert.match(result.threatModel?.name ?? '', /launch-control/);
    assertValid(schemas, 'result', result, 'default-model result');
  });

  it('raises an asset in an untrusted zone to at least internet-facing, and scores its risks so', () => {
    const model: ThreatModel = {
      name: 'Zones',
      assets: [{ id: 'tree', name: 'Tree', classification: 'confidential', owner: 'o', zone: 'dmz', select: { kind: 'source.*' } }],
      trustZones: [{ id: 'dmz', name: 'DMZ', trust: 'untrusted' }],
    };
    const f = facts();
    f.resources = f.resources.filter((r) => r.kind !== 'github.repository');
    const rules = sampleRules();
    const result = evaluate(f, { rules, params: new Map(rules.map((r) => [r.id, { maxAgeDays: 90 }])), scanTime: new Date(SCAN_TIME), suppressions: [], configHash: '0'.repeat(64), rulesHash: '1'.repeat(64), tool: { name: 'posture', version: '0' } });
    const section = buildThreatModelSection(result, f, { model, source: 'file' }, SCAN_TIME);
    const tree = section.assets.find((a) => a.id === 'tree');
    assert.ok(tree?.resources.every((r) => r.exposure === 'unknown'), 'hosted on github.com, visibility not collected');
    assert.equal(tree?.exposure, 'internet-facing');
    const secret = section.risks.find((r) => r.ruleId === 'source-no-committed-secrets');
    assert.equal(secret?.exposure, 'internet-facing');
  });

  it('keeps an accepted risk accepted through the last day of its expiry, and counts it again the day after', () => {
    const loaded = loadSampleModel();
    const website = (r: ResultDocument) => r.risks!.find((x) => x.ruleId === 's3-bucket-not-public' && x.resource.name === 'acme-website');
    const lastDay = evaluateAt('2026-12-31T23:59:59.000Z', loaded);
    assert.equal(website(lastDay)?.state, 'accepted');
    assert.equal(website(lastDay)?.residual, 0);
    const after = evaluateAt('2027-01-01T00:00:00.000Z', loaded);
    assert.equal(website(after)?.state, 'acceptance-expired');
    assert.equal(website(after)?.residual, 30);
    assert.equal(after.suppressions.find((s) => s.resource === 'arn:aws:s3:::acme-website')?.state, 'expired');
    assert.ok(after.risks!.indexOf(website(after)!) < lastDay.risks!.indexOf(website(lastDay)!), 'an expired acceptance moves the risk up the list');
  });
});
