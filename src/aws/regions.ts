import type { AwsFailure } from './errors.js';
import type { AwsSession, Outcome } from './session.js';

/** ListRegions answers at most 50 regions a page. */
export const REGIONS_PAGE_SIZE = 50;

/**
 * The opt-in statuses of a region that can be scanned. ENABLING and DISABLING regions are on their
 * way and answer unreliably; DISABLED ones answer nothing: none of them is scanned, and none is
 * reported as failing.
 */
export const ENABLED_STATUSES = ['ENABLED', 'ENABLED_BY_DEFAULT'] as const;

export const LIST_REGIONS_ACTION = 'account:ListRegions';

/**
 * The regions enabled in the account the session's credentials (or role) reach, sorted, from the
 * Account API's ListRegions (asked without AccountId: the caller's own account, so that each
 * account is asked through its own role). The Account API is global: the SDK's endpoint rules send
 * it to the partition's global region (account.us-east-1.amazonaws.com for `aws`) whatever region
 * the client is built for, and an endpoint override (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ACCOUNT)
 * replaces that as it does for every client. The client is loaded only when a scan asks for every
 * region.
 */
export const listEnabledRegions = async (session: Pick<AwsSession, 'client' | 'call'>, region: string, pageSize = REGIONS_PAGE_SIZE): Promise<Outcome<string[]>> => {
  const { AccountClient, ListRegionsCommand } = await import('@aws-sdk/client-account');
  const client = session.client(AccountClient, 'account', region);
  const enabled = new Set<string>();
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await session.call('account', 'ListRegions', () =>
      client.send(new ListRegionsCommand({ RegionOptStatusContains: [...ENABLED_STATUSES], MaxResults: pageSize, ...(token ? { NextToken: token } : {}) })),
    );
    if (!page.ok) return page;
    for (const entry of page.value.Regions ?? []) {
      // The filter is asked for; checked again so that a region on its way in is never scanned.
      if (entry.RegionName && (ENABLED_STATUSES as readonly string[]).includes(entry.RegionOptStatus ?? '')) enabled.add(entry.RegionName);
    }
    token = page.value.NextToken || undefined;
    if (token && seen.has(token)) {
      // A token given twice would list forever; the regions after it are unknown, not absent.
      const failure: AwsFailure = { reason: 'IncompleteListing', code: 'IncompleteListing', message: `${LIST_REGIONS_ACTION} returned the same NextToken twice, so the enabled regions could not all be listed` };
      return { ok: false, failure };
    }
    if (token) seen.add(token);
  } while (token);
  if (enabled.size === 0) {
    // Every account has regions enabled by default: an empty answer is not a list to trust.
    return { ok: false, failure: { reason: 'EmptyListing', code: 'EmptyListing', message: `${LIST_REGIONS_ACTION} listed no enabled region` } };
  }
  return { ok: true, value: [...enabled].sort() };
};
