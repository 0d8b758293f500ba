import type { CollectorId, ResourceKind } from '../facts/types.js';
import type { Severity, Status, Suppression, Threat } from '../engine/types.js';

export type Classification = 'public' | 'internal' | 'confidential' | 'restricted';
export const CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const satisfies readonly Classification[];

/** How far a resource can be reached: `unknown` when the attributes that tell could not be read. */
export type Exposure = 'public' | 'internet-facing' | 'internal' | 'unknown';
export const EXPOSURES = ['public', 'internet-facing', 'internal', 'unknown'] as const satisfies readonly Exposure[];

export type DeclaredExposure = Exclude<Exposure, 'unknown'>;

export type TrustLevel = 'untrusted' | 'partially-trusted' | 'trusted';

/** One selector: a resource matches when every field given matches (globs in DESIGN's dialect). */
export type AssetSelector = {
  kind?: string | string[];
  id?: string | string[];
  tags?: Record<string, string>;
};

export type ModelAsset = {
  id: string;
  name: string;
  description?: string;
  classification: Classification;
  owner: string;
  zone?: string;
  exposure?: DeclaredExposure;
  select: AssetSelector | AssetSelector[];
};

export type TrustZone = { id: string; name: string; description?: string; trust: TrustLevel };

export type Attacker = { id: string; name: string; description?: string; threats: Threat[]; zones?: string[] };

/** threat-model.yaml, as schemas/threat-model.schema.json describes it. */
export type ThreatModel = {
  version?: 1;
  name: string;
  scope?: string;
  owner?: string;
  reportClassification?: string;
  defaults?: { classification?: Classification; owner?: string };
  assets: ModelAsset[];
  trustZones?: TrustZone[];
  attackers?: Attacker[];
  acceptedRisks?: Suppression[];
};

/** A threat model and where it came from (`file` is absent for the default model). */
export type LoadedThreatModel = { model: ThreatModel; source: 'file' | 'default'; file?: string };

// ---- The threat-model section of the result document -------------------------------------

/** The numbers behind the risk score, carried in the result so the report can show them. */
export type RiskFormula = {
  severity: Record<Severity, number>;
  classification: Record<Classification, number>;
  exposure: Record<Exposure, number>;
  /** Lower bounds of the bands, highest first. */
  bands: { band: Exclude<RiskBand, 'none'>; min: number }[];
  text: string;
};

export type RiskBand = 'critical' | 'high' | 'medium' | 'low' | 'none';

export type ThreatModelInfo = {
  name: string;
  scope?: string;
  owner?: string;
  source: 'file' | 'default';
  file?: string;
  reportClassification: string;
  defaultClassification: Classification;
  trustZones: TrustZone[];
  attackers: Attacker[];
  formula: RiskFormula;
};

export type AssetResource = {
  kind: ResourceKind;
  id: string;
  name: string;
  source: CollectorId;
  tags?: Record<string, string>;
  exposure: Exposure;
  /** Why the exposure is what it is, naming the attribute that decided it. */
  exposureReason: string;
};

export type StatusCounts = Record<Status, number>;

export type AssetEntry = {
  id: string;
  name: string;
  description?: string;
  classification: Classification;
  owner?: string;
  zone?: string;
  /** `model` when an asset of threat-model.yaml selected it, `default` for one resource no asset selected. */
  source: 'model' | 'default';
  declaredExposure?: DeclaredExposure;
  /** The widest exposure of its resources, raised to the declared one and the zone's floor. */
  exposure: Exposure;
  resources: AssetResource[];
  findings: StatusCounts;
  /** The highest residual risk score of its findings (0 when none is open). */
  risk: number;
  band: RiskBand;
};

export type RegisterStatus = 'at-risk' | 'unverified' | 'accepted' | 'mitigated' | 'not-covered';
export const REGISTER_STATUSES = ['at-risk', 'unverified', 'accepted', 'mitigated', 'not-covered'] as const satisfies readonly RegisterStatus[];

export type RegisterRule = {
  ruleId: string;
  title: string;
  severity: Severity;
  /** The worst status among its findings on this asset. */
  status: Exclude<Status, 'not_applicable'>;
  counts: { pass: number; fail: number; unknown: number; suppressed: number };
  /** Fingerprints of the findings (see `findings` in the result document). */
  findings: string[];
  /** Evidence of the failing findings and reasons of the unknown ones, at most five lines. */
  evidence: string[];
};

export type RegisterEntry = {
  asset: string;
  threat: Threat;
  status: RegisterStatus;
  /** Attackers of the model that bring this category. */
  attackers: string[];
  /** The highest residual risk score of the failing findings in this cell. */
  risk: number;
  rules: RegisterRule[];
};

export type RiskState = 'open' | 'accepted' | 'acceptance-expired';

export type RiskEntry = {
  fingerprint: string;
  ruleId: string;
  title: string;
  asset: string;
  resource: { kind: ResourceKind; id: string; name: string };
  severity: Severity;
  classification: Classification;
  exposure: Exposure;
  threats: Threat[];
  /** severity × classification × exposure. */
  score: number;
  /** The score while the risk is open; 0 while an acceptance is active. */
  residual: number;
  band: RiskBand;
  state: RiskState;
  acceptance?: { reason: string; owner: string; expires: string; ticket?: string; source: string };
  /** The arithmetic, e.g. "high 7 × restricted 4 × public 3 = 84". */
  formula: string;
};

/** What changed since a baseline result (the failing findings of both, by fingerprint). */
export type BaselineSummary = {
  scanTime: string;
  rulesHash: string;
  sameRules: boolean;
  counts: { new: number; fixed: number; unchanged: number; changed: number };
  /** Fingerprints of findings failing now that did not fail in the baseline. */
  new: string[];
  fixed: { fingerprint: string; ruleId: string; title: string; severity: Severity; resource: { kind: ResourceKind; id: string; name: string } }[];
  changed: { fingerprint: string; from: Severity; to: Severity }[];
};

/** The threat-model section of the result document. */
export type ThreatModelSection = {
  threatModel: ThreatModelInfo;
  assets: AssetEntry[];
  threatRegister: RegisterEntry[];
  risks: RiskEntry[];
};
