import { globMatcher } from '../engine/glob.js';
import type { Resource } from '../facts/types.js';
import type { AssetSelector, ModelAsset } from './types.js';

type Candidate = Pick<Resource, 'kind' | 'id' | 'tags'>;

const list = (value: string | string[] | undefined): string[] | undefined => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

/** Compiles a selector: every field given must match (kind and id globs, each named tag's value glob). */
export const compileSelector = (selector: AssetSelector): ((resource: Candidate) => boolean) => {
  const kinds = list(selector.kind);
  const ids = list(selector.id);
  const kind = kinds ? globMatcher(kinds) : undefined;
  const id = ids ? globMatcher(ids) : undefined;
  const tags = Object.entries(selector.tags ?? {}).map(([name, glob]) => ({ name, match: globMatcher([glob]) }));
  return (resource) => {
    if (kind && !kind(resource.kind)) return false;
    if (id && !id(resource.id)) return false;
    for (const tag of tags) {
      const value = resource.tags?.[tag.name];
      if (value === undefined || !tag.match(value)) return false;
    }
    return true;
  };
};

/** Compiles an asset's selectors: it selects a resource when any of them matches. */
export const compileAsset = (asset: Pick<ModelAsset, 'select'>): ((resource: Candidate) => boolean) => {
  const selectors = (Array.isArray(asset.select) ? asset.select : [asset.select]).map(compileSelector);
  return (resource) => selectors.some((matches) => matches(resource));
};

/**
 * Assigns each resource to the first asset, in file order, that selects it; resources no asset
 * selects come back in `unmatched` in their input order.
 */
export const assignResources = <R extends Candidate>(assets: ModelAsset[], resources: R[]): { byAsset: Map<string, R[]>; unmatched: R[] } => {
  const compiled = assets.map((asset) => ({ id: asset.id, matches: compileAsset(asset) }));
  const byAsset = new Map<string, R[]>(assets.map((asset) => [asset.id, []]));
  const unmatched: R[] = [];
  for (const resource of resources) {
    const owner = compiled.find((asset) => asset.matches(resource));
    if (owner) byAsset.get(owner.id)?.push(resource);
    else unmatched.push(resource);
  }
  return { byAsset, unmatched };
};

/**
 * The attributes the model's selectors read, per kind: `tags` for every kind a selector with
 * `tags` can match (S3 reads bucket tags only when something needs them). `kinds` is the list of
 * resource kinds (the facts schema's enum).
 */
export const selectorAttributes = (assets: ModelAsset[], kinds: readonly string[]): Map<string, string[]> => {
  const needs = new Map<string, string[]>();
  for (const asset of assets) {
    for (const selector of Array.isArray(asset.select) ? asset.select : [asset.select]) {
      if (!selector.tags) continue;
      const kindGlobs = list(selector.kind);
      const matches = kindGlobs ? globMatcher(kindGlobs) : () => true;
      for (const kind of kinds) if (matches(kind)) needs.set(kind, ['tags']);
    }
  }
  return needs;
};
