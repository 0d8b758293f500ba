import path from 'node:path';
import type { Resource } from '../../facts/types.js';
import { listTree } from '../../util/tree.js';
import type { CollectContext, Collector, CollectorOutput } from '../types.js';
import { localRepoMeta } from './meta.js';
import { findEnvFiles } from './env-files.js';
import { findIac } from './iac.js';
import { findManifests } from './manifests.js';
import { findCodeowners, findDependencyUpdates, findSecurityPolicy } from './security-files.js';
import { createTreeFiles } from './tree-files.js';
import type { RepositoryAttributes } from './types.js';
import { collectWorkflows } from './workflows.js';

/** The display name of a tree: the last segment of its id (an origin URL or a directory name). */
export const treeNameOf = (treeId: string, root: string): string => {
  const segment = treeId.replace(/\/+$/, '').split('/').pop();
  return segment || path.basename(path.resolve(root));
};

const collect = async (ctx: CollectContext): Promise<CollectorOutput> => {
  const listing = listTree(ctx.root, ctx.excludes);
  const files = createTreeFiles(ctx.treeId, listing, ctx.limits.maxFileBytes);
  for (const hidden of listing.unreadable) {
    files.gaps.push({ resource: `${ctx.treeId}/${hidden.path}`, attributes: ['*'], reason: `${hidden.path} could not be listed (${hidden.reason})`, permission: 'read' });
  }

  const attributes: RepositoryAttributes = {
    securityPolicy: findSecurityPolicy(files),
    codeowners: findCodeowners(files),
    dependencyUpdates: findDependencyUpdates(files),
    manifests: findManifests(files),
    iac: findIac(files),
    envFiles: await findEnvFiles(files, ctx),
  };
  const repository: Resource = {
    kind: 'source.repository',
    id: ctx.treeId,
    name: treeNameOf(ctx.treeId, ctx.root),
    source: 'local-repo',
    scope: { tree: ctx.treeId },
    attributes,
  };
  const workflows = collectWorkflows(files);
  ctx.logger.debug(`${files.files.length} files, ${workflows.length} workflows, ${listing.excluded.length} excluded paths`);
  return {
    resources: [repository, ...workflows],
    gaps: files.gaps,
    notes: [`${files.files.length} files walked; ${listing.excluded.length} paths excluded by ${ctx.excludes.join(', ') || 'no patterns'}`, ...files.notes],
    excluded: listing.excluded,
  };
};

/** Security files, dependency automation, lockfiles, workflows, infrastructure as code and env files in a source tree. */
export const localRepoCollector: Collector = { ...localRepoMeta, collect };
