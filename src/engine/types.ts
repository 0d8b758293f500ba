import type { CollectorId, Location, ResourceKind, SourceReport } from '../facts/types.js';
import type { AssetEntry, BaselineSummary, RegisterEntry, RiskEntry, ThreatModelInfo } from '../threat-model/types.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const satisfies readonly Severity[];

export type Status = 'pass' | 'fail' | 'unknown' | 'not_applicable' | 'suppressed';
export const STATUSES = ['pass', 'fail', 'unknown', 'not_applicable', 'suppressed'] as const satisfies readonly Status[];

export type CsfFunction = 'GV' | 'ID' | 'PR' | 'DE' | 'RS' | 'RC';
export const CSF_FUNCTIONS = ['GV', 'ID', 'PR', 'DE', 'RS', 'RC'] as const satisfies readonly CsfFunction[];

export type Threat =
  | 'spoofing'
  | 'tampering'
  | 'repudiation'
  | 'information-disclosure'
  | 'denial-of-service'
  | 'elevation-of-privilege';
export const THREATS = [
  'spoofing',
  'tampering',
  'repudiation',
  'information-disclosure',
  'denial-of-service',
  'elevation-of-privilege',
] as const satisfies readonly Threat[];

export type JsonSchema = Record<string, unknown> | boolean;

export type ParamType = 'integer' | 'number' | 'boolean' | 'string' | 'string-list';

export type RuleParam = { type: ParamType; default: unknown; description: string };

/** A rule as written in rules/<domain>/<id>.yaml. */
export type RuleFile = {
  id: string;
  title: string;
  description: string;
  risk: string;
  severity: Severity;
  /** An attribute path whose value is a severity, for rules whose severity belongs to the instance. */
  severityFrom?: string;
  lifecycle: 'stable' | 'beta' | 'deprecated';
  resource: ResourceKind;
  requires: string[];
  when?: JsonSchema;
  condition: JsonSchema;
  params?: Record<string, RuleParam>;
  csf: { id: string; rationale: string }[];
  threats: Threat[];
  /** Failure message; `{{name}}`, `{{attributes.x}}`, `{{params.x}}` are replaced. */
  message: string;
  /** One sentence per offending place, rendered with the offending item's fields. */
  evidence?: string;
  remediation: { text: string; cli?: string; terraform?: string };
  references?: string[];
};

/** A loaded rule: the file plus where it came from. */
export type Rule = RuleFile & { file: string; builtin: boolean };

/**
 * One offending place: the attribute path, the file and line where the place records them (a
 * lockfile, an env file, a workflow step), a sentence, and the scalar value seen.
 */
export type EvidenceItem = { path: string; file?: string; line?: number; detail: string; value?: unknown };

export type CsfRef = { function: CsfFunction; category: string; subcategories: string[] };

export type Finding = {
  ruleId: string;
  status: Status;
  severity: Severity;
  resource: { kind: ResourceKind; id: string; name: string; source: CollectorId; scope?: Record<string, string> };
  csf: CsfRef;
  threats: Threat[];
  title: string;
  message: string;
  evidence: EvidenceItem[];
  location?: Location;
  fingerprint: string;
  /** For `unknown`: what was missing. */
  unknown?: { reason: string; attributes: string[]; permission?: string };
  suppression?: { reason: string; owner: string; expires: string; ticket?: string; source: string };
  firstSeen?: string;
  /** The resource's discriminator (an advisory id for a dependency), when it has one. */
  discriminator?: string;
};

export type Suppression = {
  rule: string;
  resource: string;
  reason: string;
  owner: string;
  expires: string;
  ticket?: string;
};

export type SuppressionState = Suppression & {
  source: string;
  state: 'active' | 'expired' | 'stale';
  matched: number;
};

export type RuleMeta = Pick<
  RuleFile,
  'id' | 'title' | 'description' | 'risk' | 'severity' | 'resource' | 'csf' | 'threats' | 'remediation' | 'references'
> & { params: Record<string, unknown>; builtin: boolean };

export type Summary = {
  total: number;
  byStatus: Record<Status, number>;
  /** Failing findings by severity. */
  bySeverity: Record<Severity, number>;
  byFunction: Record<CsfFunction, Record<Status, number>>;
};

export type ResultDocument = {
  schemaVersion: '1';
  tool: { name: string; version: string };
  scan: {
    scanTime: string;
    targets: { path?: string; treeId?: string };
    configHash: string;
    rulesHash: string;
    demo?: boolean;
  };
  rules: RuleMeta[];
  findings: Finding[];
  summary: Summary;
  coverage: { sources: SourceReport[]; excluded: string[] };
  suppressions: SuppressionState[];
  /** The threat model the assets were chosen by (src/threat-model). */
  threatModel?: ThreatModelInfo;
  assets?: AssetEntry[];
  /** One entry per asset and STRIDE category. */
  threatRegister?: RegisterEntry[];
  /** Failing and accepted findings scored, highest residual risk first. */
  risks?: RiskEntry[];
  /** What changed since the baseline result, when one was given. */
  baseline?: BaselineSummary;
};
