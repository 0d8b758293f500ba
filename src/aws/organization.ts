import type { Account } from '@aws-sdk/client-organizations';
import type { CollectContext, CollectorOutput } from '../collectors/types.js';
import { gapFrom } from './errors.js';
import { createAwsSession, type AwsTuning } from './session.js';
import type { AwsAccountTarget, AwsSettings } from './settings.js';

/** ListAccounts answers at most 20 accounts a page. */
const PAGE_SIZE = 20;
const ACTION = 'organizations:ListAccounts';

/** The accounts to scan, or the failed source when the organization could not be listed. */
export type Discovery = { ok: true; accounts: AwsAccountTarget[]; notes: string[]; endpoint: string } | { ok: false; output: CollectorOutput };

/** The account's lifecycle state: `State`, or `Status`, which AWS retires in its favour. */
const stateOf = (account: Account): string => account.State ?? account.Status ?? 'UNKNOWN';

const partitionOf = (arn: string | undefined): string => /^arn:([^:]+):/.exec(arn ?? '')?.[1] ?? 'aws';

/**
 * Lists the accounts of the AWS Organization with the caller's own credentials (the management
 * account or a delegated administrator) and names the role to assume in each active one. An
 * account that is not ACTIVE (suspended, closing, closed, not yet activated) has no one to answer
 * and is left out with a note, as are the excluded ones. A listing that fails scans nothing: the
 * source fails with a reason that names organizations:ListAccounts.
 */
export const discoverAccounts = async (
  ctx: Pick<CollectContext, 'calls' | 'limits' | 'signal' | 'env'>,
  settings: AwsSettings & { organization: NonNullable<AwsSettings['organization']> },
  tuning: AwsTuning = {},
  pageSize = PAGE_SIZE,
): Promise<Discovery> => {
  const { organization } = settings;
  const chosen = Array.isArray(settings.regions) ? settings.regions[0] : undefined;
  const region = chosen ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const { roleArn: _roleArn, externalId: _externalId, ...callerSettings } = settings;
  // Loaded only when an organization is configured: most scans never list one.
  const { ListAccountsCommand, OrganizationsClient } = await import('@aws-sdk/client-organizations');
  const session = createAwsSession(ctx, callerSettings, region, tuning);
  const endpoint = session.endpoint('organizations');
  try {
    const client = session.client(OrganizationsClient, 'organizations', region);
    const listed: Account[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const page = await session.call('organizations', 'ListAccounts', () =>
        client.send(new ListAccountsCommand({ MaxResults: pageSize, ...(token ? { NextToken: token } : {}) })),
      );
      if (!page.ok) {
        const { failure } = page;
        const why =
          failure.reason === 'AccessDenied'
            ? `${ACTION} was denied (it answers in the organization's management account or a delegated administrator account): ${failure.message}`
            : failure.code === 'AWSOrganizationsNotInUseException'
              ? `the caller's account is not in an AWS Organization (${ACTION}: AWSOrganizationsNotInUseException)`
              : `${ACTION}: ${failure.reason}: ${failure.message}`;
        return {
          ok: false,
          output: { status: 'failed', resources: [], endpoint, reason: `the accounts of the organization could not be listed, so none was scanned: ${why}`, gaps: [gapFrom('aws', ['*'], failure)] },
        };
      }
      listed.push(...(page.value.Accounts ?? []));
      // A page may be empty and still not the last: only a missing NextToken ends the listing.
      token = page.value.NextToken || undefined;
      if (token && seen.has(token)) {
        // A token given twice would list forever; the accounts after it are unknown, not absent.
        const why = `${ACTION} returned the same NextToken twice, so the listing could not be finished`;
        return { ok: false, output: { status: 'failed', resources: [], endpoint, reason: `the accounts of the organization could not be listed, so none was scanned: ${why}`, gaps: [{ resource: 'aws', attributes: ['*'], reason: why }] } };
      }
      if (token) seen.add(token);
    } while (token);

    const excluded = new Set(organization.exclude);
    const accounts: AwsAccountTarget[] = [];
    const skipped: string[] = [];
    for (const account of [...listed].sort((a, b) => (a.Id ?? '').localeCompare(b.Id ?? ''))) {
      if (!account.Id) continue;
      const state = stateOf(account);
      if (excluded.has(account.Id)) skipped.push(`${account.Id} (excluded)`);
      else if (state !== 'ACTIVE') skipped.push(`${account.Id} (${state})`);
      else {
        accounts.push({
          id: account.Id,
          roleArn: `arn:${partitionOf(account.Arn)}:iam::${account.Id}:role/${organization.roleName}`,
          ...(organization.externalId ? { externalId: organization.externalId } : {}),
        });
      }
    }
    const notes = [`organization: ${listed.length} accounts listed, ${accounts.length} scanned through role ${organization.roleName}`];
    if (skipped.length > 0) notes.push(`organization: not scanned: ${skipped.join(', ')}`);
    return { ok: true, accounts, notes, endpoint };
  } finally {
    session.destroy();
  }
};
