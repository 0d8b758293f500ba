import path from 'node:path';
import { createAwsS3Collector, type AwsS3Options } from '../../../src/collectors/aws-s3/index.js';
import { runCollectors } from '../../../src/collectors/run.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { loadCsfCatalogue } from '../../../src/engine/csf.js';
import { evaluate } from '../../../src/engine/evaluate.js';
import { BUILTIN_RULES_DIR, loadRules, neededAttributes, paramDefaults } from '../../../src/engine/rules.js';
import type { ResultDocument, Rule } from '../../../src/engine/types.js';
import { createSchemaSet } from '../../../src/facts/documents.js';
import type { FactsDocument } from '../../../src/facts/types.js';
import { packageRoot } from '../../../src/util/package-root.js';
import { createLogger } from '../../../src/util/logger.js';
import { awsEnvFor, withEnv } from '../../support/fake-aws/index.js';
import { createFakeS3, type FakeS3State } from '../../support/fake-aws/s3.js';
import { startFakeAws, type FakeAws, type Fault, type FakeService } from '../../support/fake-aws/server.js';
import { fakeSts } from '../../support/fake-aws/sts.js';

export const schemas = createSchemaSet();
export const s3Rules: Rule[] = loadRules([{ dir: path.join(BUILTIN_RULES_DIR, 'aws-s3'), builtin: true }], schemas, loadCsfCatalogue());
export const ALL_NEEDS = neededAttributes(s3Rules).get('aws.s3.bucket') ?? new Set<string>();

export const ACCOUNT = '123456789012';
const STS_FIXTURES = path.join(packageRoot, 'fixtures', 'aws', 's3');

/** Fast settings for tests: short timeouts, two attempts, millisecond backoff. */
export const FAST: AwsS3Options = { tuning: { retryBaseDelayMs: 1, maxRetryDelayMs: 5 } };

export type S3Fake = FakeAws & { state: FakeS3State; close: () => Promise<void> };

/**
 * Starts the fake S3, S3 Control and STS behind one endpoint and points the real SDK at it through
 * AWS_ENDPOINT_URL (restored on close). `wrap` lets a test observe or alter the S3 service.
 */
export const startS3Fake = async (state: FakeS3State, options: { faults?: Fault[]; wrap?: (service: FakeService) => FakeService; sts?: FakeService } = {}): Promise<S3Fake> => {
  const s3 = createFakeS3(state);
  const sts = options.sts ?? fakeSts({ fixtures: { dir: STS_FIXTURES } });
  const fake = await startFakeAws({ s3: options.wrap ? options.wrap(s3) : s3, sts }, { faults: options.faults ?? [] });
  const restore = withEnv(awsEnvFor(fake.url));
  return {
    ...fake,
    state,
    close: async () => {
      restore();
      await fake.close();
    },
  };
};

/** A collector context for the S3 tests: the S3 rules' needs unless given, quick limits. */
export const s3Context = (overrides: Partial<CollectContext> = {}): Omit<CollectContext, 'calls'> => ({
  root: packageRoot,
  treeId: 'posture',
  scanTime: new Date('2026-01-15T12:00:00Z'),
  logger: createLogger({ level: 'silent' }),
  needs: (kind) => (kind === 'aws.s3.bucket' ? ALL_NEEDS : new Set<string>()),
  config: { aws: { maxAttempts: 2 } },
  options: {},
  excludes: [],
  env: process.env,
  signal: new AbortController().signal,
  limits: { timeoutMs: 1000, concurrency: (_service, fallback) => fallback, maxFileBytes: 1024 * 1024 },
  ...overrides,
});

/** Runs the aws-s3 collector the way the CLI does, and returns the facts document. */
export const collectS3 = async (context: Omit<CollectContext, 'calls'> = s3Context(), options: AwsS3Options = FAST): Promise<FactsDocument> =>
  runCollectors({
    collectors: [createAwsS3Collector(options)],
    context,
    tool: { name: 'posture', version: 'test' },
    targets: { path: '.', treeId: 'posture' },
  });

/** Evaluates facts with the S3 rules at their default parameters. */
export const evaluateS3 = (facts: FactsDocument, rules: Rule[] = s3Rules): ResultDocument =>
  evaluate(facts, {
    rules,
    params: new Map(rules.map((rule) => [rule.id, paramDefaults(rule)])),
    scanTime: new Date('2026-01-15T12:00:00Z'),
    suppressions: [],
    configHash: '0'.repeat(64),
    rulesHash: '1'.repeat(64),
    tool: { name: 'posture', version: 'test' },
  });

/** rule id → status, per bucket name. */
export const statusTable = (result: ResultDocument): Record<string, Record<string, string>> => {
  const table: Record<string, Record<string, string>> = {};
  for (const finding of result.findings) (table[finding.resource.name] ??= {})[finding.ruleId] = finding.status;
  return table;
};

/** The facts' resources must validate against their kind's schema. */
export const assertValidFacts = (facts: FactsDocument): void => {
  if (!schemas.validator('facts')(facts)) throw new Error(`facts document invalid: ${JSON.stringify(schemas.validator('facts').errors?.[0])}`);
  for (const resource of facts.resources) {
    const validate = schemas.kindValidator(resource.kind);
    if (validate && !validate(resource.attributes)) throw new Error(`${resource.id}: ${JSON.stringify(validate.errors?.[0])}`);
  }
};
