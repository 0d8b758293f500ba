import type { CollectContext } from '../collectors/types.js';
import type { CollectorId } from '../facts/types.js';
import { classifyAwsError, type AwsFailure } from './errors.js';
import type { Outcome } from './session.js';
import type { AwsSettings } from './settings.js';
import { isDocumentedExample } from '../util/redact.js';

/**
 * Who posture acts as in one account: the base credentials (a profile or the SDK's chain) and, if
 * any, the role assumed with them. Data only: it crosses from a collector's worker thread to the
 * parent. `region` is where STS is asked; it is not part of who.
 */
export type AwsPrincipal = Pick<AwsSettings, 'profile' | 'roleArn' | 'externalId' | 'roleSessionName' | 'maxAttempts'> & { region: string };

/** An assumed role's credentials, with their expiry as an ISO time. Held in memory only, never logged nor written. */
export type TemporaryCredentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: string };

/** What sts:GetCallerIdentity answers that posture uses. */
export type CallerIdentity = { Account?: string; Arn?: string };

/** The members of a GetCallerIdentity answer that posture keeps (the answer also carries SDK metadata). */
export const callerIdentityOf = (answer: CallerIdentity): CallerIdentity => ({ ...(answer.Account ? { Account: answer.Account } : {}), ...(answer.Arn ? { Arn: answer.Arn } : {}) });

/**
 * The STS answers of one scan, as one collector sees them: each role assumed once and each caller
 * identity asked once for the scan, whichever collector asks first; what another collector's call
 * answered is reused. Credentials near their expiry are asked for again.
 */
export type AwsIdentities = {
  credentials: (principal: AwsPrincipal) => Promise<Outcome<TemporaryCredentials>>;
  callerIdentity: (principal: AwsPrincipal) => Promise<Outcome<CallerIdentity>>;
  /** The regions enabled in the principal's account (account:ListRegions), listed once per account for the scan. */
  enabledRegions: (principal: AwsPrincipal) => Promise<Outcome<string[]>>;
};

/** The context the STS calls are made and recorded with: the asking collector's. */
type Payer = Pick<CollectContext, 'calls' | 'limits' | 'signal' | 'redactor'>;

export type ScanIdentities = {
  /** The identities as `collector` asks for them: calls it makes are recorded on `ctx.calls`. */
  for: (collector: CollectorId, ctx: Payer) => AwsIdentities;
  /** For the coverage notes of `collector`: the STS and ListRegions answers it used that another collector's calls paid for. */
  notesFor: (collector: CollectorId) => string[];
  /** Starts loading the STS client, so that the first question, at the start of the AWS sources, waits for no module. */
  preload: () => void;
};

/**
 * Credentials are asked for again this long before they expire, as the session's own cache does
 * (src/aws/session.ts), so that a call never goes out with credentials about to lapse.
 */
export const REFRESH_BEFORE_MS = 5 * 60_000;

const keyOf = (principal: AwsPrincipal): string =>
  JSON.stringify([principal.profile ?? '', principal.roleArn ?? '', principal.externalId ?? '', principal.roleSessionName]);

/**
 * The SDK error a failure came from, rebuilt (name, code, HTTP status, message) so that a call
 * refused for want of credentials is classified as it would have been had the role been assumed
 * in the collector's own thread: its message names sts:AssumeRole and the role.
 */
export const errorOfFailure = (failure: AwsFailure): Error =>
  Object.assign(new Error(failure.message), { name: failure.code, code: failure.code, ...(failure.status ? { $metadata: { httpStatusCode: failure.status } } : {}) });

const settingsOf = (principal: AwsPrincipal, role: boolean): AwsSettings => ({
  ...(principal.profile ? { profile: principal.profile } : {}),
  ...(role && principal.roleArn ? { roleArn: principal.roleArn } : {}),
  ...(role && principal.externalId ? { externalId: principal.externalId } : {}),
  roleSessionName: principal.roleSessionName,
  maxAttempts: principal.maxAttempts,
});

/** Makes sure an unexpected exception (an SDK that fails to load) is an outcome, as any call's failure is. */
const settled = async <T>(operation: string, work: () => Promise<Outcome<T>>, service: 'sts' | 'account' = 'sts'): Promise<Outcome<T>> => {
  try {
    return await work();
  } catch (error) {
    return { ok: false, failure: classifyAwsError(error, service, operation) };
  }
};

/**
 * Creates the scan's STS broker (and, for `--aws-regions all`, its list of each account's enabled
 * regions). aws-iam and aws-s3 scan the same accounts through the same roles,
 * each in a thread of its own; without it each assumed every role and asked who it was on its own,
 * twice per account. Calls are made lazily, when a collector first needs them (a scan whose rules
 * need no caller identity asks none), with the asking collector's context: its call recorder
 * counts them, once, and the other collector's notes say whose calls it used. Failures are shared
 * too: a refused role is refused once, and every collector reports the gap. The SDK's STS client
 * is loaded only when a call is made.
 */
export const createScanIdentities = (options: { now?: () => number } = {}): ScanIdentities => {
  // The clock is a knob for tests, which cannot wait an hour for credentials to expire.
  const now = options.now ?? Date.now;
  type Entry<T> = { by: CollectorId; result: Promise<Outcome<T>>; expiresAt?: number };
  const roles = new Map<string, Entry<TemporaryCredentials>>();
  const callers = new Map<string, Entry<CallerIdentity>>();
  const regionLists = new Map<string, Entry<string[]>>();
  /** collector → `api\0payer` → the principals whose answers it reused. */
  const reused = new Map<CollectorId, Map<string, Set<string>>>();
  // The STS client is loaded once, on the first question or ahead of it (preload).
  const load = () => Promise.all([import('./session.js'), import('@aws-sdk/client-sts')]);
  let sts: ReturnType<typeof load> | undefined;
  const loadSts = (): ReturnType<typeof load> => (sts ??= load());
  const remember = (collector: CollectorId, api: string, payer: CollectorId, key: string): void => {
    if (payer === collector) return;
    let byApi = reused.get(collector);
    if (!byApi) reused.set(collector, (byApi = new Map()));
    const slot = `${api}\0${payer}`;
    let keys = byApi.get(slot);
    if (!keys) byApi.set(slot, (keys = new Set()));
    keys.add(key);
  };

  const assume = (ctx: Payer, principal: AwsPrincipal): Promise<Outcome<TemporaryCredentials>> =>
    settled('AssumeRole', async () => {
      const [{ createAwsSession }, { AssumeRoleCommand, STSClient }] = await loadSts();
      // The role is assumed with the base credentials: a session without the role.
      const session = createAwsSession(ctx, settingsOf(principal, false), principal.region);
      try {
        const sts = session.client(STSClient, 'sts', principal.region);
        const answer = await session.call('sts', 'AssumeRole', () =>
          sts.send(
            new AssumeRoleCommand({
              RoleArn: principal.roleArn,
              RoleSessionName: principal.roleSessionName,
              ...(principal.externalId ? { ExternalId: principal.externalId } : {}),
            }),
          ),
        );
        if (!answer.ok) return answer;
        const given = answer.value.Credentials;
        if (!given?.AccessKeyId || !given.SecretAccessKey) {
          return { ok: false, failure: { reason: 'ServiceError', code: 'NoCredentials', message: `sts:AssumeRole on ${principal.roleArn} answered without credentials` } };
        }
        // The scan's redactor masks them wherever they might surface (an error message, a log line).
        // AWS's documented example values (a test endpoint's) are public, and never replaced.
        if (!isDocumentedExample(given.SecretAccessKey)) ctx.redactor?.add(given.SecretAccessKey, 'aws-secret-access-key');
        if (given.SessionToken && !isDocumentedExample(given.SessionToken)) ctx.redactor?.add(given.SessionToken, 'aws-session-token');
        return {
          ok: true,
          value: {
            accessKeyId: given.AccessKeyId,
            secretAccessKey: given.SecretAccessKey,
            ...(given.SessionToken ? { sessionToken: given.SessionToken } : {}),
            ...(given.Expiration ? { expiration: given.Expiration.toISOString() } : {}),
          },
        };
      } finally {
        session.destroy();
      }
    });

  const forCollector = (collector: CollectorId, ctx: Payer): AwsIdentities => {
    // The first collector to ask a principal's question makes the call; the others take its answer.
    const once = <T>(answers: Map<string, Entry<T>>, api: string, principal: AwsPrincipal, ask: () => Promise<Outcome<T>>): Promise<Outcome<T>> => {
      const key = keyOf(principal);
      let entry = answers.get(key);
      if (!entry) answers.set(key, (entry = { by: collector, result: ask() }));
      remember(collector, api, entry.by, key);
      return entry.result;
    };
    const identities: AwsIdentities = {
      credentials: (principal) => {
        if (!principal.roleArn) {
          return Promise.resolve({ ok: false, failure: { reason: 'NoRole', code: 'NoRole', message: 'no role to assume: the base credentials are used as they are' } });
        }
        const key = keyOf(principal);
        let entry = roles.get(key);
        // Asked again near the expiry: by then the other collector may have fresh ones, or none has.
        if (!entry || (entry.expiresAt !== undefined && entry.expiresAt - now() <= REFRESH_BEFORE_MS)) {
          const fresh: Entry<TemporaryCredentials> = {
            by: collector,
            result: assume(ctx, principal).then((outcome) => {
              if (outcome.ok && outcome.value.expiration) fresh.expiresAt = Date.parse(outcome.value.expiration);
              return outcome;
            }),
          };
          roles.set(key, (entry = fresh));
        }
        remember(collector, 'sts:AssumeRole', entry.by, key);
        return entry.result;
      },
      callerIdentity: (principal) =>
        once(callers, 'sts:GetCallerIdentity', principal, () =>
          settled('GetCallerIdentity', async () => {
            const [{ createAwsSession }, { GetCallerIdentityCommand, STSClient }] = await loadSts();
            // Through the role, its credentials from this broker: assumed once for the scan too.
            const session = createAwsSession({ ...ctx, awsIdentities: identities }, settingsOf(principal, true), principal.region);
            try {
              const sts = session.client(STSClient, 'sts', principal.region);
              const answer = await session.call('sts', 'GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})));
              return answer.ok ? { ok: true as const, value: callerIdentityOf(answer.value) } : answer;
            } finally {
              session.destroy();
            }
          }),
        ),
      enabledRegions: (principal) =>
        once(regionLists, 'account:ListRegions', principal, () =>
          settled(
            'ListRegions',
            async () => {
              const [{ createAwsSession }, { listEnabledRegions }] = await Promise.all([import('./session.js'), import('./regions.js')]);
              // Through the account's role, its credentials from this broker, as every other call of the account.
              const session = createAwsSession({ ...ctx, awsIdentities: identities }, settingsOf(principal, true), principal.region);
              try {
                return await listEnabledRegions(session, principal.region);
              } finally {
                session.destroy();
              }
            },
            'account',
          ),
        ),
    };
    return identities;
  };

  return {
    for: forCollector,
    preload: () => {
      // A failure to load surfaces on the first question, with that question's context.
      loadSts().catch(() => undefined);
    },
    notesFor: (collector) =>
      [...(reused.get(collector) ?? new Map<string, Set<string>>())].map(([slot, keys]) => {
        const [api, payer] = slot.split('\0') as [string, string];
        const what =
          api === 'sts:AssumeRole'
            ? `${keys.size} role${keys.size === 1 ? '' : 's'} assumed`
            : api === 'account:ListRegions'
              ? `the enabled regions of ${keys.size} account${keys.size === 1 ? '' : 's'} listed`
              : `${keys.size} caller ${keys.size === 1 ? 'identity' : 'identities'} asked`;
        return `${api}: ${what} by ${payer}, whose answers this source used: the calls are counted there`;
      }),
  };
};
