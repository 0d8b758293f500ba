import { globToRegExp } from './glob.js';
import type { Finding, Suppression, SuppressionState } from './types.js';

/** A suppression and the file it was read from. */
export type SuppressionSource = { suppression: Suppression; source: string };

/** A suppression is valid through the end of its expiry day, UTC. */
export const isExpired = (expires: string, scanTime: Date): boolean => scanTime.getTime() > Date.parse(`${expires}T23:59:59.999Z`);

/**
 * Applies suppressions to failing findings. An active one turns `fail` into `suppressed`; an
 * expired one leaves the finding failing and is reported; one that matched nothing is stale.
 */
export const applySuppressions = (findings: Finding[], sources: SuppressionSource[], scanTime: Date): SuppressionState[] => {
  const states: SuppressionState[] = sources.map(({ suppression, source }) => ({
    ...suppression,
    source,
    state: isExpired(suppression.expires, scanTime) ? 'expired' : 'active',
    matched: 0,
  }));
  const matchers = states.map((state) => globToRegExp(state.resource));
  for (const finding of findings) {
    if (finding.status !== 'fail') continue;
    let expiredMatch: SuppressionState | undefined;
    for (const [index, state] of states.entries()) {
      if (state.rule !== finding.ruleId || !matchers[index]?.test(finding.resource.id)) continue;
      state.matched++;
      if (state.state === 'expired') {
        expiredMatch ??= state;
        continue;
      }
      finding.status = 'suppressed';
      finding.suppression = { reason: state.reason, owner: state.owner, expires: state.expires, ...(state.ticket ? { ticket: state.ticket } : {}), source: state.source };
      break;
    }
    if (finding.status === 'fail' && expiredMatch) {
      finding.suppression = { reason: expiredMatch.reason, owner: expiredMatch.owner, expires: expiredMatch.expires, ...(expiredMatch.ticket ? { ticket: expiredMatch.ticket } : {}), source: expiredMatch.source };
      finding.message += ` (suppression expired on ${expiredMatch.expires})`;
    }
  }
  for (const state of states) if (state.matched === 0 && state.state === 'active') state.state = 'stale';
  return states;
};
