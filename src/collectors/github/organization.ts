import type { components } from '@octokit/openapi-types';
import { isUnknown, unknown, type Resource, type Unknown } from '../../facts/types.js';
import type { GithubClient } from '../../github/client.js';
import { missing, type Caller, type Failure, type GapBook } from './session.js';
import type { OrganizationAttributes } from './types.js';

type Organization = components['schemas']['organization-full'];

export type OrganizationScan = {
  client: GithubClient;
  caller: Caller;
  gaps: GapBook;
  needs: ReadonlySet<string>;
  resourceId: (login: string, htmlUrl?: string) => string;
};

const OWNER_ONLY = 'GitHub shows this setting to organisation owners only';
const OWNER_PERMISSION = 'organization owner (admin:org)';
const PERMISSIONS = ['read', 'write', 'admin', 'none'] as const;

/**
 * The organisation's own settings: GET /orgs/{org} (its owner-only fields are absent for anyone
 * else, which makes them unknown, not false) and its owners (GET /orgs/{org}/members?role=admin,
 * read only when the token sees owner-only data, since outsiders see public members only).
 */
export const scanOrganization = async (scan: OrganizationScan, login: string): Promise<{ resource?: Resource; failure?: Failure }> => {
  const { client, caller, gaps, needs } = scan;
  const answer = await caller.rest(() => client.rest.orgs.get({ org: login }));
  if (!answer.ok) {
    const reason = answer.status === 404 ? 'organisation not found, or not visible to the token' : answer.reason;
    gaps.add(scan.resourceId(login), '*', unknown(reason, `read:org on ${login}`));
    return { failure: { status: answer.status, reason } };
  }
  const org: Organization = answer.data;
  const id = scan.resourceId(org.login, org.html_url);
  const wanted = (attribute: string): boolean => needs.has(attribute);
  const gap = (attribute: string, reason: string, permission?: string): Unknown =>
    wanted(attribute) ? missing(gaps, id, attribute, reason, permission) : unknown(reason, permission);
  const ownerView = typeof org.two_factor_requirement_enabled === 'boolean' || typeof org.default_repository_permission === 'string';
  const permission = org.default_repository_permission;
  const attributes: OrganizationAttributes = {
    twoFactorRequired: typeof org.two_factor_requirement_enabled === 'boolean' ? org.two_factor_requirement_enabled : gap('twoFactorRequired', OWNER_ONLY, OWNER_PERMISSION),
    defaultRepositoryPermission: PERMISSIONS.find((p) => p === permission) ?? gap('defaultRepositoryPermission', OWNER_ONLY, OWNER_PERMISSION),
    membersCanCreateRepositories:
      typeof org.members_can_create_repositories === 'boolean' ? org.members_can_create_repositories : gap('membersCanCreateRepositories', OWNER_ONLY, OWNER_PERMISSION),
    membersCanCreatePublicRepositories:
      typeof org.members_can_create_public_repositories === 'boolean'
        ? org.members_can_create_public_repositories
        : gap('membersCanCreatePublicRepositories', OWNER_ONLY, OWNER_PERMISSION),
  };
  // Owners are one request per hundred per organisation: always worth it for the report.
  {
    if (!ownerView) {
      attributes.ownersCount = gap('ownersCount', 'the token cannot see the private membership of the organisation', OWNER_PERMISSION);
      attributes.owners = gap('owners', 'the token cannot see the private membership of the organisation', OWNER_PERMISSION);
    } else {
      const owners = await caller.restList((page) => client.rest.orgs.listMembers({ org: org.login, role: 'admin', per_page: 100, page }));
      attributes.ownersCount = owners.ok ? owners.data.length : gap('ownersCount', owners.reason, OWNER_PERMISSION);
      attributes.owners = owners.ok ? owners.data.map((user) => user.login).sort() : gap('owners', owners.reason, OWNER_PERMISSION);
    }
  }
  for (const [key, value] of Object.entries(attributes)) {
    if (isUnknown(value) && !wanted(key)) delete attributes[key as keyof OrganizationAttributes];
  }
  return {
    resource: {
      kind: 'github.organization',
      id,
      name: org.login,
      source: 'github',
      scope: { org: org.login },
      attributes,
    },
  };
};
