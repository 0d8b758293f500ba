import path from 'node:path';
import type { FactsDocument, Resource, ResourceKind } from '../../../src/facts/types.js';
import { createSchemaSet } from '../../../src/facts/documents.js';
import { loadCsfCatalogue } from '../../../src/engine/csf.js';
import { evaluate } from '../../../src/engine/evaluate.js';
import { BUILTIN_RULES_DIR, loadRules, resolveParams } from '../../../src/engine/rules.js';
import type { ResultDocument } from '../../../src/engine/types.js';
import { createCallRecorder, type CollectContext } from '../../../src/collectors/types.js';
import { createLogger } from '../../../src/util/logger.js';
import { createAwsIamCollector } from '../../../src/collectors/aws-iam/index.js';
import { awsEnvFor, startFixtureAws, withEnv, FIXTURES_AWS_IAM, type FixtureFake, type FixtureFakeOptions } from '../../support/fake-aws/index.js';

/** Delays short enough for a fast suite, long enough to exercise the SDK's retry strategy. */
export const FAST = { retryBaseDelayMs: 5, maxRetryDelayMs: 20, reportPollIntervalMs: 5, reportMaxWaitMs: 500 };

export const SEEDED = path.join(FIXTURES_AWS_IAM, 'seeded');
export const DOCUMENTED = path.join(FIXTURES_AWS_IAM, 'documented');

/** Every operation the fakes answered in this process, for the least-privilege check. */
export const calledOperations = new Set<string>();

export type TestContextOptions = {
  options?: Record<string, unknown>;
  config?: CollectContext['config'];
  scanTime?: Date;
  timeoutMs?: number;
  needs?: Partial<Record<ResourceKind, string[]>>;
};

export const testContext = (options: TestContextOptions = {}): CollectContext & { logLines: string[] } => {
  const logLines: string[] = [];
  return {
    root: '/tmp/posture-test',
    treeId: 'posture-test',
    scanTime: options.scanTime ?? new Date('2026-01-15T12:00:00Z'),
    logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
    calls: createCallRecorder(),
    needs: (kind) => new Set(options.needs?.[kind] ?? []),
    config: options.config ?? {},
    options: options.options ?? { awsRegions: 'us-east-1,eu-west-1' },
    excludes: [],
    env: process.env,
    signal: new AbortController().signal,
    limits: { timeoutMs: options.timeoutMs ?? 2000, concurrency: (_service, fallback) => fallback, maxFileBytes: 1024 * 1024 },
    logLines,
  };
};

/** Starts the fake with a fixture set and points the SDK at it; `stop` restores everything. */
export const withFake = async (options: Partial<FixtureFakeOptions> = {}): Promise<{ fake: FixtureFake; stop: () => Promise<void> }> => {
  const fake = await startFixtureAws({ fixtures: SEEDED, ...options });
  const restore = withEnv({ ...awsEnvFor(fake.url), AWS_PROFILE: undefined, AWS_SESSION_TOKEN: undefined, AWS_ENDPOINT_URL_IAM: undefined, AWS_ENDPOINT_URL_STS: undefined });
  return {
    fake,
    stop: async () => {
      for (const call of fake.calls) if (call.status !== 0) calledOperations.add(`${call.service}.${call.operation}`);
      restore();
      await fake.close();
    },
  };
};

export const collect = (ctx: CollectContext, tuning = FAST) => createAwsIamCollector(tuning).collect(ctx);

const schemas = createSchemaSet();
const rules = loadRules(
  [
    { dir: path.join(BUILTIN_RULES_DIR, 'aws-iam'), builtin: true },
    { dir: path.join(BUILTIN_RULES_DIR, 'aws-detect'), builtin: true },
  ],
  schemas,
  loadCsfCatalogue(),
);

/** The attribute schemas, to check that what the collector emits is what the kinds promise. */
export const kindProblems = (resources: Resource[]): string[] =>
  resources.flatMap((resource) => {
    const validate = schemas.kindValidator(resource.kind);
    if (!validate) return [`${resource.kind} has no schema`];
    return validate(resource.attributes) ? [] : [`${resource.id}: ${JSON.stringify(validate.errors?.[0])}`];
  });

/** Evaluates the aws-iam and aws-detect rules over resources, as `posture evaluate` would. */
export const evaluateAws = (resources: Resource[], scanTime = new Date('2026-01-15T12:00:00Z'), params: Record<string, Record<string, unknown>> = {}): ResultDocument => {
  const facts: FactsDocument = { schemaVersion: '1', tool: { name: 'posture', version: 'test' }, scan: { startedAt: scanTime.toISOString(), targets: {} }, sources: [], resources, excluded: [] };
  return evaluate(facts, {
    rules,
    params: new Map(rules.map((rule) => [rule.id, resolveParams(rule, params[rule.id], 'test')])),
    scanTime,
    suppressions: [],
    configHash: 'test',
    rulesHash: 'test',
    tool: { name: 'posture', version: 'test' },
  });
};

/** The status of each (rule, resource name) pair, for compact assertions. */
export const statuses = (result: ResultDocument, ruleId: string): Record<string, string> =>
  Object.fromEntries(result.findings.filter((f) => f.ruleId === ruleId).map((f) => [f.resource.name, f.status]));
