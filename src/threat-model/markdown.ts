import { THREATS, type ResultDocument, type Threat } from '../engine/types.js';
import type { RegisterStatus } from './types.js';

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
export const renderThreatSummaryMarkdown = (result: ResultDocument, escape: (s: string) => string): string => {
  const { risks, threatRegister, assets, threatModel } = result;
  if (!risks || !threatRegister || !assets) return '';
  const assetNames = new Map(assets.map((a) => [a.id, a.name]));
  const out: string[] = [];

  out.push('## Top risks', '');
  const open = risks.filter((r) => r.residual > 0);
  if (open.length === 0) out.push('No open risk: no failing finding outside an active accepted risk.', '');
  else {
    out.push('| # | Risk | Score | Rule | Resource | Asset | Why |', '|---:|---|---:|---|---|---|---|');
    open.slice(0, TOP_RISKS).forEach((risk, index) => {
      const state = risk.state === 'acceptance-expired' ? ' (acceptance expired)' : '';
      out.push(
        `| ${index + 1} | **${risk.band}**${state} | ${risk.residual} | ${escape(risk.ruleId)} | ${escape(risk.resource.name)} | ${escape(assetNames.get(risk.asset) ?? risk.asset)} | ${escape(risk.formula)} |`,
      );
    });
    if (open.length > TOP_RISKS) out.push('', `${open.length - TOP_RISKS} more open risk(s) in the full report.`);
    out.push('');
  }
  const accepted = risks.filter((r) => r.state === 'accepted').length;
  if (accepted > 0) out.push(`${accepted} risk(s) accepted until their expiry date; they count again when it passes.`, '');
  const expired = risks.filter((r) => r.state === 'acceptance-expired');
  if (expired.length > 0) {
    out.push(`**${expired.length} accepted risk(s) expired and count again:**`, '');
    for (const risk of expired.slice(0, TOP_RISKS)) {
      const by = risk.acceptance ? ` (accepted by ${escape(risk.acceptance.owner)} until ${escape(risk.acceptance.expires)})` : '';
      out.push(`- ${escape(risk.ruleId)} on ${escape(risk.resource.name)}: ${risk.band}, ${risk.residual}${by}`);
    }
    if (expired.length > TOP_RISKS) out.push(`- and ${expired.length - TOP_RISKS} more`);
    out.push('');
  }
  if (threatModel) out.push(`How risk is scored: ${escape(threatModel.formula.text)}`, '');

  out.push('## Threat register', '');
  const legend = `${SYMBOL['at-risk']} at risk, ${SYMBOL.unverified} could not be checked, ${SYMBOL.accepted} accepted, ${SYMBOL.mitigated} mitigated, ${SYMBOL['not-covered']} no rule covers it`;
  out.push('| STRIDE category | At risk | Unverified | Accepted | Mitigated | Not covered |', '|---|---:|---:|---:|---:|---:|');
  for (const threat of THREATS) {
    const cells = threatRegister.filter((entry) => entry.threat === threat);
    const count = (status: RegisterStatus): number => cells.filter((c) => c.status === status).length;
    out.push(`| ${THREAT_LABELS[threat]} | ${count('at-risk')} | ${count('unverified')} | ${count('accepted')} | ${count('mitigated')} | ${count('not-covered')} |`);
  }
  out.push('', `Counts are assets (${assets.length} in all). ${legend}.`, '');

  const ranked = assets.filter((a) => a.risk > 0).sort((a, b) => b.risk - a.risk || a.name.localeCompare(b.name)).slice(0, TOP_ASSETS);
  if (ranked.length > 0) {
    const cellOf = new Map(threatRegister.map((entry) => [`${entry.asset}\u0000${entry.threat}`, entry]));
    out.push('| Asset | Classification | Exposure | S | T | R | I | D | E | Highest risk |', '|---|---|---|:-:|:-:|:-:|:-:|:-:|:-:|---:|');
    for (const asset of ranked) {
      const symbols = THREATS.map((t) => SYMBOL[cellOf.get(`${asset.id}\u0000${t}`)?.status ?? 'not-covered']);
      out.push(`| ${escape(asset.name)} | ${asset.classification} | ${asset.exposure} | ${symbols.join(' | ')} | ${asset.risk} (${asset.band}) |`);
    }
    out.push('');
  }
  return out.join('\n');
};
