import type { Discovery } from '../aws/organization.js';
import { awsSettings } from '../aws/settings.js';
import type { CollectorId } from '../facts/types.js';
import type { CollectContext, Collector } from './types.js';

/**
 * What each shared step hands the collectors that name it, by step id: data only, since it
 * crosses into a collector's worker thread. A step with nothing to do answers undefined.
 */
export type SharedResults = {
  /** The accounts of `aws.organization`, or why they could not be listed; undefined without an organization. */
  'aws-accounts': Discovery;
};

export type SharedStepId = keyof SharedResults;

/** A piece of work several collectors need, done once per scan. */
export type SharedStep<K extends SharedStepId> = {
  /** What the step does, for the note of a collector that used another's result. */
  description: string;
  run: (ctx: CollectContext) => Promise<SharedResults[K] | undefined>;
};

/**
 * The explicit registry of shared steps. aws-iam and aws-s3 scan the same accounts: listing the
 * organization once for both keeps each (resource, API) to one call per scan. Each step's code is
 * loaded when it runs, so a scan without it loads no SDK for it. Assuming each account's role and
 * asking the caller identity are shared too, but on demand (src/aws/identities.ts): whether a
 * collector needs them, and when its credentials expire, is known only as it runs.
 */
export const sharedStepRegistry = (): { [K in SharedStepId]: SharedStep<K> } => ({
  'aws-accounts': {
    description: "the AWS Organization's accounts were listed",
    // Without aws.organization (or with --aws-role-arn) there is nothing to list, and this thread
    // loads no AWS SDK: the collectors load theirs in their own threads.
    run: async (ctx) => {
      const settings = awsSettings(ctx);
      if (!settings.organization) return undefined;
      const { discoverAccounts } = await import('../aws/organization.js');
      return discoverAccounts(ctx, { ...settings, organization: settings.organization });
    },
  },
});

/** Runs the shared steps of one scan: each at most once, whichever collector asks first. */
export type SharedSteps = {
  /**
   * The results of the steps `collector` names, running those not started yet with its context
   * (so their calls are recorded once, as that collector's), and a note for each result another
   * collector's calls paid for.
   */
  resultsFor: (collector: Pick<Collector, 'id' | 'shares'>, ctx: CollectContext) => Promise<{ shared: Partial<SharedResults>; notes: string[] }>;
};

export const createSharedSteps = (registry = sharedStepRegistry()): SharedSteps => {
  const started = new Map<SharedStepId, { by: CollectorId; result: Promise<unknown> }>();
  return {
    resultsFor: async (collector, ctx) => {
      const shared: Partial<Record<SharedStepId, unknown>> = {};
      const notes: string[] = [];
      for (const id of collector.shares ?? []) {
        let step = started.get(id);
        if (!step) {
          step = { by: collector.id, result: registry[id].run(ctx) };
          started.set(id, step);
        }
        const value = await step.result;
        if (value === undefined) continue;
        shared[id] = value;
        if (step.by !== collector.id) notes.push(`${registry[id].description} once for the scan, by ${step.by}: its calls are counted there`);
      }
      return { shared: shared as Partial<SharedResults>, notes };
    },
  };
};
