import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Bottleneck from 'bottleneck';
import { createAwsIamCollector } from '../../src/collectors/aws-iam/index.js';
import { createAwsS3Collector } from '../../src/collectors/aws-s3/index.js';
import { createGithubCollector } from '../../src/collectors/github/index.js';
import { runCollectors } from '../../src/collectors/run.js';
import type { CollectContext, Collector } from '../../src/collectors/types.js';
import type { PostureConfig } from '../../src/config/types.js';
import { loadCsfCatalogue } from '../../src/engine/csf.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { BUILTIN_RULES_DIR, loadRules, neededAttributes, paramDefaults } from '../../src/engine/rules.js';
import type { ResultDocument, Rule } from '../../src/engine/types.js';
import { createSchemaSet } from '../../src/facts/documents.js';
import type { FactsDocument, ResourceKind } from '../../src/facts/types.js';
import { createLogger } from '../../src/util/logger.js';
import { packageRoot } from '../../src/util/package-root.js';
import { startDemoAws, withEnv } from '../support/fake-aws/index.js';
import { fakeOrganizations } from '../support/fake-aws/organizations.js';
import { createFakeS3, DEMO_AWS_S3, loadFakeS3State, type FakeS3State } from '../support/fake-aws/s3.js';
import type { AwsRequest, CallLogEntry, FakeService, Fault, FaultKind } from '../support/fake-aws/server.js';
import {
  fixturesFromScenario,
  startDemoGithub,
  startFakeGithub,
  type FakeGithubFault,
  type FakeGithubFaultKind,
  type FakeGithubLogEntry,
  type FakeGithubRequest,
  type Scenario,
} from '../support/fake-github/index.js';

/** The instant the demo estate is shifted to and scanned at, so that every run sees the same ages. */
export const SCAN_TIME = new Date('2026-01-15T12:00:00Z');
export const TOOL = { name: 'posture', version: 'test' };
const DEMO_ACCOUNT = '123456789012';

export const rules: Rule[] = loadRules([{ dir: BUILTIN_RULES_DIR, builtin: true }], createSchemaSet(), loadCsfCatalogue());
const needs = neededAttributes(rules);

/** A number in [0, 1) that depends only on the seed and the key: the same request gets the same fate in every run. */
export const draw = (seed: number, key: string): number => createHash('sha256').update(`${seed}\0${key}`).digest().readUInt32BE(0) / 2 ** 32;

/** How often each fault strikes one attempt. */
export type FaultRates = { throttle: number; serverError: number; reset: number; slow: number };

/** The plan: throttling on 30% of calls, 5xx on 5%, connection resets on 1%, latency beyond the timeout on 1%. */
export const CHAOS: FaultRates = { throttle: 0.3, serverError: 0.05, reset: 0.01, slow: 0.01 };

const pick = <K extends string>(r: number, rates: FaultRates, kinds: Record<keyof FaultRates, K>): K | undefined => {
  let edge = 0;
  for (const name of ['throttle', 'serverError', 'reset', 'slow'] as const) {
    edge += rates[name];
    if (r < edge) return kinds[name];
  }
  return undefined;
};

/**
 * A seeded fault plan for the fake AWS endpoint. An attempt's fate is a function of the seed, the
 * request (service, path, query, body; not the port or the signature) and the SDK's attempt
 * number, so a run is reproducible whatever order concurrent calls arrive in.
 */
export const awsChaos = (seed: number, rates: FaultRates, slowMs: number): Fault[] => {
  const fate = new WeakMap<AwsRequest, FaultKind | undefined>();
  const kindOf = (request: AwsRequest): FaultKind | undefined => {
    if (!fate.has(request)) {
      const attempt = /attempt=(\d+)/.exec(String(request.headers['amz-sdk-request'] ?? ''))?.[1] ?? '1';
      const key = [request.service, request.region, request.method, request.host.replace(/:\d+$/, ''), request.path, request.query.toString(), request.body.toString('utf8'), attempt].join('\n');
      fate.set(request, pick(draw(seed, key), rates, { throttle: 'throttle', serverError: 'server-error', reset: 'reset', slow: 'slow' }));
    }
    return fate.get(request);
  };
  return (['throttle', 'server-error', 'reset', 'slow'] as const).map((kind) => ({ kind, delayMs: slowMs, match: (request: AwsRequest) => kindOf(request) === kind }));
};

/** The same for the fake GitHub; GitHub sends no attempt number, so the n-th identical request stands in for it. */
export const githubChaos = (seed: number, rates: FaultRates, slowMs: number): FakeGithubFault[] => {
  const seen = new Map<string, number>();
  const fate = new WeakMap<FakeGithubRequest, FakeGithubFaultKind | undefined>();
  const kindOf = (request: FakeGithubRequest): FakeGithubFaultKind | undefined => {
    if (!fate.has(request)) {
      const base = [request.method, request.path, request.query.toString(), JSON.stringify(request.body ?? null)].join('\n');
      const nth = (seen.get(base) ?? 0) + 1;
      seen.set(base, nth);
      fate.set(request, pick(draw(seed, `${base}\n${nth}`), rates, { throttle: 'secondary-rate-limit', serverError: 'server-error', reset: 'reset', slow: 'slow' }));
    }
    return fate.get(request);
  };
  return (['secondary-rate-limit', 'server-error', 'reset', 'slow'] as const).map((kind) => ({
    kind,
    delayMs: slowMs,
    retryAfterSeconds: 1,
    match: (request: FakeGithubRequest) => kindOf(request) === kind,
  }));
};

export type ScanOptions = {
  awsFaults?: Fault[];
  githubFaults?: FakeGithubFault[];
  /** Per-attempt timeout (the CLI's --timeout). */
  timeoutMs?: number;
  /** Extra collectors run beside the real ones (crash tests). */
  extra?: Collector[];
  sources?: ('aws' | 'github')[];
  /** Changes the demo's S3 state before the fake serves it. */
  s3State?: (state: FakeS3State) => FakeS3State;
  /** Buckets per ListBuckets page (the collector's default is 1,000). */
  s3PageSize?: number;
  /** Attributes needed beyond what the rules need (tags, which only threat models read). */
  extraNeeds?: Partial<Record<ResourceKind, string[]>>;
  /** Wait this long after the scan before reading the call logs: a slow answer is logged when it is sent, after the client gave up on it. */
  settleMs?: number;
  /**
   * Reach the demo account through `aws.organization`: the fake Organizations lists it as the one
   * member, and its role (posture-scan) is assumed by both AWS collectors.
   */
  organization?: boolean;
  /** Another GitHub estate than the demo organisation; its organisations are scanned. */
  githubScenario?: Scenario;
  /** Authenticate to GitHub as an App installation (a key pair made for the run) instead of with a token. */
  githubApp?: boolean;
  /** Command-line options beyond the regions and the GitHub target (`awsRoleArn`). */
  options?: Record<string, unknown>;
  /** posture.yaml (`aws.accounts`). */
  config?: PostureConfig;
};

export type ScanOutcome = {
  facts: FactsDocument;
  result: ResultDocument;
  awsLog: CallLogEntry[];
  githubLog: FakeGithubLogEntry[];
  /** `owner/name` of each repository of the GitHub estate by its node id, as GraphQL queries name them. */
  githubNodes: Map<string, string>;
};

/** The GitHub App the App-authenticated scans run as. */
export const TEST_APP = { appId: 321, installationId: 654 };

/**
 * Scans the demo estate's AWS account (aws-iam, aws-s3) and GitHub organisation through the local
 * fakes with production retry settings (five attempts per AWS call, the GitHub client's defaults),
 * only the waits shortened, and evaluates every built-in rule.
 */
export const scanDemo = async (options: ScanOptions = {}): Promise<ScanOutcome> => {
  const sources = options.sources ?? ['aws', 'github'];
  const organizations: Record<string, FakeService> = options.organization ? { organizations: fakeOrganizations({ managementAccount: DEMO_ACCOUNT, accounts: [{ Id: DEMO_ACCOUNT, Name: 'acme-rockets', State: 'ACTIVE' }] }) } : {};
  const aws = await startDemoAws({ now: SCAN_TIME, extraServices: { ...(options.s3State ? { s3: createFakeS3(options.s3State(loadFakeS3State(DEMO_AWS_S3))) } : {}), ...organizations } });
  aws.faults.push(...(options.awsFaults ?? []));
  const keyDir = options.githubApp ? mkdtempSync(path.join(tmpdir(), 'posture-reliability-app-')) : undefined;
  const appKeys = keyDir ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : undefined;
  const keyFile = keyDir ? path.join(keyDir, 'app.pem') : undefined;
  if (keyFile && appKeys) writeFileSync(keyFile, appKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const githubOptions = {
    faults: options.githubFaults ?? [],
    ...(appKeys ? { tokens: [], app: { ...TEST_APP, publicKeyPem: appKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString() } } : {}),
  };
  const github = options.githubScenario
    ? await startFakeGithub(fixturesFromScenario(options.githubScenario), githubOptions).then((fake) => ({
        ...fake,
        options: { githubOrg: (options.githubScenario?.organizations ?? []).map((o) => o.login), githubApiUrl: fake.url },
        env: { POSTURE_GITHUB_TOKEN: 'posture-demo-token' },
      }))
    : await startDemoGithub(githubOptions);
  const githubEnv = keyFile ? { POSTURE_GITHUB_TOKEN: undefined, GITHUB_TOKEN: undefined } : github.env;
  const config: PostureConfig = { ...options.config, ...(keyFile ? { github: { ...options.config?.github, app: { ...TEST_APP, privateKeyFile: keyFile } } } : {}) };
  const restore = withEnv({ ...aws.env, AWS_PROFILE: undefined, AWS_SESSION_TOKEN: undefined });
  const tuning = { retryBaseDelayMs: 2, maxRetryDelayMs: 20 };
  const collectors: Collector[] = [
    ...(sources.includes('aws') ? [createAwsIamCollector({ ...tuning, reportPollIntervalMs: 5, reportMaxWaitMs: 60_000 }), createAwsS3Collector({ tuning, ...(options.s3PageSize ? { pageSize: options.s3PageSize } : {}) })] : []),
    ...(sources.includes('github')
      ? [createGithubCollector({ client: { retryAfterBaseMs: 1, maxRateLimitWaitSeconds: 5, throttle: { write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) } } })]
      : []),
    ...(options.extra ?? []),
  ];
  const context: Omit<CollectContext, 'calls'> = {
    root: packageRoot,
    treeId: 'posture-reliability',
    scanTime: SCAN_TIME,
    logger: createLogger({ level: 'silent' }),
    needs: (kind: ResourceKind) => new Set([...(needs.get(kind) ?? []), ...(options.extraNeeds?.[kind] ?? [])]),
    config: options.organization ? { ...config, aws: { ...config.aws, organization: { roleName: 'posture-scan' } } } : config,
    options: { awsRegions: 'us-east-1,eu-west-1', ...github.options, ...options.options },
    excludes: [],
    env: { ...process.env, ...githubEnv },
    signal: new AbortController().signal,
    limits: { timeoutMs: options.timeoutMs ?? 2000, concurrency: (_service, fallback) => fallback, maxFileBytes: 1024 * 1024 },
  };
  try {
    const facts = await runCollectors({ collectors, context, tool: TOOL, targets: { path: '.', treeId: 'posture-reliability' } });
    const result = evaluate(facts, {
      rules,
      params: new Map(rules.map((rule) => [rule.id, paramDefaults(rule)])),
      scanTime: SCAN_TIME,
      suppressions: [],
      configHash: '0'.repeat(64),
      rulesHash: '1'.repeat(64),
      tool: TOOL,
    });
    if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    const githubNodes = new Map(github.fixtures.repositories.map((r) => [r.repository.node_id, r.repository.full_name]));
    return { facts, result, awsLog: [...aws.calls], githubLog: [...github.log], githubNodes };
  } finally {
    restore();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    await Promise.all([aws.close(), github.close()]);
  }
};

/** What a logged GitHub request reads: the repositories (`owner/name`) and organisations it addresses, by its route or its GraphQL variables. */
export const githubSubjects = (entry: FakeGithubLogEntry, nodes: Map<string, string>): { repos: string[]; orgs: string[] } => {
  const { owner, repo, org } = entry.params;
  if (owner && repo) return { repos: [`${owner}/${repo}`], orgs: [] };
  if (org) return { repos: [], orgs: [org] };
  const variables = entry.variables ?? {};
  const ids = [variables.ids, variables.adminIds, [variables.id]].flatMap((list) => (Array.isArray(list) ? list : [])).filter((id): id is string => typeof id === 'string');
  return { repos: [...new Set(ids.flatMap((id) => nodes.get(id) ?? []))], orgs: [] };
};

/** The identity of a GitHub request: its attempts (retries after faults) share it, different requests do not. */
export const githubRequestKey = (entry: FakeGithubLogEntry): string => [entry.method, entry.path, entry.search, entry.operation ?? '', JSON.stringify(entry.variables ?? null)].join(' ');

/** `ruleId resourceId` → status. */
export const statusMap = (result: ResultDocument): Map<string, string> => new Map(result.findings.map((f) => [`${f.ruleId} ${f.resource.id}`, f.status]));

/** The findings whose status differs between two runs. */
export const changes = (before: Map<string, string>, after: Map<string, string>): { key: string; from: string | undefined; to: string | undefined }[] =>
  [...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key)).map((key) => ({ key, from: before.get(key), to: after.get(key) }));
