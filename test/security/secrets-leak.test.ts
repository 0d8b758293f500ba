import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { awsEnvFor, DEMO_AWS_IAM, startFixtureAws, type FixtureFake } from '../support/fake-aws/index.js';
import { createFakeS3, DEMO_AWS_S3, loadFakeS3State } from '../support/fake-aws/s3.js';
import { checksStateOf } from '../support/fake-github/checks.js';
import { fixturesFromScenario } from '../support/fake-github/fixtures.js';
import { startFakeGithub, type FakeGithub } from '../support/fake-github/server.js';
import { actionsEnv, startCiFakeGithub } from '../support/ci-github.js';
import { runCli } from '../support/cli.js';
import { tempTree } from '../support/temp.js';

// Made-up values only: every one is generated here, has the shape of a real credential, and is
// valid nowhere. `body` is the part that is secret (prefixes like `ghp_` are public).
const chars = (seed: number, length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'): string => {
  let state = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    // The high bits: an LCG's low bits repeat with a short period.
    out += alphabet[(state >>> 12) % alphabet.length];
  }
  return out;
};
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const pem = (label: string, seed: number): { value: string; body: string } => {
  const body = Array.from({ length: 8 }, (_, i) => chars(seed + i, 64, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')).join('\n');
  return { value: `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`, body };
};

type Planted = { kind: string; value: string; body: string };
const secret = (kind: string, prefix: string, body: string, suffix = ''): Planted => ({ kind, value: `${prefix}${body}${suffix}`, body });

const SECRETS: Planted[] = [
  secret('aws-access-key-id', 'AKIA', chars(11, 16, UPPER)),
  secret('aws-secret-access-key', '', chars(12, 40)),
  secret('github-pat-classic', 'ghp_', chars(13, 36)),
  secret('github-oauth', 'gho_', chars(14, 36)),
  secret('github-user-to-server', 'ghu_', chars(15, 36)),
  secret('github-server-to-server', 'ghs_', chars(16, 36)),
  secret('github-refresh', 'ghr_', chars(17, 36)),
  secret('github-fine-grained', 'github_pat_', `${chars(18, 22)}_${chars(19, 59)}`),
  secret('slack-bot', 'xoxb-', `${chars(20, 12, '0123456789')}-${chars(21, 13, '0123456789')}-${chars(22, 24)}`),
  secret('slack-user', 'xoxp-', `${chars(23, 12, '0123456789')}-${chars(24, 12, '0123456789')}-${chars(25, 13, '0123456789')}-${chars(26, 32, '0123456789abcdef')}`),
  secret('slack-app', 'xapp-1-', `A${chars(27, 10, UPPER)}-${chars(28, 13, '0123456789')}-${chars(29, 64, '0123456789abcdef')}`),
  { kind: 'rsa-private-key', ...pem('RSA PRIVATE KEY', 30) },
  { kind: 'ec-private-key', ...pem('EC PRIVATE KEY', 40) },
  { kind: 'openssh-private-key', ...pem('OPENSSH PRIVATE KEY', 50) },
  secret('npm-token', 'npm_', chars(60, 36)),
  secret('stripe-live-key', 'sk_live_', chars(61, 24)),
  secret('password', '', `Pr0d!${chars(62, 14)}`),
  secret('basic-auth-url-password', '', `u${chars(63, 15)}`),
];
const byKind = (kind: string): string => (SECRETS.find((s) => s.kind === kind) as Planted).value;

// posture's own credentials: the fakes accept any, so these are made up as well.
const OWN = {
  GITHUB_TOKEN: `ghs_${chars(70, 36)}`,
  POSTURE_GITHUB_TOKEN: `ghp_${chars(71, 36)}`,
  AWS_SECRET_ACCESS_KEY: chars(72, 40),
  AWS_SESSION_TOKEN: `IQoJb3JpZ2luX2Vj${chars(73, 120)}`,
};

const TREE: Record<string, string> = {
  'README.md': '# payments\n',
  'config/aws.py': `AWS_ACCESS_KEY_ID = "${byKind('aws-access-key-id')}"\nAWS_SECRET_ACCESS_KEY = "${byKind('aws-secret-access-key')}"\n`,
  'src/tokens.ts': [
    'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_',
  ]
    .map((p, i) => `export const t${i} = '${(SECRETS.find((s) => s.value.startsWith(p)) as Planted).value}';`)
    .concat([`export const fine = '${byKind('github-fine-grained')}';`, `export const stripe = '${byKind('stripe-live-key')}';`])
    .join('\n'),
  'src/slack.js': `const bot = "${byKind('slack-bot')}";\nconst user = "${byKind('slack-user')}";\nconst app = "${byKind('slack-app')}";\n`,
  'keys/id_rsa': `${byKind('rsa-private-key')}\n`,
  'keys/ec.pem': `${byKind('ec-private-key')}\n`,
  'keys/id_ed25519': `${byKind('openssh-private-key')}\n`,
  '.npmrc': `//registry.npmjs.org/:_authToken=${byKind('npm-token')}\n`,
  'deploy/db.properties': `db.user=payments\ndb.password=${byKind('password')}\n`,
  'scripts/clone.sh': `git clone https://deploy:${byKind('basic-auth-url-password')}@git.example.com/acme/payments.git\n`,
};

/** Every form in which a value could leak: verbatim, JSON-escaped, URL-encoded, base64. */
const leakForms = (planted: Planted): { form: string; text: string }[] => {
  const forms: { form: string; text: string }[] = [];
  const add = (form: string, text: string): void => {
    if (text.length >= 8) forms.push({ form, text });
  };
  add('verbatim', planted.value);
  add('JSON-escaped', JSON.stringify(planted.value).slice(1, -1));
  add('URL-encoded', encodeURIComponent(planted.value));
  add('URL-encoded (form)', new URLSearchParams({ v: planted.value }).toString().slice(2));
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.from(planted.body.slice(shift)).toString('base64');
    add(`base64 (offset ${shift})`, encoded.slice(4, Math.max(4, encoded.length - 4)));
  }
  // Any 8-character piece of the secret part, outside line breaks (a PEM body's lines are the pieces).
  for (const line of planted.body.split('\n')) {
    for (let i = 0; i + 8 <= line.length; i++) add('8-character piece', line.slice(i, i + 8));
  }
  return forms;
};

/**
 * Values with no shape of their own: a password, or the password of a URL seen without its URL.
 * Where no collector has found them (a bare tag value), nothing can tell them from other text.
 */
const SHAPELESS = new Set(['password', 'basic-auth-url-password']);

const assertNothingLeaks = (outputs: Map<string, string>, options: { shapeOnly?: boolean } = {}): void => {
  assert.ok(outputs.size > 0);
  const planted = options.shapeOnly ? SECRETS.filter((s) => !SHAPELESS.has(s.kind)) : SECRETS;
  const secrets: Planted[] = [...planted, ...Object.entries(OWN).map(([kind, value]) => ({ kind, value, body: value.replace(/^(ghs_|ghp_)/, '') }))];
  const problems: string[] = [];
  for (const planted of secrets) {
    for (const { form, text } of leakForms(planted)) {
      for (const [name, content] of outputs) {
        const at = content.indexOf(text);
        if (at >= 0) problems.push(`${planted.kind} ${form} in ${name}: …${content.slice(Math.max(0, at - 60), at + text.length + 20)}…`);
      }
    }
  }
  const summary = [...new Set(problems.map((p) => p.split(":")[0]))];
  assert.deepEqual(summary, [], `${problems.length} leak(s); first: ${problems.slice(0, 5).join('\n')}`);
};

const readAll = (dir: string, outputs: Map<string, string>, label: string): void => {
  for (const entry of readdirSync(dir)) {
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) readAll(file, outputs, `${label}/${entry}`);
    else outputs.set(`${label}/${entry}`, readFileSync(file, 'utf8'));
  }
};

const url = (text: string): string => encodeURIComponent(text);

/** The demo account with one more user and one more bucket carrying the secrets in names, tags and policies. */
const plantInCloud = (iamDir: string, s3File: string): void => {
  const page = path.join(iamDir, 'iam', 'GetAccountAuthorizationDetails.1.xml');
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Leaky',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: { StringEquals: Object.fromEntries(SECRETS.map((s, i) => [`aws:RequestTag/k${i}`, s.value])) },
      },
    ],
  };
  const tags = SECRETS.map((s, i) => `<member><Key>k${i}</Key><Value>${s.value.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Value></member>`).join('');
  const user = `<member>
        <Path>/</Path>
        <UserName>svc-${byKind('aws-access-key-id')}</UserName>
        <UserId>AIDADEMOLEAKPROBE0001</UserId>
        <Arn>arn:aws:iam::123456789012:user/svc-${byKind('aws-access-key-id')}</Arn>
        <CreateDate>2024-02-15T12:00:00Z</CreateDate>
        <UserPolicyList><member><PolicyName>leaky-${byKind('stripe-live-key')}</PolicyName><PolicyDocument>${url(JSON.stringify(policy))}</PolicyDocument></member></UserPolicyList>
        <GroupList/>
        <AttachedManagedPolicies/>
        <Tags>${tags}</Tags>
      </member>
      `;
  const xml = readFileSync(page, 'utf8');
  assert.ok(xml.includes('<UserDetailList>\n      <member>'));
  writeFileSync(page, xml.replace('<UserDetailList>\n      <member>', `<UserDetailList>\n      ${user}<member>`));

  const state = loadFakeS3State(s3File) as unknown as { Buckets: Record<string, unknown>[] };
  const template = state.Buckets[0] as Record<string, unknown>;
  state.Buckets.push({
    ...structuredClone(template),
    Name: `acme-leak-${byKind('npm-token').toLowerCase().replace(/_/g, '-')}`,
    Tags: SECRETS.map((s, i) => ({ Key: `k${i}`, Value: s.value })),
    Policy: { ...policy, Statement: policy.Statement.map((st) => ({ ...st, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-leak/*', Principal: '*' })) },
  });
  writeFileSync(s3File, JSON.stringify(state));
};

/**
 * An organisation whose repository names, deploy key titles, ruleset names and custom properties
 * carry secrets. A repository name allows only letters, digits, `.`, `-` and `_`, so tokens of
 * that alphabet (GitHub's, npm's, an AWS key id) go there; the rest go in the free-text fields.
 */
const plantedGithub = (): Promise<FakeGithub> =>
  startFakeGithub(
    fixturesFromScenario({
      organizations: [{ login: 'acme', owners: ['octo'], twoFactorRequired: true }],
      repositories: [
        { owner: 'acme', name: 'rockets' },
        {
          owner: 'acme',
          name: `svc-${byKind('github-pat-classic')}`,
          deployKeys: SECRETS.map((s) => ({ title: `deploy ${s.value}`, readOnly: false })),
          rulesets: [{ id: 7, name: `protect ${byKind('slack-bot')}`, enforcement: 'active', rules: [{ type: 'deletion' }] }],
          customProperties: Object.fromEntries(SECRETS.map((s, i) => [`p${i}`, s.value])),
        },
        { owner: 'acme', name: `cache-${byKind('npm-token')}`, visibility: 'public' },
        { owner: 'acme', name: `mirror-${byKind('aws-access-key-id')}` },
      ],
    }),
  );

describe('secrets never leak', function () {
  this.timeout(240_000);
  let tree: { dir: string; cleanup: () => void };
  let aws: FixtureFake;
  let github: FakeGithub;
  let estate: FakeGithub;
  const outputs = new Map<string, string>();

  before(async () => {
    tree = tempTree(Object.fromEntries(Object.entries(TREE).map(([name, text]) => [`repo/${name}`, text])));
    const iamDir = path.join(tree.dir, 'aws', 'iam');
    cpSync(DEMO_AWS_IAM, iamDir, { recursive: true });
    const s3File = path.join(tree.dir, 'aws', 'buckets.json');
    cpSync(DEMO_AWS_S3, s3File);
    plantInCloud(iamDir, s3File);
    aws = await startFixtureAws({ fixtures: iamDir, extraServices: { s3: createFakeS3(loadFakeS3State(s3File)) } });
    github = await startCiFakeGithub('private');
    estate = await plantedGithub();
  });
  after(async () => {
    await aws?.close();
    await github?.close();
    await estate?.close();
    tree?.cleanup();
  });

  it('plants at least 15 kinds of secret', () => {
    assert.ok(SECRETS.length >= 15);
    assert.equal(new Set(SECRETS.map((s) => s.value)).size, SECRETS.length);
  });

  it('no output of a scan, a publication or an error carries any of them, in any encoding', async () => {
    const env = {
      ...awsEnvFor(aws.url),
      AWS_ACCESS_KEY_ID: 'ASIAZQ4POSTURE0WN01X',
      AWS_SECRET_ACCESS_KEY: OWN.AWS_SECRET_ACCESS_KEY,
      AWS_SESSION_TOKEN: OWN.AWS_SESSION_TOKEN,
      POSTURE_GITHUB_TOKEN: OWN.POSTURE_GITHUB_TOKEN,
      GITHUB_TOKEN: OWN.GITHUB_TOKEN,
      POSTURE_FINGERPRINT_KEY: 'secrets-leak-test-key',
      GITHUB_ACTIONS: '',
      GITHUB_REPOSITORY: '',
    };
    const scan = await runCli(
      [
        'scan', 'repo', '--sources', 'local-repo,secrets,aws-iam,aws-s3,github', '--aws-regions', 'us-east-1,eu-west-1',
        '--github-org', 'acme', '--github-api-url', estate.url,
        '--format', 'json,md,html,sarif', '--fail-on', 'none', '--log-level', 'debug', '--out', 'out', '--scan-time', '2026-01-15T12:00:00Z',
      ],
      { cwd: tree.dir, env },
    );
    outputs.set('scan stdout', scan.stdout);
    outputs.set('scan stderr', scan.stderr);
    assert.equal(scan.code, 0, scan.stderr);
    readAll(path.join(tree.dir, 'out'), outputs, 'out');
    for (const file of ['report.md', 'report.html', 'report.sarif', 'result.json', 'facts.json']) assert.ok(outputs.has(`out/${file}`), file);

    // The scan saw the secrets: the tree's as findings, the cloud's as names, tags and policies.
    const facts = outputs.get('out/facts.json') as string;
    const secretsFound = (JSON.parse(facts) as { resources: { kind: string }[] }).resources.filter((r) => r.kind === 'source.secret').length;
    assert.ok(secretsFound >= 12, `the secrets collector reports the planted secrets (${secretsFound})`);
    assert.match(facts, /svc-\[secret:aws-access-key-id:[0-9a-f]{8}\]/, 'the user named after a key id is in the facts, redacted');
    assert.match(facts, /acme-leak-/, 'the bucket is in the facts');
    assert.match(facts, /acme\/svc-\[secret:[a-z-]+:[0-9a-f]{8}\]/, 'the repository named after a token is in the facts, redacted');
    assert.match(facts, /acme\/cache-\[secret:[a-z-]+:[0-9a-f]{8}\]/, 'the repository named after an npm token is in the facts');
    assert.match(facts, /"deploy \[secret:[a-z-]+:[0-9a-f]{8}\]"/, 'the deploy keys titled with secrets are in the facts, redacted');

    // The cloud alone, without the secrets collector: nothing found in the tree tells the redactor
    // the values, so names, tags and policies are redacted by their shapes and pairings only.
    const cloud = await runCli(
      ['scan', 'repo', '--sources', 'aws-iam,aws-s3', '--aws-regions', 'us-east-1,eu-west-1', '--format', 'json,md,html,sarif', '--fail-on', 'none', '--log-level', 'debug', '--out', 'cloud', '--scan-time', '2026-01-15T12:00:00Z'],
      { cwd: tree.dir, env },
    );
    assert.equal(cloud.code, 0, cloud.stderr);
    const cloudOutputs = new Map([['cloud scan stdout', cloud.stdout], ['cloud scan stderr', cloud.stderr]]);
    readAll(path.join(tree.dir, 'cloud'), cloudOutputs, 'cloud');
    assertNothingLeaks(cloudOutputs, { shapeOnly: true });

    // A baseline without the failing findings, so that the pull-request comment lists them all as new.
    const result = JSON.parse(outputs.get('out/result.json') as string) as { findings: { status: string }[] };
    writeFileSync(path.join(tree.dir, 'baseline.json'), JSON.stringify({ ...result, findings: result.findings.filter((f) => f.status !== 'fail') }));

    // Publishing: a check run with annotations and workflow commands on stdout, from inside Actions.
    const actions = actionsEnv(github, { token: OWN.GITHUB_TOKEN });
    try {
      const publish = await runCli(
        ['publish', 'out/result.json', '--github-check', '--pr-comment', '--baseline', 'baseline.json', '--format', 'md,sarif', '--out', 'pub', '--fail-on', 'none', '--log-level', 'debug'],
        {
          cwd: tree.dir,
          env: { ...actions.env, POSTURE_GITHUB_TOKEN: OWN.POSTURE_GITHUB_TOKEN, POSTURE_FINGERPRINT_KEY: 'secrets-leak-test-key' } as Record<string, string>,
        },
      );
      outputs.set('publish stdout', publish.stdout);
      outputs.set('publish stderr', publish.stderr);
      assert.equal(publish.code, 0, publish.stderr);
      outputs.set('step summary', readFileSync(actions.summary, 'utf8'));
      const state = checksStateOf(github.fixtures);
      assert.ok(state.checkRuns.length > 0 && state.checkRuns.some((r) => r.annotations.length > 0), 'a check run with annotations was created');
      outputs.set('check runs received by GitHub', JSON.stringify(state.checkRuns));
      outputs.set('check calls received by GitHub', JSON.stringify(state.calls));
      const comments = [...state.comments.values()].flat();
      assert.equal(comments.length, 1, 'one pull-request comment');
      assert.match(comments[0]?.body ?? '', /svc-/, 'the comment lists the planted repository\'s findings');
      outputs.set('pull-request comment received by GitHub', JSON.stringify(comments));
      readAll(path.join(tree.dir, 'pub'), outputs, 'pub');
    } finally {
      actions.cleanup();
    }

    // Error messages: secrets in a configuration key, a source name and a rule glob.
    writeFileSync(path.join(tree.dir, 'bad.yaml'), `${byKind('github-pat-classic')}: 1\n`);
    const errors = [
      await runCli(['scan', 'repo', '--config', 'bad.yaml', '--out', 'x'], { cwd: tree.dir, env }),
      await runCli(['scan', 'repo', '--sources', `local-repo,${byKind('slack-bot')}`, '--out', 'x'], { cwd: tree.dir, env }),
      await runCli(['scan', `repo/${byKind('npm-token')}`, '--out', 'x', '--log-level', 'debug'], { cwd: tree.dir, env }),
    ];
    errors.forEach((run, i) => {
      assert.equal(run.code, 2, run.stderr);
      outputs.set(`error ${i}`, `${run.stdout}\n${run.stderr}`);
    });

    assertNothingLeaks(outputs);
  });
});
