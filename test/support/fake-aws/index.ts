import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../src/util/package-root.js';
import { accountRegions, fakeAccount, type FakeAccount, type FakeRegion } from './account.js';
import { fakeCloudTrail } from './cloudtrail.js';
import { fakeGuardDuty } from './guardduty.js';
import { fakeIam, type FakeIam } from './iam.js';
import { demoS3Service } from './s3.js';
import { startFakeAws, type FakeAws, type Fault, type FakeService } from './server.js';
import { fakeSts, type FakeSts } from './sts.js';
import type { FixtureSet } from './wire.js';

/** `fake.json` beside a fixture set: what the recorded responses assume. */
export type FakeManifest = {
  account: string;
  /** The moment the fixtures describe; tests scan at this time, the demo shifts it to now. */
  referenceTime: string;
  credentialReportGeneratedAt: string;
};

export type FixtureFakeOptions = {
  /** A fixture set directory (fixtures/aws/iam/<set>, fixtures/demo/aws/iam). */
  fixtures: string;
  faults?: Fault[];
  /** Fixture files to treat as absent (e.g. `iam/GetAccountPasswordPolicy.xml` for "no policy"). */
  hide?: string[];
  reportReadyAfter?: number;
  /** When set, AssumeRole requires this external id. */
  externalId?: string;
  /** Moves every timestamp in the answers so that the reference time falls on this instant. */
  shiftTimesTo?: Date;
  /** Further services (S3, S3 Control) served by the same endpoint. */
  extraServices?: Record<string, FakeService>;
  /** The account's regions as ListRegions lists them (default: `ESTATE_REGIONS`). */
  regions?: FakeRegion[];
  /** Regions per ListRegions page at most. */
  regionsPageSize?: number;
};

export type FixtureFake = FakeAws & { manifest: FakeManifest; iam: FakeIam; sts: FakeSts; account: FakeAccount; fixtures: FixtureSet };

/** The fixture estates' regions: the default ones, one opt-in region enabled, one being enabled, the others disabled. */
export const ESTATE_REGIONS: FakeRegion[] = accountRegions({ enabled: ['eu-south-1'], enabling: ['me-central-1'] });

export const FIXTURES_AWS_IAM = path.join(packageRoot, 'fixtures', 'aws', 'iam');
export const DEMO_AWS_IAM = path.join(packageRoot, 'fixtures', 'demo', 'aws', 'iam');

const ISO = /\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})/g;

/** Rewrites ISO-8601 timestamps by a fixed offset, keeping their style. */
export const shiftTimestamps = (text: string, deltaMs: number): string =>
  deltaMs === 0
    ? text
    : text.replace(ISO, (whole, _base: string, fraction: string | undefined, zone: string) => {
        const shifted = new Date(Date.parse(whole) + deltaMs).toISOString().slice(0, 19);
        return `${shifted}${fraction ? '.000' : ''}${zone === 'Z' ? 'Z' : '+00:00'}`;
      });

export const readManifest = (dir: string): FakeManifest => JSON.parse(readFileSync(path.join(dir, 'fake.json'), 'utf8')) as FakeManifest;

/**
 * Starts the fake AWS endpoint answering IAM, STS, CloudTrail and GuardDuty from one fixture
 * set, and the Account API's ListRegions from `regions`. Point the real SDK at it with `AWS_ENDPOINT_URL` (see `awsEnvFor`).
 */
export const startFixtureAws = async (options: FixtureFakeOptions): Promise<FixtureFake> => {
  const manifest = readManifest(options.fixtures);
  const delta = options.shiftTimesTo ? options.shiftTimesTo.getTime() - Date.parse(manifest.referenceTime) : 0;
  const fixtures: FixtureSet = {
    dir: options.fixtures,
    ...(delta !== 0 ? { transform: (text: string) => shiftTimestamps(text, delta) } : {}),
    ...(options.hide ? { hide: options.hide } : {}),
  };
  const iam = fakeIam({
    fixtures,
    account: manifest.account,
    reportGeneratedAt: shiftTimestamps(manifest.credentialReportGeneratedAt, delta),
    ...(options.reportReadyAfter !== undefined ? { reportReadyAfter: options.reportReadyAfter } : {}),
  });
  const sts = fakeSts({ fixtures, ...(options.externalId !== undefined ? { externalId: options.externalId } : {}) });
  const account = fakeAccount({ account: manifest.account, regions: options.regions ?? ESTATE_REGIONS, ...(options.regionsPageSize !== undefined ? { pageSize: options.regionsPageSize } : {}) });
  const services: Record<string, FakeService> = {
    iam,
    sts,
    account,
    cloudtrail: fakeCloudTrail({ fixtures }),
    guardduty: fakeGuardDuty({ fixtures }),
    ...options.extraServices,
  };
  const fake = await startFakeAws(services, { faults: options.faults ?? [] });
  return { ...fake, manifest, iam, sts, account, fixtures };
};

/**
 * The environment that sends the AWS SDK to a fake endpoint with fake credentials, and keeps it
 * away from the user's own profiles.
 */
export const awsEnvFor = (url: string, region = 'us-east-1'): Record<string, string> => ({
  AWS_ENDPOINT_URL: url,
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_REGION: region,
  AWS_CONFIG_FILE: path.join(packageRoot, 'fixtures', 'aws', 'no-such-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: path.join(packageRoot, 'fixtures', 'aws', 'no-such-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
});

/** Sets environment variables and returns a function that restores the previous values. */
export const withEnv = (values: Record<string, string | undefined>): (() => void) => {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
};

/**
 * Points the AWS SDK of this process at a fake (it reads endpoint and credentials from the
 * environment), without a profile or session token of the machine's; returns the restore function.
 */
export const withFakeAwsEnv = (url: string): (() => void) =>
  withEnv({ ...awsEnvFor(url), AWS_PROFILE: undefined, AWS_SESSION_TOKEN: undefined, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

/**
 * Serves the demo estate's AWS account (Acme Rockets, 123456789012) with its timestamps moved
 * to `now`, so that "a key rotated 200 days ago" stays 200 days old whenever the demo runs.
 * Other AWS fakes of the demo (S3) join through `extraServices`.
 */
export const startDemoAws = async (options: { now?: Date; extraServices?: Record<string, FakeService> } = {}): Promise<FixtureFake & { env: Record<string, string> }> => {
  const fake = await startFixtureAws({
    fixtures: DEMO_AWS_IAM,
    shiftTimesTo: options.now ?? new Date(),
    // The demo's buckets (S3 and S3 Control share the `s3` signing name).
    extraServices: { s3: demoS3Service(), ...options.extraServices },
  });
  return { ...fake, env: awsEnvFor(fake.url) };
};
