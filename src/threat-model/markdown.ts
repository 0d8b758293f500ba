import { THREATS, type ResultDocument, type Threat } from '../engine/types.js';
import { buildFrom, createTopK, type ReportBuild, type ResultHead, type ResultVisitor } from '../reporters/visit.js';
import type { AssetEntry, RegisterEntry, RegisterStatus, RiskEntry } from './types.js';

export const THREAT_LABELS: Record<Threat, string> = {
  spoofing: 'Spoofing',
  tampering: 'Tampering',
  repudiation: 'Repudiation',
  'information-disclosure': 'Information disclosure',
  'denial-of-service': 'Denial of service',
  'elevation-of-privilege': 'Elevation of privilege',
};

const SYMBOL: Record<RegisterStatus, string> = { 'at-risk': '✗', unverified: '?', accepted: '≈', mitigated: '✓', 'not-covered': '·' };

const TOP_RISKS = 10;
const TOP_ASSETS = 10;

/**
 * The threat-model part of the Markdown report: the top open risks and a summary of the threat
 * register. Every outside string goes through `escape`; an empty string when the result carries
 * no threat-model section.
 */
export const startThreatSummaryMarkdown = (result: ResultHead, escape: (s: string) => string): ReportBuild => {
  const assetNames = new Map<string, string>();
  let assetCount = 0;
  const ranked = createTopK<AssetEntry>(TOP_ASSETS, (a, b) => b.risk - a.risk || a.name.localeCompare(b.name));
  const counts = new Map<Threat, Record<RegisterStatus, number>>(THREATS.map((t) => [t, { 'at-risk': 0, unverified: 0, accepted: 0, mitigated: 0, 'not-covered': 0 }]));
  let rankedIds: Set<string> | undefined;
  const cellOf = new Map<string, RegisterEntry>();
  const open: RiskEntry[] = [];
  let openCount = 0;
  let accepted = 0;
  const expired: RiskEntry[] = [];
  let expiredCount = 0;

  const visitor: ResultVisitor = {
    asset: (asset) => {
      assetCount++;
      assetNames.set(asset.id, asset.name);
      if (asset.risk > 0) ranked.add(asset);
    },
    cell: (entry) => {
      const byStatus = counts.get(entry.threat);
      if (byStatus && Object.hasOwn(byStatus, entry.status)) byStatus[entry.status]++;
      rankedIds ??= new Set(ranked.result().map((a) => a.id));
      if (rankedIds.has(entry.asset)) cellOf.set(`${entry.asset}\u0000${entry.threat}`, entry);
    },
    risk: (risk) => {
      if (risk.residual > 0) {
        openCount++;
        if (open.length < TOP_RISKS) open.push(risk);
      }
      if (risk.state === 'accepted') accepted++;
      if (risk.state === 'acceptance-expired') {
        expiredCount++;
        if (expired.length < TOP_RISKS) expired.push(risk);
      }
    },
  };

  const render = (): string => {
    const { threatModel } = result;
    if (!result.has.risks || !result.has.threatRegister || !result.has.assets) return '';
    const out: string[] = [];

    out.push('## Top risks', '');
    if (openCount === 0) out.push('No open risk: no failing finding outside an active accepted risk.', '');
    else {
      out.push('| # | Risk | Score | Rule | Resource | Asset | Why |', '|---:|---|---:|---|---|---|---|');
      open.forEach((risk, index) => {
        const state = risk.state === 'acceptance-expired' ? ' (acceptance expired)' : '';
        out.push(
          `| ${index + 1} | **${risk.band}**${state} | ${risk.residual} | ${escape(risk.ruleId)} | ${escape(risk.resource.name)} | ${escape(assetNames.get(risk.asset) ?? risk.asset)} | ${escape(risk.formula)} |`,
        );
      });
      if (openCount > TOP_RISKS) out.push('', `${openCount - TOP_RISKS} more open risk(s) in the full report.`);
      out.push('');
    }
    if (accepted > 0) out.push(`${accepted} risk(s) accepted until their expiry date; they count again when it passes.`, '');
    if (expiredCount > 0) {
      out.push(`**${expiredCount} accepted risk(s) expired and count again:**`, '');
      for (const risk of expired) {
        const by = risk.acceptance ? ` (accepted by ${escape(risk.acceptance.owner)} until ${escape(risk.acceptance.expires)})` : '';
        out.push(`- ${escape(risk.ruleId)} on ${escape(risk.resource.name)}: ${risk.band}, ${risk.residual}${by}`);
      }
      if (expiredCount > TOP_RISKS) out.push(`- and ${expiredCount - TOP_RISKS} more`);
      out.push('');
    }
    if (threatModel) out.push(`How risk is scored: ${escape(threatModel.formula.text)}`, '');

    out.push('## Threat register', '');
    const legend = `${SYMBOL['at-risk']} at risk, ${SYMBOL.unverified} could not be checked, ${SYMBOL.accepted} accepted, ${SYMBOL.mitigated} mitigated, ${SYMBOL['not-covered']} no rule covers it`;
    out.push('| STRIDE category | At risk | Unverified | Accepted | Mitigated | Not covered |', '|---|---:|---:|---:|---:|---:|');
    for (const threat of THREATS) {
      const count = counts.get(threat) as Record<RegisterStatus, number>;
      out.push(`| ${THREAT_LABELS[threat]} | ${count['at-risk']} | ${count.unverified} | ${count.accepted} | ${count.mitigated} | ${count['not-covered']} |`);
    }
    out.push('', `Counts are assets (${assetCount} in all). ${legend}.`, '');

    const top = ranked.result();
    if (top.length > 0) {
      out.push('| Asset | Classification | Exposure | S | T | R | I | D | E | Highest risk |', '|---|---|---|:-:|:-:|:-:|:-:|:-:|:-:|---:|');
      for (const asset of top) {
        const symbols = THREATS.map((t) => SYMBOL[cellOf.get(`${asset.id}\u0000${t}`)?.status ?? 'not-covered']);
        out.push(`| ${escape(asset.name)} | ${asset.classification} | ${asset.exposure} | ${symbols.join(' | ')} | ${asset.risk} (${asset.band}) |`);
      }
      out.push('');
    }
    return out.join('\n');
  };
  return { visitor, render };
};

export const renderThreatSummaryMarkdown = (result: ResultDocument, escape: (s: string) => string): string => buildFrom(result, (head) => startThreatSummaryMarkdown(head, escape));
