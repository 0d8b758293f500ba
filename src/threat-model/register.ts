import { isExpired } from '../engine/suppressions.js';
import { SEVERITIES, STATUSES, THREATS, type Finding, type ResultDocument, type Severity, type Status } from '../engine/types.js';
import type { FactsDocument, Resource } from '../facts/types.js';
import { deriveExposures, exposureAttributes, exposureKey, type ExposureVerdict } from './exposure.js';
import { defaultAttackers } from './model.js';
import { bandOf, riskFormula, scoreRisk, widerExposure } from './risk.js';
import { assignResources } from './select.js';
import type {
  AssetEntry,
  AssetResource,
  Classification,
  DeclaredExposure,
  Exposure,
  LoadedThreatModel,
  RegisterEntry,
  RegisterRule,
  RegisterStatus,
  RiskEntry,
  StatusCounts,
  ThreatModel,
  ThreatModelSection,
} from './types.js';

/** A resource as the threat model reads it (threatModelInventory keeps only the attributes exposure is derived from). */
export type InventoryItem = Pick<Resource, 'kind' | 'id' | 'name' | 'source' | 'scope' | 'tags' | 'attributes'>;

const DEFAULT_BANNER = 'CONFIDENTIAL';

const emptyCounts = (): StatusCounts => Object.fromEntries(STATUSES.map((s) => [s, 0])) as StatusCounts;

const SEVERITY_RANK: Record<Severity, number> = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;
const RULE_STATUS_RANK: Record<RegisterRule['status'], number> = { fail: 0, unknown: 1, suppressed: 2, pass: 3 };
// Most cells of a large estate have no mitigating rule: they share one empty list.
const NO_RULES = Object.freeze([]) as unknown as RegisterRule[];

/**
 * The facts' resources as the threat model reads them: identity, scope, tags and the attributes
 * that exposure is derived from. A large estate's facts are most of `evaluate`'s memory; this is
 * a small part of them, so the facts can be let go before the threat model is built.
 */
export const threatModelInventory = (facts: FactsDocument | InventoryItem[]): InventoryItem[] => {
  const read = exposureAttributes();
  return (Array.isArray(facts) ? facts : facts.resources).map((resource) => {
    const attributes: Record<string, unknown> = {};
    for (const name of read[resource.kind] ?? []) if (name in resource.attributes) attributes[name] = resource.attributes[name];
    return {
      kind: resource.kind,
      id: resource.id,
      name: resource.name,
      source: resource.source,
      ...(resource.scope ? { scope: resource.scope } : {}),
      ...(resource.tags ? { tags: resource.tags } : {}),
      attributes,
    };
  });
};

/** The resources to model: the facts' inventory, plus any resource a finding names that it lacks. */
const inventoryOf = (result: ResultDocument, facts: FactsDocument | InventoryItem[]): InventoryItem[] => {
  const resources = Array.isArray(facts) ? facts : facts.resources;
  const seen = new Set<string>();
  const items: InventoryItem[] = [];
  for (const resource of resources) {
    const key = exposureKey(resource);
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(resource);
  }
  for (const finding of result.findings) {
    const key = exposureKey(finding.resource);
    if (seen.has(key)) continue;
    seen.add(key);
    items.push({ ...finding.resource, attributes: {} });
  }
  return items;
};

const normaliseModel = (model: LoadedThreatModel | ThreatModel): LoadedThreatModel =>
  'model' in model && 'source' in model ? model : { model, source: 'file' };

const floorOf = (declared: DeclaredExposure | undefined, zoneUntrusted: boolean): Exposure | undefined => {
  if (zoneUntrusted) return declared ? widerExposure(declared, 'internet-facing') : 'internet-facing';
  return declared;
};

/**
 * The threat-model section with its register made while it is read: each pass over `register()`
 * builds the cells anew, asset by asset, from the findings the section was built from. A register
 * holds six cells an asset and an entry per asset and rule, most of what the section takes at
 * scale; a writer that serialises it a few assets at a time never holds it whole.
 */
export type LazyThreatModelSection = Omit<ThreatModelSection, 'threatRegister'> & { register: () => Iterable<RegisterEntry> };

/**
 * Builds the threat-model section of the result document: the assets the model selects from the
 * scanned resources, the threat register (asset × STRIDE category: which mitigating rules pass,
 * fail or could not be checked) and the failing findings scored as risks. Pure: the same inputs
 * give the same section.
 */
export const buildThreatModelSection = (...args: Parameters<typeof buildLazyThreatModelSection>): ThreatModelSection => {
  const { register, ...section } = buildLazyThreatModelSection(...args);
  return { threatModel: section.threatModel, assets: section.assets, threatRegister: [...register()], risks: section.risks };
};

/** buildThreatModelSection, with the register built each time it is iterated (see LazyThreatModelSection). */
export const buildLazyThreatModelSection = (
  result: ResultDocument,
  facts: FactsDocument | InventoryItem[],
  threatModel: LoadedThreatModel | ThreatModel,
  scanTime: Date | string,
): LazyThreatModelSection => {
  const loaded = normaliseModel(threatModel);
  const { model } = loaded;
  const now = typeof scanTime === 'string' ? new Date(scanTime) : scanTime;
  const formula = riskFormula();
  const inventory = inventoryOf(result, facts);
  const exposures = deriveExposures(inventory, result.scan.targets.treeId);
  const exposureOf = (r: { kind: string; id: string }): ExposureVerdict =>
    exposures.get(exposureKey(r)) ?? { exposure: 'unknown', reason: 'not in the inventory' };
  const defaultClassification: Classification = model.defaults?.classification ?? 'internal';
  const zones = new Map((model.trustZones ?? []).map((zone) => [zone.id, zone]));
  const attackers = model.attackers ?? defaultAttackers();

  const toAssetResource = (r: InventoryItem): AssetResource => {
    const verdict = exposureOf(r);
    return {
      kind: r.kind,
      id: r.id,
      name: r.name,
      source: r.source,
      ...(r.tags && Object.keys(r.tags).length > 0 ? { tags: r.tags } : {}),
      exposure: verdict.exposure,
      exposureReason: verdict.reason,
    };
  };

  const { byAsset, unmatched } = assignResources(model.assets, inventory);
  const assets: AssetEntry[] = [];
  const floors = new Map<string, Exposure | undefined>();
  const assetOfResource = new Map<string, AssetEntry>();
  for (const asset of model.assets) {
    const members = (byAsset.get(asset.id) ?? []).map(toAssetResource);
    const floor = floorOf(asset.exposure, asset.zone !== undefined && zones.get(asset.zone)?.trust === 'untrusted');
    floors.set(asset.id, floor);
    const widest = members.reduce<Exposure | undefined>((acc, m) => (acc ? widerExposure(acc, m.exposure) : m.exposure), undefined);
    const entry: AssetEntry = {
      id: asset.id,
      name: asset.name,
      ...(asset.description ? { description: asset.description } : {}),
      classification: asset.classification,
      owner: asset.owner,
      ...(asset.zone ? { zone: asset.zone } : {}),
      source: 'model',
      ...(asset.exposure ? { declaredExposure: asset.exposure } : {}),
      exposure: widest && floor ? widerExposure(widest, floor) : (widest ?? floor ?? 'unknown'),
      resources: members,
      findings: emptyCounts(),
      risk: 0,
      band: 'none',
    };
    assets.push(entry);
    for (const member of members) assetOfResource.set(exposureKey(member), entry);
  }
  for (const resource of unmatched) {
    const member = toAssetResource(resource);
    const entry: AssetEntry = {
      id: `${resource.kind}:${resource.id}`,
      name: resource.name,
      classification: defaultClassification,
      ...(model.defaults?.owner ? { owner: model.defaults.owner } : {}),
      source: 'default',
      exposure: member.exposure,
      resources: [member],
      findings: emptyCounts(),
      risk: 0,
      band: 'none',
    };
    assets.push(entry);
    assetOfResource.set(exposureKey(member), entry);
  }

  // Risks: every failing or accepted finding, scored on its own resource's exposure raised to its asset's floor.
  const risks: RiskEntry[] = [];
  const scores = new Map<string, ReturnType<typeof scoreRisk>>();
  // By index into the findings: an index takes less than a reference, and tells apart two findings
  // that share a fingerprint (two resources of one kind and id).
  const findingsByAsset = new Map<string, number[]>();
  const residuals = new Float64Array(result.findings.length);
  // A resource's risks name it alike: one reference each, held by all of them.
  const riskResources = new Map<Finding['resource'], RiskEntry['resource']>();
  const riskResourceOf = (resource: Finding['resource']): RiskEntry['resource'] => {
    let held = riskResources.get(resource);
    if (!held) {
      held = { kind: resource.kind, id: resource.id, name: resource.name };
      riskResources.set(resource, held);
    }
    return held;
  };
  result.findings.forEach((finding, index) => {
    const asset = assetOfResource.get(exposureKey(finding.resource));
    if (!asset) return;
    asset.findings[finding.status]++;
    const list = findingsByAsset.get(asset.id) ?? [];
    list.push(index);
    findingsByAsset.set(asset.id, list);
    if (finding.status !== 'fail' && finding.status !== 'suppressed') return;
    const own = exposureOf(finding.resource).exposure;
    const floor = floors.get(asset.id);
    const exposure = floor ? widerExposure(own, floor) : own;
    // One score, and one formula text, per combination: not a text per failing finding.
    const scoreKey = `${finding.severity}\u0000${asset.classification}\u0000${exposure}`;
    let scored = scores.get(scoreKey);
    if (!scored) {
      scored = scoreRisk(finding.severity, asset.classification, exposure, formula);
      scores.set(scoreKey, scored);
    }
    const accepted = finding.status === 'suppressed' && finding.suppression !== undefined && !isExpired(finding.suppression.expires, now);
    const state: RiskEntry['state'] = accepted ? 'accepted' : finding.suppression ? 'acceptance-expired' : 'open';
    const residual = accepted ? 0 : scored.score;
    residuals[index] = residual;
    risks.push({
      fingerprint: finding.fingerprint,
      ruleId: finding.ruleId,
      title: finding.title,
      asset: asset.id,
      resource: riskResourceOf(finding.resource),
      severity: finding.severity,
      classification: asset.classification,
      exposure,
      threats: finding.threats,
      score: scored.score,
      residual,
      band: bandOf(residual, formula),
      state,
      ...(finding.suppression ? { acceptance: { ...finding.suppression } } : {}),
      formula: scored.formula,
    });
    if (residual > asset.risk) {
      asset.risk = residual;
      asset.band = bandOf(residual, formula);
    }
  });
  risks.sort(
    (a, b) =>
      b.residual - a.residual ||
      b.score - a.score ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.resource.id.localeCompare(b.resource.id) ||
      a.fingerprint.localeCompare(b.fingerprint),
  );

  // The attackers of a threat are the same for every asset: one list each, shared by the cells.
  const attackersOf = new Map(THREATS.map((threat) => [threat, attackers.filter((attacker) => attacker.threats.includes(threat)).map((attacker) => attacker.id)]));
  const countsOf = new Map<string, RegisterRule['counts']>();
  const { findings } = result;
  function* registerCells(): Generator<RegisterEntry> {
    for (const asset of assets) {
      // An asset that selects nothing this scan has nothing to register; the report lists it apart.
      if (asset.resources.length === 0) continue;
      // A rule's findings all carry the rule's threats, so its entry is the same in each of the
      // asset's cells that it mitigates: built once per asset and rule, shared by those cells.
      const entries = new Map<string, { rule: RegisterRule; threats: readonly string[]; risk: number }>();
      const multiple = asset.resources.length > 1;
      for (const index of findingsByAsset.get(asset.id) ?? []) {
        const finding = findings[index] as Finding;
        if (finding.status === 'not_applicable') continue;
        const status = finding.status as RegisterRule['status'];
        let entry = entries.get(finding.ruleId);
        if (!entry) {
          entry = {
            rule: { ruleId: finding.ruleId, title: finding.title, severity: finding.severity, status, counts: { pass: 0, fail: 0, unknown: 0, suppressed: 0 }, findings: [], evidence: [] },
            threats: finding.threats,
            risk: 0,
          };
          entries.set(finding.ruleId, entry);
        }
        const { rule } = entry;
        rule.counts[status]++;
        rule.findings.push(finding.fingerprint);
        if (RULE_STATUS_RANK[status] < RULE_STATUS_RANK[rule.status]) rule.status = status;
        if (SEVERITY_RANK[finding.severity] < SEVERITY_RANK[rule.severity]) rule.severity = finding.severity;
        const prefix = multiple ? `${finding.resource.name}: ` : '';
        if (status === 'fail') {
          entry.risk = Math.max(entry.risk, residuals[index] ?? 0);
          for (const item of finding.evidence) rule.evidence.push(`${prefix}${item.line ? `line ${item.line}: ` : ''}${item.detail}`);
          if (finding.evidence.length === 0) rule.evidence.push(`${prefix}${finding.message}`);
        } else if (status === 'unknown' && finding.unknown) {
          rule.evidence.push(`${prefix}could not be checked: ${finding.unknown.reason}${finding.unknown.permission ? ` (needs ${finding.unknown.permission})` : ''}`);
        }
        if (rule.evidence.length > 5) rule.evidence.length = 5;
      }
      // Lists grown by push keep room for 17 entries: copied to their length, as a register holds
      // hundreds of thousands of them.
      for (const { rule } of entries.values()) {
        rule.findings = rule.findings.slice();
        rule.evidence = rule.evidence.slice();
        // Few distinct counts occur (one passing finding, one failing one...): one object each.
        const countsKey = `${rule.counts.pass},${rule.counts.fail},${rule.counts.unknown},${rule.counts.suppressed}`;
        const shared = countsOf.get(countsKey);
        if (shared) rule.counts = shared;
        else countsOf.set(countsKey, rule.counts);
      }
      const ordered = [...entries.values()].sort((a, b) => RULE_STATUS_RANK[a.rule.status] - RULE_STATUS_RANK[b.rule.status] || SEVERITY_RANK[a.rule.severity] - SEVERITY_RANK[b.rule.severity] || a.rule.ruleId.localeCompare(b.rule.ruleId));
      for (const threat of THREATS) {
        const mitigating = ordered.filter((entry) => entry.threats.includes(threat));
        const rules = mitigating.length > 0 ? mitigating.map((entry) => entry.rule) : NO_RULES;
        yield {
          asset: asset.id,
          threat,
          status: cellStatus(rules),
          attackers: attackersOf.get(threat) ?? [],
          risk: mitigating.reduce((max, entry) => Math.max(max, entry.risk), 0),
          rules,
        };
      }
    }
  }

  const target = result.scan.targets.treeId ?? result.scan.targets.path;
  return {
    threatModel: {
      name: loaded.source === 'default' && target ? `${model.name} for ${target}` : model.name,
      ...(model.scope ? { scope: model.scope } : {}),
      ...(model.owner ? { owner: model.owner } : {}),
      source: loaded.source,
      ...(loaded.file ? { file: loaded.file } : {}),
      reportClassification: model.reportClassification ?? DEFAULT_BANNER,
      defaultClassification,
      trustZones: model.trustZones ?? [],
      attackers,
      formula,
    },
    assets,
    register: () => ({ [Symbol.iterator]: registerCells }),
    risks,
  };
};

const cellStatus = (rules: RegisterRule[]): RegisterStatus => {
  const has = (status: Status): boolean => rules.some((r) => r.counts[status as keyof RegisterRule['counts']] > 0);
  if (has('fail')) return 'at-risk';
  if (has('unknown')) return 'unverified';
  if (has('suppressed')) return 'accepted';
  if (has('pass')) return 'mitigated';
  return 'not-covered';
};
