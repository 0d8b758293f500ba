import { hash } from 'node:crypto';

/**
 * The stable identity of a finding: never lines, messages, status, severity, absolute paths or
 * time, so the same problem keeps its fingerprint across scans, machines and edits above it.
 */
export const fingerprint = (ruleId: string, kind: string, resourceId: string, discriminator = ''): string =>
  // One-shot hashing: a finding costs one call, not a Hash object with update and digest.
  hash('sha256', `${ruleId}\u0000${kind}\u0000${resourceId}\u0000${discriminator}`, 'hex');
