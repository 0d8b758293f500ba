import type { ResultDocument } from '../../../src/engine/types.js';
import { buildSampleResult, sampleFacts } from './sample.js';

/** Strings that would run script if any of them reached the page unescaped. */
export const PAYLOADS = {
  bucket: '<img src=x onerror=alert(1)>',
  repo: '"><script>alert(2)</script>',
  workflowPath: '.github/workflows/<svg onload=alert(3)>.yml',
  secretPath: 'config/</script><script>alert(4)</script>.env',
  tag: 'a\u2028b\u2029c</script>&amp;',
  reference: 'javascript:alert(5)',
} as const;

/** The sample result with hostile names, paths, tags and a hostile rule reference. */
export const hostileResult = (): ResultDocument => {
  const facts = sampleFacts({
    names: {
      'arn:aws:s3:::acme-customer-uploads': PAYLOADS.bucket,
      'https://github.com/acme-rockets/flight-software': PAYLOADS.repo,
      'https://github.com/acme-rockets/launch-control/.github/workflows/ci.yml': PAYLOADS.workflowPath,
      'https://github.com/acme-rockets/launch-control/config/deploy.env#aws-access-key:9f86d081': PAYLOADS.secretPath,
    },
    paths: { workflow: PAYLOADS.workflowPath, secret: PAYLOADS.secretPath },
  });
  for (const resource of facts.resources) if (resource.kind === 'aws.s3.bucket') resource.tags = { ...resource.tags, note: PAYLOADS.tag };
  const result = buildSampleResult(facts);
  for (const rule of result.rules) if (rule.id === 's3-bucket-not-public') rule.references = [...(rule.references ?? []), PAYLOADS.reference];
  return result;
};
