import { IAMClient, type GroupDetail, type RoleDetail, type Tag, type UserDetail } from '@aws-sdk/client-iam';
import { forEachAccount } from '../../aws/accounts.js';
import { gapFrom, unknownFrom, type AwsFailure } from '../../aws/errors.js';
import { LIST_REGIONS_ACTION } from '../../aws/regions.js';
import { configuredRegion, createAwsSession, type AwsSession, type AwsTuning } from '../../aws/session.js';
import { awsSettings, type AwsSettings } from '../../aws/settings.js';
import { unknown, type CoverageGap, type Resource, type ResourceKind, type Unknown } from '../../facts/types.js';
import { unitIds } from '../shard.js';
import type { CollectContext, Collector, CollectorOutput } from '../types.js';
import { awsIamMeta } from './meta.js';
import { readAccountSummary, readPasswordPolicy } from './account.js';
import { adminOf, fetchAuthorizationDetails, policyResolver, roleTrust, rolePolicies, userPolicies, type AuthorizationDetails } from './authorization.js';
import { accessKeysOf, activeCredentialsOf, fetchCredentialReport, reportBoolean, type CredentialReport, type ReportRow } from './credential-report.js';
import { collectDetectors, collectTrails, type Detection } from './detection.js';

/** Knobs for tests; production uses the defaults. */
export type AwsIamTuning = AwsTuning & {
  /** Pause between GenerateCredentialReport calls while the report is being built (default 2 s). */
  reportPollIntervalMs?: number;
  /** Longest wait for the credential report (default 60 s). */
  reportMaxWaitMs?: number;
};

const KINDS: ResourceKind[] = awsIamMeta.kinds;
const REPORT_USER_ATTRIBUTES = ['createdAt', 'passwordEnabled', 'passwordLastUsed', 'passwordLastChanged', 'mfaActive', 'accessKeys', 'activeAccessKeyCount', 'activeCredentials'];
const AUTH_USER_ATTRIBUTES = ['adminAccess', 'adminVia', 'groups', 'attachedPolicies', 'inlinePolicies', 'permissionsBoundary'];
const FALLBACK_REGION = 'us-east-1';

type Plan = { report: boolean; authorization: boolean; passwordPolicy: boolean; summary: boolean; trails: boolean; guardDuty: boolean };

/**
 * Which calls the enabled rules need. A collection whose rules need nothing from these kinds
 * (`posture collect` without rules) gathers everything.
 */
const planFor = (ctx: CollectContext): Plan => {
  const needs = Object.fromEntries(KINDS.map((kind) => [kind, ctx.needs(kind)])) as Record<ResourceKind, ReadonlySet<string>>;
  if (KINDS.every((kind) => needs[kind].size === 0)) return { report: true, authorization: true, passwordPolicy: true, summary: true, trails: true, guardDuty: true };
  const any = (kind: ResourceKind, names: string[]): boolean => names.some((n) => needs[kind].has(n));
  return {
    report: any('aws.iam.user', REPORT_USER_ATTRIBUTES) || any('aws.account', ['rootCredentials', 'credentialReportGeneratedAt']),
    authorization: any('aws.iam.user', AUTH_USER_ATTRIBUTES) || needs['aws.iam.role'].size > 0,
    passwordPolicy: any('aws.account', ['passwordPolicy']),
    summary: any('aws.account', ['rootMfaEnabled', 'rootAccessKeysPresent']),
    trails: any('aws.region', ['trails']),
    guardDuty: any('aws.region', ['guardDutyDetectors']),
  };
};

const tagsOf = (tags: Tag[] | undefined): Record<string, string> | undefined =>
  tags && tags.length > 0 ? Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? ''])) : undefined;

const iso = (date: Date | undefined): string | undefined => date?.toISOString();

/** The identity's description for `posture`'s coverage, and why nothing could be read without it. */
const identityFailure = (failure: AwsFailure, roleArn: string | undefined): Error => {
  if (roleArn && (failure.reason === 'AccessDenied' || failure.code.startsWith('AccessDenied'))) {
    return new Error(`could not assume ${roleArn}: ${failure.message} (the caller needs sts:AssumeRole on the role, and the role's trust policy must allow the caller and any external id)`);
  }
  if (failure.reason === 'NoCredentials') return new Error(`no AWS credentials: ${failure.message} (use the SDK's chain: AWS_PROFILE, environment variables, SSO or an instance role; or pass --aws-profile)`);
  return new Error(`could not identify the AWS account (sts:GetCallerIdentity): ${failure.reason}: ${failure.message}`);
};

const userAttributesFromReport = (row: ReportRow): Record<string, unknown> => {
  const keys = accessKeysOf(row);
  return {
    createdAt: row.user_creation_time,
    passwordEnabled: reportBoolean(row.password_enabled),
    passwordLastUsed: row.password_last_used,
    passwordLastChanged: row.password_last_changed,
    mfaActive: reportBoolean(row.mfa_active),
    accessKeys: keys,
    activeAccessKeyCount: keys.filter((k) => k.active).length,
    activeCredentials: activeCredentialsOf(row),
  };
};

const rootCredentials = (row: ReportRow) => ({
  mfaActive: reportBoolean(row.mfa_active),
  passwordLastUsed: row.password_last_used,
  accessKeys: accessKeysOf(row),
});

type Pieces = {
  account: string;
  report?: { ok: true; report: CredentialReport } | { ok: false; failure: AwsFailure };
  authorization?: { ok: true; details: AuthorizationDetails } | { ok: false; failure: AwsFailure };
};

const buildUsers = ({ account, report, authorization }: Pieces, gaps: CoverageGap[]): Resource[] => {
  const allUsers = `arn:aws:iam::${account}:user/*`;
  const rows = new Map<string, ReportRow>();
  if (report?.ok) for (const row of report.report.rows) if (row.user !== '<root_account>' && row.arn) rows.set(row.arn, row);
  const details = new Map<string, UserDetail>();
  if (authorization?.ok) for (const user of authorization.details.users) if (user.Arn) details.set(user.Arn, user);
  // Users are listed by the credential report and the authorization details. When every list that
  // was asked for is lost, no user is known at all: the gaps cover every attribute of every user.
  const unlisted = (!report || !report.ok) && (!authorization || !authorization.ok);
  if (report && !report.ok) gaps.push(gapFrom(allUsers, unlisted ? ['*'] : REPORT_USER_ATTRIBUTES, report.failure));
  if (authorization && !authorization.ok) gaps.push(gapFrom(allUsers, unlisted ? ['*'] : AUTH_USER_ATTRIBUTES, authorization.failure));

  const groups = new Map<string, GroupDetail>(authorization?.ok ? authorization.details.groups.map((g) => [g.GroupName ?? '', g]) : []);
  const resolve = policyResolver(authorization?.ok ? authorization.details.policies : []);
  const arns = [...new Set([...rows.keys(), ...details.keys()])].sort();
  return arns.map((arn): Resource => {
    const row = rows.get(arn);
    const detail = details.get(arn);
    const userName = detail?.UserName ?? row?.user ?? arn.split('/').pop() ?? arn;
    const attributes: Record<string, unknown> = { userName, arn };
    if (report) {
      if (report.ok && row) Object.assign(attributes, userAttributesFromReport(row));
      else {
        const marker: Unknown = report.ok
          ? unknown('NotInCredentialReport', undefined, `the user is not in the credential report generated at ${report.report.generatedAt} (created since)`)
          : unknownFrom(report.failure);
        for (const name of REPORT_USER_ATTRIBUTES) attributes[name] = marker;
        if (report.ok) gaps.push({ resource: arn, attributes: REPORT_USER_ATTRIBUTES, reason: 'NotInCredentialReport' });
        if (detail?.CreateDate) attributes.createdAt = iso(detail.CreateDate);
      }
    }
    if (authorization) {
      if (authorization.ok && detail) {
        const verdict = adminOf(account, userPolicies(detail, groups, resolve));
        if (verdict.access === 'unknown') {
          attributes.adminAccess = unknown('UnreadablePolicy', undefined, `could not read ${verdict.unreadable.join(', ')}`);
          gaps.push({ resource: arn, attributes: ['adminAccess'], reason: `UnreadablePolicy: ${verdict.unreadable.join(', ')}` });
        } else attributes.adminAccess = verdict.access;
        attributes.adminVia = verdict.via;
        attributes.groups = detail.GroupList ?? [];
        attributes.attachedPolicies = (detail.AttachedManagedPolicies ?? []).map((p) => p.PolicyArn ?? p.PolicyName ?? '');
        attributes.inlinePolicies = (detail.UserPolicyList ?? []).map((p) => p.PolicyName ?? '');
        attributes.permissionsBoundary = detail.PermissionsBoundary?.PermissionsBoundaryArn ?? null;
      } else {
        const marker = authorization.ok ? unknown('NotInAuthorizationDetails', undefined, 'the user appeared after the authorization details were read') : unknownFrom(authorization.failure);
        for (const name of AUTH_USER_ATTRIBUTES) attributes[name] = marker;
        if (authorization.ok) gaps.push({ resource: arn, attributes: AUTH_USER_ATTRIBUTES, reason: 'NotInAuthorizationDetails' });
      }
    }
    const tags = tagsOf(detail?.Tags);
    return { kind: 'aws.iam.user', id: arn, name: userName, source: 'aws-iam', scope: { account }, ...(tags ? { tags } : {}), attributes };
  });
};

const buildRoles = (account: string, authorization: NonNullable<Pieces['authorization']>, gaps: CoverageGap[]): Resource[] => {
  if (!authorization.ok) {
    gaps.push(gapFrom(`arn:aws:iam::${account}:role/*`, ['*'], authorization.failure));
    return [];
  }
  const resolve = policyResolver(authorization.details.policies);
  return authorization.details.roles
    .filter((role): role is RoleDetail & { Arn: string } => typeof role.Arn === 'string')
    .map((role): Resource => {
      const verdict = adminOf(account, rolePolicies(role, resolve));
      const trust = roleTrust(role, account);
      if (!trust) gaps.push({ resource: role.Arn, attributes: ['trustedPrincipals'], reason: 'Unparseable: the trust policy is not valid JSON' });
      if (verdict.access === 'unknown') gaps.push({ resource: role.Arn, attributes: ['adminAccess'], reason: `UnreadablePolicy: ${verdict.unreadable.join(', ')}` });
      const tags = tagsOf(role.Tags);
      return {
        kind: 'aws.iam.role',
        id: role.Arn,
        name: role.RoleName ?? role.Arn,
        source: 'aws-iam',
        scope: { account },
        ...(tags ? { tags } : {}),
        attributes: {
          roleName: role.RoleName ?? role.Arn,
          arn: role.Arn,
          path: role.Path ?? '/',
          createdAt: iso(role.CreateDate) ?? null,
          lastUsed: iso(role.RoleLastUsed?.LastUsedDate) ?? null,
          serviceLinked: (role.Path ?? '').startsWith('/aws-service-role/'),
          trustedPrincipals: trust ?? unknown('Unparseable', undefined, 'the trust policy is not valid JSON'),
          adminAccess: verdict.access === 'unknown' ? unknown('UnreadablePolicy', undefined, `could not read ${verdict.unreadable.join(', ')}`) : verdict.access,
          adminVia: verdict.via,
          permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
        },
      };
    });
};

/**
 * The regions to check: --aws-regions, else aws.regions, else the SDK's region. `all` is every
 * region enabled in the account (account:ListRegions, listed once per account for the scan);
 * regions not enabled are neither checked nor reported. When the list cannot be had, the SDK's
 * region is checked as without `all`, and the account's regions are unknown: a gap names
 * account:ListRegions, so nothing passes for the regions that were not seen.
 */
const resolveRegions = async (
  session: AwsSession,
  asked: AwsSettings['regions'],
  sdkRegion: string | undefined,
  notes: string[],
): Promise<{ regions: string[]; allFailure?: AwsFailure }> => {
  if (Array.isArray(asked)) return { regions: asked };
  const fallback = sdkRegion ?? FALLBACK_REGION;
  if (!sdkRegion) notes.push(`no AWS region configured (AWS_REGION, the profile's region, --aws-regions); checked ${FALLBACK_REGION}`);
  if (asked !== 'all') return { regions: [fallback] };
  const listed = await session.enabledRegions();
  if (listed.ok) {
    notes.push(`--aws-regions all: ${listed.value.length} enabled region${listed.value.length === 1 ? '' : 's'} (${LIST_REGIONS_ACTION}): ${listed.value.join(', ')}`);
    return { regions: listed.value };
  }
  const failure: AwsFailure = { ...listed.failure, permission: LIST_REGIONS_ACTION };
  notes.push(`--aws-regions all: the enabled regions could not be listed (${LIST_REGIONS_ACTION}: ${failure.reason}: ${failure.message}); checked ${fallback} only, and the other regions are unknown`);
  return { regions: [fallback], allFailure: failure };
};

/** One account, through the settings' credentials (and role, if any). */
const collectAccount = async (ctx: CollectContext, settings: AwsSettings, tuning: AwsIamTuning): Promise<CollectorOutput> => {
  const sdkRegion = Array.isArray(settings.regions) ? undefined : await configuredRegion(settings.profile);
  const home = Array.isArray(settings.regions) ? (settings.regions[0] as string) : (sdkRegion ?? FALLBACK_REGION);
  const session = createAwsSession(ctx, settings, home, tuning);
  try {
    const notes: string[] = [];
    const gaps: CoverageGap[] = [];
    // Asked once for the scan when aws-s3 needs it too (src/aws/identities.ts).
    const caller = await session.callerIdentity();
    if (!caller.ok) {
      const failure = identityFailure(caller.failure, settings.roleArn);
      const roleAccount = /^arn:[^:]+:iam::(\d{12}):/.exec(settings.roleArn ?? '')?.[1];
      // A refused role leaves the whole account unread for want of the caller's sts:AssumeRole:
      // a gap on the account that names it, as aws.accounts reports it.
      if (roleAccount && failure.message.startsWith('could not assume')) {
        return { status: 'failed', resources: [], reason: failure.message, gaps: [{ resource: `aws:${roleAccount}`, attributes: ['*'], reason: failure.message, permission: 'sts:AssumeRole' }] };
      }
      throw failure;
    }
    const account = caller.value.Account as string;
    const identity = caller.value.Arn ?? account;
    const { regions, allFailure } = await resolveRegions(session, settings.regions, sdkRegion, notes);
    // Sharded: account-wide facts belong to the account's unit, CloudTrail and GuardDuty to each
    // region's; the shard collects only the units it owns.
    const ownsAccount = ctx.shard?.owns(unitIds.awsAccount(account)) ?? true;
    const ownedRegions = ctx.shard ? regions.filter((region) => ctx.shard?.owns(unitIds.awsRegion(account, region))) : regions;
    const wanted = planFor(ctx);
    const plan: Plan = ownsAccount ? wanted : { ...wanted, report: false, authorization: false, passwordPolicy: false, summary: false };
    const accountId = `aws:${account}`;
    if (allFailure) ctx.logger.warn(`account ${account}: the enabled regions could not be listed (${LIST_REGIONS_ACTION}: ${allFailure.reason}); checked ${regions.join(', ')} only`);
    if (allFailure && ownsAccount) gaps.push(gapFrom(accountId, ['regions'], allFailure));
    ctx.logger.debug(`account ${account} as ${identity}; regions ${regions.join(', ')}; endpoint ${session.endpoint('iam')}`);

    const iam = session.client(IAMClient, 'iam', home);
    const detection: Detection = { trailState: new Map() };
    const [report, passwordPolicy, summary, authorization, regionFacts] = await Promise.all([
      plan.report
        ? fetchCredentialReport(session, iam, { pollIntervalMs: tuning.reportPollIntervalMs ?? 2000, maxWaitMs: tuning.reportMaxWaitMs ?? 60_000, signal: ctx.signal })
        : undefined,
      plan.passwordPolicy ? readPasswordPolicy(session, iam) : undefined,
      plan.summary ? readAccountSummary(session, iam) : undefined,
      plan.authorization ? fetchAuthorizationDetails(session, iam) : undefined,
      Promise.all(
        (plan.trails || plan.guardDuty ? ownedRegions : []).map(async (region) => {
          const id = `${accountId}:${region}`;
          const [trails, detectors] = await Promise.all([
            plan.trails ? collectTrails(session, detection, region, id) : undefined,
            plan.guardDuty ? collectDetectors(session, region, id) : undefined,
          ]);
          const attributes: Record<string, unknown> = { region };
          if (trails) attributes.trails = trails.trails;
          if (detectors) attributes.guardDutyDetectors = detectors.detectors;
          gaps.push(...(trails?.gaps ?? []), ...(detectors?.gaps ?? []));
          return { kind: 'aws.region', id, name: `${region} (${account})`, source: 'aws-iam', scope: { account, region }, attributes } satisfies Resource;
        }),
      ),
    ]);

    // Without the list of enabled regions, which regions the account has is unknown, not the one checked.
    const accountAttributes: Record<string, unknown> = { accountId: account, regions: allFailure ? unknownFrom(allFailure) : regions };
    if (report) {
      notes.push(...report.notes);
      if (report.ok) {
        accountAttributes.credentialReportGeneratedAt = report.report.generatedAt;
        notes.push(`credential report generated at ${report.report.generatedAt}`);
        const root = report.report.rows.find((r) => r.user === '<root_account>');
        accountAttributes.rootCredentials = root ? rootCredentials(root) : unknown('NotInCredentialReport', undefined, 'the report has no <root_account> row');
      } else {
        const marker = unknownFrom(report.failure);
        accountAttributes.credentialReportGeneratedAt = marker;
        accountAttributes.rootCredentials = marker;
        gaps.push(gapFrom(accountId, ['credentialReportGeneratedAt', 'rootCredentials'], report.failure));
      }
    }
    if (passwordPolicy) {
      accountAttributes.passwordPolicy = passwordPolicy.value;
      if (passwordPolicy.failure) gaps.push(gapFrom(accountId, ['passwordPolicy'], passwordPolicy.failure));
    }
    if (summary) {
      Object.assign(accountAttributes, summary.value);
      if (summary.failure) gaps.push(gapFrom(accountId, ['rootMfaEnabled', 'rootAccessKeysPresent'], summary.failure));
      for (const [name, value] of Object.entries(summary.value)) {
        if (!summary.failure && typeof value === 'object') gaps.push({ resource: accountId, attributes: [name], reason: value.$unknown.reason });
      }
    }

    const pieces: Pieces = { account, ...(report ? { report } : {}), ...(authorization ? { authorization } : {}) };
    const users = report || authorization ? buildUsers(pieces, gaps) : [];
    const roles = authorization ? buildRoles(account, authorization, gaps) : [];
    const resources: Resource[] = [
      ...(ownsAccount ? [{ kind: 'aws.account', id: accountId, name: `AWS account ${account}`, source: 'aws-iam', scope: { account }, attributes: accountAttributes } satisfies Resource] : []),
      ...users,
      ...roles,
      ...regionFacts,
    ];
    return { resources, gaps, notes, endpoint: session.endpoint('iam'), identity };
  } finally {
    session.destroy();
  }
};

/** Every account of aws.accounts or aws.organization, else the one the credentials (or --aws-role-arn) reach. */
const collectAwsIam = (ctx: CollectContext, tuning: AwsIamTuning): Promise<CollectorOutput> =>
  forEachAccount(ctx, awsSettings(ctx), (settings) => collectAccount(ctx, settings, tuning), tuning);

/** Builds the collector; tests pass shorter delays, the registry uses the defaults. */
export const createAwsIamCollector = (tuning: AwsIamTuning = {}): Collector => ({
  ...awsIamMeta,
  collect: (ctx) => collectAwsIam(ctx, tuning),
});

/** The aws-iam collector. */
export const awsIamCollector: Collector = createAwsIamCollector();
