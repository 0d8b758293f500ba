import { evaluate } from '../../src/engine/evaluate.js';
import type { ResultDocument, Rule } from '../../src/engine/types.js';
import type { FactsDocument, Resource, SourceReport } from '../../src/facts/types.js';
import { makeRule } from './rules.js';

/** A result document evaluated from hand-made resources, for reporter tests. */
export const makeResult = (resources: Resource[], options: { rules?: Rule[]; sources?: SourceReport[]; demo?: boolean } = {}): ResultDocument => {
  const facts: FactsDocument = {
    schemaVersion: '1',
    tool: { name: 'posture', version: 'test' },
    scan: { startedAt: '2026-03-01T00:00:00.000Z', targets: { path: '.', treeId: 'https://github.com/acme/app' }, ...(options.demo ? { demo: true } : {}) },
    sources: options.sources ?? [],
    resources,
    excluded: ['node_modules/'],
  };
  return evaluate(facts, {
    rules: options.rules ?? [makeRule()],
    params: new Map(),
    scanTime: new Date('2026-03-01T00:00:00Z'),
    suppressions: [],
    configHash: '0'.repeat(64),
    rulesHash: '1'.repeat(64),
    tool: { name: 'posture', version: 'test' },
  });
};

export const bucket = (name: string, enabled: unknown): Resource => ({
  kind: 'aws.s3.bucket',
  id: `arn:aws:s3:::${name}`,
  name,
  source: 'aws-s3',
  attributes: { enabled },
});
