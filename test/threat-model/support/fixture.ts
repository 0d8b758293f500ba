import type { ResultDocument } from '../../../src/engine/types.js';
import { summariseBaseline } from '../../../src/threat-model/baseline.js';
import { buildSampleResult, FIXTURES, sampleBaselineFacts } from './sample.js';

export { FIXTURES };

/** The sample result with a baseline comparison: what fixtures/threat-model/result.json holds. */
export const sampleFixtureResult = (): ResultDocument => {
  const result = buildSampleResult();
  const baseline = buildSampleResult(sampleBaselineFacts());
  baseline.scan.scanTime = '2026-02-02T09:00:00.000Z';
  return { ...result, baseline: summariseBaseline(result, baseline) };
};
