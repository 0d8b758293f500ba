import path from 'node:path';
import type { Command } from 'commander';
import { loadJsonDocument } from '../../facts/documents.js';
import { mergeShards } from '../../facts/merge.js';
import type { FactsDocument } from '../../facts/types.js';
import { writeOutput } from '../../util/atomic.js';
import { PostureError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { serialise, validateFacts, type Runtime } from '../pipeline.js';

/** The command-line options of a sharded `posture collect`. */
export type ShardOptions = { shard?: string; shardCount?: string };

/** Adds `--shard K/N` and `--shard-count N` (with the index from JOB_COMPLETION_INDEX) to `collect`. */
export const addShardOptions = (command: Command): Command =>
  command
    .option('--shard <K/N>', 'collect only shard K of N (K from 1) of the units of work; merge the shards with posture merge')
    .option('--shard-count <N>', 'shard the collection N ways, this shard being JOB_COMPLETION_INDEX + 1 (a Kubernetes Indexed Job)');

const positive = (text: string): number | undefined => (/^[1-9]\d{0,5}$/.test(text) ? Number(text) : undefined);

/** The shard that `--shard` or `--shard-count` names, or undefined for an unsharded collection. */
export const shardOf = (options: ShardOptions, env: NodeJS.ProcessEnv): { k: number; n: number } | undefined => {
  if (options.shard !== undefined && options.shardCount !== undefined) throw new PostureError('usage', 'give --shard K/N or --shard-count N, not both');
  if (options.shard !== undefined) {
    const [k, n] = options.shard.split('/').map(positive);
    if (!/^\d+\/\d+$/.test(options.shard) || k === undefined || n === undefined || k > n) {
      throw new PostureError('usage', `--shard "${options.shard}" is not K/N with 1 <= K <= N (for example --shard 2/4)`);
    }
    return { k, n };
  }
  if (options.shardCount === undefined) return undefined;
  const n = positive(options.shardCount);
  if (n === undefined) throw new PostureError('usage', `--shard-count "${options.shardCount}" is not a positive whole number`);
  const index = env.JOB_COMPLETION_INDEX;
  if (index === undefined || !/^\d+$/.test(index)) throw new PostureError('usage', '--shard-count needs JOB_COMPLETION_INDEX (0-based, as a Kubernetes Indexed Job sets it)');
  const k = Number(index) + 1;
  if (k > n) throw new PostureError('usage', `JOB_COMPLETION_INDEX ${index} is outside --shard-count ${n} (0 to ${n - 1})`);
  return { k, n };
};

/**
 * `posture merge facts-*.json --out facts.json`: validates every shard's facts document and
 * merges them into one for `posture evaluate`, refusing overlaps, missing shards and shards of
 * different plans.
 */
export const registerMergeCommand = (program: Command, rt: Runtime, setExit: (code: number) => void): Command =>
  program
    .command('merge')
    .description('merge the facts documents of the shards of one sharded collection (posture collect --shard K/N)')
    .argument('<facts...>', "every shard's facts document")
    .option('--out <file>', 'merged facts document to write ("-" for stdout)', '-')
    .addHelpText('after', '\nExamples:\n  posture merge shards/facts-*.json --out facts.json\n  posture evaluate facts.json --out result.json\n')
    .action((files: string[], options: { out?: string }) => {
      const inputs = files.map((file) => {
        const facts = loadJsonDocument<FactsDocument>(rt.schemas, 'facts', file === '-' ? '-' : path.resolve(rt.cwd, file));
        validateFacts(rt, facts, file);
        return { file, facts };
      });
      const merged = mergeShards(inputs);
      validateFacts(rt, merged, 'facts (merged)');
      writeOutput(options.out === '-' || !options.out ? '-' : path.resolve(rt.cwd, options.out), serialise(rt, merged));
      rt.logger.info(`posture: merged ${inputs.length} shards: ${merged.resources.length} resources from ${merged.sources.length} sources`);
      setExit(EXIT.ok);
    });
