import path from 'node:path';
import { unknown, type Unknown } from '../../facts/types.js';
import { dirOf, type TreeFiles } from './tree-files.js';
import type { IacKind } from './types.js';

/** More paths than this per kind add nothing to "is there infrastructure as code". */
const MAX_PATHS = 100;

const TERRAFORM = /\.(tf|tofu)(\.json)?$/;
const YAML = /\.ya?ml$/i;
const CLOUDFORMATION_CANDIDATE = /\.(ya?ml|json|template)$/i;
const NOT_CLOUDFORMATION = /(^|\/)(package(-lock)?\.json|composer\.(json|lock)|tsconfig[^/]*\.json|\.eslintrc[^/]*|renovate\.json|cdk\.json|pnpm-lock\.yaml)$/;
const CFN_VERSION = /AWSTemplateFormatVersion/;
const CFN_RESOURCES = /(^|\n)\s*"?Resources"?\s*:/;
const CFN_TYPE = /"?Type"?\s*:\s*["']?AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/;
const K8S_API = /^apiVersion:\s*["']?[\w./-]+["']?\s*$/m;
const K8S_KIND = /^kind:\s*["']?([A-Z]\w*)["']?\s*$/m;

/**
 * Infrastructure as code in the tree, by kind: Terraform/OpenTofu (and Terragrunt), CloudFormation
 * and SAM templates (recognised by their content), CDK apps (cdk.json), Pulumi projects, Kubernetes
 * manifests and kustomizations, Helm charts. Only the first 64 KiB of a candidate file is read.
 */
export const findIac = (files: TreeFiles): Record<IacKind, string[]> | Unknown => {
  const found: Record<IacKind, string[]> = { terraform: [], cloudformation: [], cdk: [], pulumi: [], kubernetes: [], helm: [] };
  const unreadable: { path: string; reason: string; permission?: string }[] = [];
  const charts = files.files.filter((f) => path.posix.basename(f.path) === 'Chart.yaml').map((f) => dirOf(f.path));
  const inChart = (p: string) => charts.some((dir) => dir === '' || p.startsWith(`${dir}/`));
  for (const file of files.files) {
    const p = file.path;
    const name = path.posix.basename(p);
    if (TERRAFORM.test(name) || name === 'terragrunt.hcl') found.terraform.push(p);
    else if (name === 'cdk.json') found.cdk.push(p);
    else if (/^Pulumi\.ya?ml$/.test(name)) found.pulumi.push(p);
    else if (name === 'Chart.yaml') found.helm.push(p);
    else if (/^kustomization\.ya?ml$/i.test(name)) found.kubernetes.push(p);
    else if (CLOUDFORMATION_CANDIDATE.test(name) && !NOT_CLOUDFORMATION.test(p) && !p.startsWith('.github/') && !/(^|\/)(cdk\.out|node_modules)\//.test(p)) {
      const head = files.head(p);
      if (!head.ok) {
        if (head.reason !== 'binary file') unreadable.push({ path: p, ...head });
        continue;
      }
      if (CFN_VERSION.test(head.text) || (CFN_RESOURCES.test(head.text) && CFN_TYPE.test(head.text))) found.cloudformation.push(p);
      else if (YAML.test(name) && !inChart(p) && K8S_API.test(head.text) && K8S_KIND.test(head.text) && K8S_KIND.exec(head.text)?.[1] !== 'Config') {
        found.kubernetes.push(p);
      }
    }
  }
  const total = Object.values(found).reduce((sum, list) => sum + list.length, 0);
  if (total === 0 && (unreadable.length > 0 || files.unlisted.length > 0)) {
    for (const u of unreadable) files.gap(u.path, ['iac'], { ok: false, reason: u.reason, ...(u.permission ? { permission: u.permission } : {}) });
    const first = unreadable[0] ?? files.unlisted[0];
    return unknown(`no infrastructure as code found, but ${first?.path} could not be read (${first?.reason})${unreadable.length + files.unlisted.length > 1 ? ' among others' : ''}`, 'read');
  }
  for (const kind of Object.keys(found) as IacKind[]) {
    if (found[kind].length > MAX_PATHS) {
      files.notes.push(`iac.${kind}: ${found[kind].length} files found; the first ${MAX_PATHS} are listed`);
      found[kind] = found[kind].slice(0, MAX_PATHS);
    }
  }
  return found;
};
