import pLimit from 'p-limit';
import type { CollectContext, CollectorOutput } from '../collectors/types.js';
import type { CoverageGap } from '../facts/types.js';
import { discoverAccounts } from './organization.js';
import type { AwsTuning } from './session.js';
import type { AwsSettings } from './settings.js';

/** Accounts collected at once when posture.yaml's limits.concurrency says nothing. */
const DEFAULT_ACCOUNT_CONCURRENCY = 2;

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Why an account could not be read at all, as a gap on the account. */
const accountGap = (account: string, reason: string): CoverageGap => ({
  resource: `aws:${account}`,
  attributes: ['*'],
  reason,
  // A refused role is the caller's missing sts:AssumeRole (or the role's trust policy); any other
  // failure's own gaps name their permission.
  ...(/sts:AssumeRole|could not assume/i.test(reason) ? { permission: 'sts:AssumeRole' } : {}),
});

/**
 * Runs a single-account collection for each account of `aws.accounts`, or of the AWS Organization
 * (`aws.organization`, listed first with the caller's credentials: once for the scan, when the
 * context carries the listing), each through its own role, and combines the outputs. An account
 * that cannot be read (its role denied, its credentials refused) is a coverage gap on
 * `aws:<account>`, not a failed source; the source fails only when no account could be read, or
 * when the organization's accounts could not be listed. Without either, runs the one collection
 * as it is.
 */
export const forEachAccount = async (
  ctx: Pick<CollectContext, 'limits' | 'logger' | 'calls' | 'signal' | 'env' | 'shared'>,
  settings: AwsSettings,
  collectOne: (settings: AwsSettings) => Promise<CollectorOutput>,
  tuning: AwsTuning = {},
): Promise<CollectorOutput> => {
  let { accounts } = settings;
  const notes: string[] = [];
  if (settings.organization) {
    // Listed once for the scan when the collectors run together (the shared step aws-accounts);
    // a collector run on its own lists the organization itself.
    const discovery = ctx.shared?.['aws-accounts'] ?? (await discoverAccounts(ctx, { ...settings, organization: settings.organization }, tuning));
    if (!discovery.ok) return discovery.output;
    ctx.logger.debug(discovery.notes.join('; '));
    notes.push(...discovery.notes);
    accounts = discovery.accounts;
    if (accounts.length === 0) return { resources: [], gaps: [], notes, endpoint: discovery.endpoint, excluded: [] };
  }
  if (!accounts) return collectOne(settings);
  const limit = pLimit(ctx.limits.concurrency('aws-accounts', DEFAULT_ACCOUNT_CONCURRENCY));
  const outcomes = await Promise.all(
    accounts.map((account) =>
      limit(async (): Promise<{ account: string; output?: CollectorOutput; failure?: string }> => {
        const { accounts: _all, organization: _organization, externalId: _externalId, ...rest } = settings;
        const scoped: AwsSettings = { ...rest, roleArn: account.roleArn, ...(account.externalId ? { externalId: account.externalId } : {}) };
        try {
          const output = await collectOne(scoped);
          if (output.status === 'failed') return { account: account.id, output, failure: output.reason ?? 'failed' };
          return { account: account.id, output };
        } catch (error) {
          return { account: account.id, failure: describe(error) };
        }
      }),
    ),
  );
  const gaps: CoverageGap[] = [];
  for (const outcome of outcomes) {
    gaps.push(...(outcome.output?.gaps ?? []));
    if (outcome.failure) {
      ctx.logger.warn(`account ${outcome.account}: ${outcome.failure}`);
      const whole = outcome.output?.gaps?.some((g) => g.resource === `aws:${outcome.account}` && g.attributes.includes('*'));
      if (!whole) gaps.push(accountGap(outcome.account, outcome.failure));
      notes.push(`account ${outcome.account} could not be read: ${outcome.failure}`);
    } else notes.push(...(outcome.output?.notes ?? []).map((note) => `account ${outcome.account}: ${note}`));
  }
  const read = outcomes.filter((o) => !o.failure);
  const identities = [...new Set(read.flatMap((o) => (o.output?.identity ? [o.output.identity] : [])))];
  const endpoint = outcomes.find((o) => o.output?.endpoint)?.output?.endpoint;
  return {
    ...(read.length === 0 ? { status: 'failed' as const, reason: `no account could be read: ${outcomes.map((o) => `${o.account}: ${o.failure}`).join('; ')}` } : {}),
    resources: read.flatMap((o) => o.output?.resources ?? []),
    gaps,
    notes,
    ...(endpoint ? { endpoint } : {}),
    ...(identities.length > 0 ? { identity: identities.join(', ') } : {}),
    excluded: [],
  };
};
