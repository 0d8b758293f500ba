import type { Severity } from '../engine/types.js';
import type { Classification, Exposure, RiskBand, RiskFormula } from './types.js';

const SEVERITY_WEIGHT: Record<Severity, number> = { critical: 10, high: 7, medium: 4, low: 2, info: 1 };
const CLASSIFICATION_WEIGHT: Record<Classification, number> = { public: 1, internal: 2, confidential: 3, restricted: 4 };
// Unknown exposure is scored like internet-facing: not the worst case (that would drown real
// public exposure in noise) and never the best (that would be a false pass on what the scan missed).
const EXPOSURE_WEIGHT: Record<Exposure, number> = { public: 3, 'internet-facing': 2, unknown: 2, internal: 1 };
const BANDS: RiskFormula['bands'] = [
  { band: 'critical', min: 60 },
  { band: 'high', min: 30 },
  { band: 'medium', min: 12 },
  { band: 'low', min: 1 },
];

/** The documented risk formula (docs/threat-model-format.md), carried into the result document. */
export const riskFormula = (): RiskFormula => ({
  severity: { ...SEVERITY_WEIGHT },
  classification: { ...CLASSIFICATION_WEIGHT },
  exposure: { ...EXPOSURE_WEIGHT },
  bands: BANDS.map((b) => ({ ...b })),
  text:
    'risk = severity (critical 10, high 7, medium 4, low 2, info 1) × classification (restricted 4, confidential 3, internal 2, public 1) × exposure (public 3, internet-facing 2, unknown 2, internal 1); ' +
    'bands: critical ≥ 60, high ≥ 30, medium ≥ 12, low below. An active accepted risk or suppression brings the residual risk to 0 until it expires.',
});

export const bandOf = (score: number, formula: RiskFormula = riskFormula()): RiskBand => formula.bands.find((b) => score >= b.min)?.band ?? 'none';

export type Scored = { score: number; band: RiskBand; formula: string };

/** Scores one failing finding: its severity × its asset's classification × its exposure. */
export const scoreRisk = (severity: Severity, classification: Classification, exposure: Exposure, formula: RiskFormula = riskFormula()): Scored => {
  const s = formula.severity[severity];
  const c = formula.classification[classification];
  const e = formula.exposure[exposure];
  const score = s * c * e;
  return { score, band: bandOf(score, formula), formula: `${severity} ${s} × ${classification} ${c} × ${exposure} ${e} = ${score}` };
};

const EXPOSURE_RANK: Record<Exposure, number> = { internal: 0, unknown: 1, 'internet-facing': 2, public: 3 };

/** The wider of two exposures; unknown ranks above internal (it might be more) and below what is known to be reachable. */
export const widerExposure = (a: Exposure, b: Exposure): Exposure => (EXPOSURE_RANK[a] >= EXPOSURE_RANK[b] ? a : b);

const BAND_RANK: Record<RiskBand, number> = { critical: 4, high: 3, medium: 2, low: 1, none: 0 };
export const bandRank = (band: RiskBand): number => BAND_RANK[band];
