import type { Rule, RuleFile } from '../../src/engine/types.js';

/** A minimal valid rule for engine tests; override what the test is about. */
export const makeRule = (overrides: Partial<RuleFile> = {}): Rule => ({
  id: 'test-rule',
  title: 'The test resource is compliant',
  description: 'A rule used by the engine tests.',
  risk: 'Nothing: this rule exists only in tests.',
  severity: 'high',
  lifecycle: 'stable',
  resource: 'aws.s3.bucket',
  requires: ['enabled'],
  condition: { properties: { enabled: { const: true } }, required: ['enabled'] },
  csf: [{ id: 'PR.DS-01', rationale: 'Data at rest is protected.' }],
  threats: ['information-disclosure'],
  message: '{{name}} is not compliant',
  remediation: { text: 'Make it compliant.' },
  file: '/dev/null/test-rule.yaml',
  builtin: false,
  ...overrides,
});
