import { CloudTrailClient, DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand, type GetEventSelectorsCommandOutput, type Trail } from '@aws-sdk/client-cloudtrail';
import { GetDetectorCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { gapFrom, unknownFrom, type AwsFailure } from '../../aws/errors.js';
import type { AwsSession } from '../../aws/session.js';
import type { CoverageGap, Unknown } from '../../facts/types.js';

export type ManagementEvents = { read: boolean; write: boolean };

export type TrailFacts = {
  name: string;
  arn: string;
  homeRegion: string;
  multiRegion: boolean;
  organization: boolean;
  logFileValidation: boolean;
  logging: boolean | Unknown;
  managementEvents: ManagementEvents | Unknown;
};

export type DetectorFacts = { id: string; status: string | Unknown };

type TrailState = { logging: boolean | Unknown; managementEvents: ManagementEvents | Unknown; failures: AwsFailure[] };

/**
 * Which management events a trail's selectors log. Basic selectors say it with ReadWriteType;
 * advanced ones with `eventCategory = Management` and an optional `readOnly` field.
 */
export const managementEventsOf = (selectors: Pick<GetEventSelectorsCommandOutput, 'EventSelectors' | 'AdvancedEventSelectors'>): ManagementEvents => {
  const logged = { read: false, write: false };
  for (const selector of selectors.EventSelectors ?? []) {
    if (selector.IncludeManagementEvents === false) continue;
    const type = selector.ReadWriteType ?? 'All';
    if (type === 'All' || type === 'ReadOnly') logged.read = true;
    if (type === 'All' || type === 'WriteOnly') logged.write = true;
  }
  for (const advanced of selectors.AdvancedEventSelectors ?? []) {
    const fields = advanced.FieldSelectors ?? [];
    const category = fields.find((f) => f.Field === 'eventCategory');
    if (!category?.Equals?.some((v) => v.toLowerCase() === 'management')) continue;
    const readOnly = fields.find((f) => f.Field === 'readOnly');
    const only = readOnly?.Equals?.[0]?.toLowerCase() ?? (readOnly?.NotEquals?.[0] !== undefined ? String(readOnly.NotEquals[0].toLowerCase() !== 'true') : undefined);
    if (only === undefined || only === 'true') logged.read = true;
    if (only === undefined || only === 'false') logged.write = true;
  }
  return logged;
};

export type Detection = {
  /** Status and selectors of each trail, fetched once in the trail's home region and shared by every region it covers. */
  trailState: Map<string, Promise<TrailState>>;
};

const trailState = (session: AwsSession, trail: Trail): Promise<TrailState> => {
  const client = session.client(CloudTrailClient, 'cloudtrail', trail.HomeRegion as string);
  const name = trail.TrailARN ?? (trail.Name as string);
  return Promise.all([
    session.call('cloudtrail', 'GetTrailStatus', () => client.send(new GetTrailStatusCommand({ Name: name }))),
    session.call('cloudtrail', 'GetEventSelectors', () => client.send(new GetEventSelectorsCommand({ TrailName: name }))),
  ]).then(([status, selectors]) => ({
    logging: status.ok ? status.value.IsLogging === true : unknownFrom(status.failure),
    managementEvents: selectors.ok ? managementEventsOf(selectors.value) : unknownFrom(selectors.failure),
    failures: [...(status.ok ? [] : [status.failure]), ...(selectors.ok ? [] : [selectors.failure])],
  }));
};

/**
 * The trails that log a region: those it hosts and the multi-region and organisation trails
 * other regions host (DescribeTrails with shadow trails), each with its logging status and
 * management-event selectors from its home region.
 */
export const collectTrails = async (session: AwsSession, detection: Detection, region: string, resource: string): Promise<{ trails: TrailFacts[] | Unknown; gaps: CoverageGap[] }> => {
  const client = session.client(CloudTrailClient, 'cloudtrail', region);
  const described = await session.call('cloudtrail', 'DescribeTrails', () => client.send(new DescribeTrailsCommand({ includeShadowTrails: true })));
  if (!described.ok) return { trails: unknownFrom(described.failure), gaps: [gapFrom(resource, ['trails'], described.failure)] };
  const gaps: CoverageGap[] = [];
  const trails: TrailFacts[] = [];
  for (const trail of described.value.trailList ?? []) {
    const arn = trail.TrailARN ?? `${region}/${trail.Name ?? ''}`;
    const homeRegion = trail.HomeRegion ?? region;
    let pending = detection.trailState.get(arn);
    if (!pending) {
      pending = trailState(session, { ...trail, HomeRegion: homeRegion });
      detection.trailState.set(arn, pending);
    }
    const state = await pending;
    for (const failure of state.failures) gaps.push(gapFrom(resource, [`trails.${trail.Name ?? arn}`], failure));
    trails.push({
      name: trail.Name ?? arn,
      arn,
      homeRegion,
      multiRegion: trail.IsMultiRegionTrail === true,
      organization: trail.IsOrganizationTrail === true,
      logFileValidation: trail.LogFileValidationEnabled === true,
      logging: state.logging,
      managementEvents: state.managementEvents,
    });
  }
  return { trails, gaps };
};

/** The region's GuardDuty detectors (at most one per account and region) and whether each is enabled. */
export const collectDetectors = async (session: AwsSession, region: string, resource: string): Promise<{ detectors: DetectorFacts[] | Unknown; gaps: CoverageGap[] }> => {
  const client = session.client(GuardDutyClient, 'guardduty', region);
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await session.call('guardduty', 'ListDetectors', () => client.send(new ListDetectorsCommand({ ...(token ? { NextToken: token } : {}) })));
    if (!page.ok) return { detectors: unknownFrom(page.failure), gaps: [gapFrom(resource, ['guardDutyDetectors'], page.failure)] };
    ids.push(...(page.value.DetectorIds ?? []));
    nextToken = page.value.NextToken || undefined;
  } while (nextToken);
  const gaps: CoverageGap[] = [];
  const detectors = await Promise.all(
    ids.map(async (id): Promise<DetectorFacts> => {
      const got = await session.call('guardduty', 'GetDetector', () => client.send(new GetDetectorCommand({ DetectorId: id })));
      if (got.ok) return { id, status: got.value.Status ?? 'UNKNOWN' };
      gaps.push(gapFrom(resource, [`guardDutyDetectors.${id}.status`], got.failure));
      return { id, status: unknownFrom(got.failure) };
    }),
  );
  return { detectors, gaps };
};
