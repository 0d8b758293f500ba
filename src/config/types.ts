import type { Suppression } from '../engine/types.js';

export type FailOn = 'critical' | 'high' | 'medium' | 'low' | 'info' | 'none';

/** posture.yaml, as schemas/config.schema.json describes it. */
export type PostureConfig = {
  sources?: string[];
  failOn?: FailOn;
  format?: string[];
  paths?: { exclude?: string[] };
  rules?: { dirs?: string[]; include?: string[]; exclude?: string[]; params?: Record<string, Record<string, unknown>> };
  suppressions?: Suppression[];
  limits?: { maxFileBytes?: number; concurrency?: Record<string, number>; timeoutMs?: number; deadlineMs?: number };
  /** Collector sections; each collector reads and types its own (schemas/config/<name>.schema.json). */
  aws?: Record<string, unknown>;
  github?: Record<string, unknown>;
  osv?: Record<string, unknown>;
  secrets?: Record<string, unknown>;
};
