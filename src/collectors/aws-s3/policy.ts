/**
 * Bucket-policy analysis: which statements make a bucket public, and whether the policy denies
 * insecure transport to everyone on the bucket and on its objects. Pure functions over the policy
 * JSON, so every shape that scanners get wrong is tested without a network.
 */

type Json = unknown;

/** A statement that allows access to anyone, with what the collector needs to explain it. */
export type PublicStatement = {
  /** The statement's Sid, or null when it has none. */
  sid: string | null;
  /** Position in the Statement list, from 0. */
  index: number;
  /** `Principal: *`, `Principal: {"AWS": "*"}` or `NotPrincipal: ...` as written. */
  principal: string;
  actions: string[];
  resources: string[];
  /** Condition keys present on the statement that do not restrict who can use it. */
  conditionKeys: string[];
};

export type TransportAnalysis = {
  /** A Deny for every principal and every S3 action covers plain HTTP on the bucket and on all its objects. */
  httpDenied: boolean;
  /** The same, for TLS versions below 1.2 (`s3:TlsVersion`). */
  tlsBelow12Denied: boolean;
};

export type PolicyAnalysis = {
  statementCount: number;
  publicStatements: PublicStatement[];
  transport: TransportAnalysis;
};

/**
 * Condition keys that, with fixed values and a positive operator, limit a statement to known
 * callers: the ones AWS itself treats as making a policy non-public ("The meaning of public" in
 * the S3 User Guide) plus the organisation and account keys. Lower case: keys are case-insensitive.
 */
const RESTRICTING_KEYS = new Set([
  'aws:principalorgid',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:sourcevpce',
  'aws:sourcevpc',
  'aws:sourcearn',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:sourceip',
  's3:dataaccesspointarn',
  's3:dataaccesspointaccount',
]);

/** Operators that match only the listed values; negated and *IfExists operators do not restrict. */
const POSITIVE_OPERATORS = new Set(['stringequals', 'stringequalsignorecase', 'stringlike', 'arnequals', 'arnlike', 'ipaddress']);

/** IP ranges at least this specific count as a fixed set of callers. */
const MIN_PREFIX = { v4: 8, v6: 32 } as const;

const asList = (value: Json): Json[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);
const strings = (value: Json): string[] => asList(value).filter((v): v is string => typeof v === 'string');
const isRecord = (value: Json): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Looks a key up case-insensitively, as IAM does for policy elements. */
const field = (record: Record<string, Json>, name: string): Json => {
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
};

/** `*` or `{"AWS": "*"}` (alone or among other principals): every caller, signed or anonymous. */
const isEveryone = (principal: Json): boolean => {
  if (principal === '*') return true;
  if (!isRecord(principal)) return false;
  return strings(field(principal, 'AWS')).includes('*');
};

const hasWildcard = (value: string): boolean => /[*?]/.test(value) || value.includes('${');

const cidrIsNarrow = (cidr: string): boolean => {
  const [address, prefix] = cidr.split('/');
  if (address === undefined) return false;
  const bits = prefix === undefined ? (address.includes(':') ? 128 : 32) : Number(prefix);
  if (!Number.isInteger(bits)) return false;
  return bits >= (address.includes(':') ? MIN_PREFIX.v6 : MIN_PREFIX.v4);
};

/** A condition block entry that limits the statement to a fixed set of callers. */
const restricts = (operator: string, key: string, values: Json): boolean => {
  const op = operator.toLowerCase();
  if (op.startsWith('forallvalues:') || op.endsWith('ifexists')) return false;
  const base = op.replace(/^foranyvalue:/, '');
  if (!POSITIVE_OPERATORS.has(base)) return false;
  const k = key.toLowerCase();
  if (!RESTRICTING_KEYS.has(k)) return false;
  const list = asList(values).map((v) => String(v));
  if (list.length === 0) return false;
  if (k === 'aws:sourceip') return base === 'ipaddress' && list.every(cidrIsNarrow);
  return list.every((v) => v.length > 0 && !hasWildcard(v));
};

type ConditionEntry = { operator: string; key: string; values: Json };

const conditionEntries = (condition: Json): ConditionEntry[] => {
  if (!isRecord(condition)) return [];
  return Object.entries(condition).flatMap(([operator, block]) =>
    isRecord(block) ? Object.entries(block).map(([key, values]) => ({ operator, key, values })) : [],
  );
};

/** A simple IAM wildcard match: `*` any run, `?` one character; case-sensitive unless asked. */
export const wildcardMatch = (pattern: string, value: string, ignoreCase = false): boolean => {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
};

/** Whether a wildcard pattern matches every string that starts with `prefix`. */
export const coversAllWithPrefix = (pattern: string, prefix: string): boolean => {
  const trimmed = pattern.replace(/\*+$/, '');
  if (trimmed === pattern) return false;
  return wildcardMatch(`${trimmed}*`, prefix);
};

/** Whether a wildcard pattern could match some string that starts with `prefix`. */
const mayMatchUnder = (pattern: string, prefix: string): boolean => {
  const literal = pattern.split(/[*?]/)[0] ?? '';
  return literal.startsWith(prefix) || prefix.startsWith(literal);
};

/** An Action list that names every S3 action (`*`, `s3:*`, `s3*`, ...). */
const coversAllS3Actions = (statement: Record<string, Json>): boolean => {
  const notActions = field(statement, 'NotAction');
  if (notActions !== undefined) return strings(notActions).every((p) => !mayMatchUnder(p.toLowerCase(), 's3:'));
  return strings(field(statement, 'Action')).some((p) => coversAllWithPrefix(p.toLowerCase(), 's3:'));
};

type Coverage = { bucket: boolean; objects: boolean };

const resourceCoverage = (statement: Record<string, Json>, bucketArn: string): Coverage => {
  const objectPrefix = `${bucketArn}/`;
  const notResources = field(statement, 'NotResource');
  if (notResources !== undefined) {
    const patterns = strings(notResources);
    return {
      bucket: patterns.every((p) => !wildcardMatch(p, bucketArn)),
      objects: patterns.every((p) => !mayMatchUnder(p, objectPrefix)),
    };
  }
  const patterns = strings(field(statement, 'Resource'));
  return {
    bucket: patterns.some((p) => wildcardMatch(p, bucketArn)),
    objects: patterns.some((p) => coversAllWithPrefix(p, objectPrefix)),
  };
};

const isFalse = (value: Json): boolean => value === false || (typeof value === 'string' && value.toLowerCase() === 'false');

type TransportDeny = { http: boolean; tlsBelow12: boolean };

/**
 * What one Deny statement's condition denies. Only a statement whose sole condition is the
 * transport test counts: any further condition narrows the Deny to some requests. A plain
 * `NumericLessThan s3:TlsVersion` does not deny HTTP, because the key is absent from HTTP requests
 * and a missing key never matches; the *IfExists form does.
 */
const transportDenied = (condition: Json): TransportDeny => {
  const none: TransportDeny = { http: false, tlsBelow12: false };
  const entries = conditionEntries(condition);
  if (entries.length !== 1) return none;
  const [entry] = entries as [ConditionEntry];
  const op = entry.operator.toLowerCase();
  const key = entry.key.toLowerCase();
  const values = asList(entry.values);
  if (values.length === 0) return none;
  if (key === 'aws:securetransport' && (op === 'bool' || op === 'boolifexists')) {
    return { http: values.some(isFalse), tlsBelow12: false };
  }
  if (key === 's3:tlsversion') {
    const numbers = values.map(Number).filter(Number.isFinite);
    const ifExists = op.endsWith('ifexists');
    const base = op.replace(/ifexists$/, '');
    const below12 = (base === 'numericlessthan' && numbers.some((n) => n >= 1.2)) || (base === 'numericlessthanequals' && numbers.some((n) => n >= 1.1));
    return { http: below12 && ifExists, tlsBelow12: below12 };
  }
  return none;
};

const compact = (value: Json): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** The partition of a region, for ARNs. */
export const partitionOf = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

/**
 * Analyses a bucket policy document. Throws on text that is not a JSON policy, so that the caller
 * can record the attribute as unknown rather than guess.
 */
export const analysePolicy = (text: string, bucketArn: string): PolicyAnalysis => {
  const document = JSON.parse(text) as Json;
  if (!isRecord(document)) throw new Error('the bucket policy is not a JSON object');
  const statements = asList(field(document, 'Statement')).filter(isRecord);
  const publicStatements: PublicStatement[] = [];
  const http: Coverage = { bucket: false, objects: false };
  const tls: Coverage = { bucket: false, objects: false };
  statements.forEach((statement, index) => {
    const effect = String(field(statement, 'Effect') ?? '').toLowerCase();
    const principal = field(statement, 'Principal');
    const notPrincipal = field(statement, 'NotPrincipal');
    const entries = conditionEntries(field(statement, 'Condition'));
    if (effect === 'allow') {
      // NotPrincipal in an Allow grants everyone except the listed principals.
      const open = notPrincipal !== undefined || isEveryone(principal);
      if (!open || entries.some((e) => restricts(e.operator, e.key, e.values))) return;
      const sid = field(statement, 'Sid');
      publicStatements.push({
        sid: typeof sid === 'string' && sid !== '' ? sid : null,
        index,
        principal: notPrincipal !== undefined ? `NotPrincipal ${compact(notPrincipal)}` : compact(principal),
        actions: strings(field(statement, 'Action') ?? field(statement, 'NotAction')),
        resources: strings(field(statement, 'Resource') ?? field(statement, 'NotResource')),
        conditionKeys: [...new Set(entries.map((e) => e.key))],
      });
      return;
    }
    if (effect !== 'deny') return;
    // A Deny scoped to named principals (or to everyone but some, via NotPrincipal) leaves others free to use HTTP.
    if (notPrincipal !== undefined || !isEveryone(principal) || !coversAllS3Actions(statement)) return;
    const denied = transportDenied(field(statement, 'Condition'));
    if (!denied.http && !denied.tlsBelow12) return;
    const coverage = resourceCoverage(statement, bucketArn);
    if (denied.http) {
      http.bucket ||= coverage.bucket;
      http.objects ||= coverage.objects;
    }
    if (denied.tlsBelow12) {
      tls.bucket ||= coverage.bucket;
      tls.objects ||= coverage.objects;
    }
  });
  return {
    statementCount: statements.length,
    publicStatements,
    transport: { httpDenied: http.bucket && http.objects, tlsBelow12Denied: tls.bucket && tls.objects },
  };
};
