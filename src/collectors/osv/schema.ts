import type { ValidateFunction } from 'ajv';
import { createAjv } from '../../facts/documents.js';

/**
 * osv-scanner's `--format json` output, only the fields posture uses. Everything else the
 * scanner prints (licences, experimental analysis, image layers) is let through unread.
 */
export type OsvOutput = { results?: OsvResult[] | null };
export type OsvResult = { source: { path: string; type?: string }; packages?: unknown[] | null };

export type OsvEvent = { introduced?: string; fixed?: string; last_affected?: string; limit?: string };
export type OsvAffected = {
  package?: { ecosystem?: string; name?: string };
  ranges?: { type?: string; events?: OsvEvent[] }[] | null;
  versions?: string[] | null;
};
export type OsvVulnerability = {
  id: string;
  aliases?: string[] | null;
  summary?: string;
  details?: string;
  severity?: { type?: string; score?: string }[] | null;
  affected?: OsvAffected[] | null;
  references?: { type?: string; url?: string }[] | null;
  database_specific?: { severity?: string | null } | null;
};
export type OsvPackage = {
  package: { name: string; version?: string; ecosystem: string; commit?: string };
  vulnerabilities?: OsvVulnerability[] | null;
  groups?: { ids?: string[] | null; aliases?: string[] | null; max_severity?: string | number | null }[] | null;
  dependency_groups?: string[] | null;
};

const stringList = { type: ['array', 'null'], items: { type: 'string' } };

const event = {
  type: 'object',
  properties: { introduced: { type: 'string' }, fixed: { type: 'string' }, last_affected: { type: 'string' }, limit: { type: 'string' } },
};

const vulnerability = {
  type: 'object',
  required: ['id'],
  properties: {
    id: { type: 'string', minLength: 1 },
    aliases: stringList,
    summary: { type: 'string' },
    details: { type: 'string' },
    severity: { type: ['array', 'null'], items: { type: 'object', properties: { type: { type: 'string' }, score: { type: 'string' } } } },
    affected: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        properties: {
          package: { type: 'object', properties: { ecosystem: { type: 'string' }, name: { type: 'string' } } },
          ranges: { type: ['array', 'null'], items: { type: 'object', properties: { type: { type: 'string' }, events: { type: 'array', items: event } } } },
          versions: stringList,
        },
      },
    },
    references: { type: ['array', 'null'], items: { type: 'object', properties: { type: { type: 'string' }, url: { type: 'string' } } } },
    database_specific: { type: ['object', 'null'], properties: { severity: { type: ['string', 'null'] } } },
  },
};

const packageSchema = {
  type: 'object',
  required: ['package'],
  properties: {
    package: {
      type: 'object',
      required: ['name', 'ecosystem'],
      // A git source's package may have no name and no ecosystem, only a commit.
      properties: { name: { type: 'string' }, version: { type: 'string' }, ecosystem: { type: 'string' }, commit: { type: 'string' } },
    },
    vulnerabilities: { type: ['array', 'null'], items: vulnerability },
    groups: {
      type: ['array', 'null'],
      items: { type: 'object', properties: { ids: stringList, aliases: stringList, max_severity: { type: ['string', 'number', 'null'] } } },
    },
    dependency_groups: stringList,
  },
};

const outputSchema = {
  type: 'object',
  required: ['results'],
  properties: {
    results: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        required: ['source'],
        properties: {
          source: { type: 'object', required: ['path'], properties: { path: { type: 'string' }, type: { type: 'string' } } },
          packages: { type: ['array', 'null'], items: { type: 'object' } },
        },
      },
    },
  },
};

export type OsvValidators = {
  /** The document's outline: results with their sources. */
  output: ValidateFunction<OsvOutput>;
  /** One package entry, checked on its own so that one odd entry does not hide the others. */
  package: ValidateFunction<OsvPackage>;
};

/** Compiles the validators, once per scan. */
export const createOsvValidators = (): OsvValidators => {
  const ajv = createAjv();
  return { output: ajv.compile<OsvOutput>(outputSchema), package: ajv.compile<OsvPackage>(packageSchema) };
};
