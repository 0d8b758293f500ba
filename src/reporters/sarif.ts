import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { SEVERITIES, type Finding, type ResultDocument, type RuleMeta, type Severity } from '../engine/types.js';
import type { ResourceKind } from '../facts/types.js';
import { escapeMarkdown } from './escape.js';
import { compactPieces, jsonPieces } from '../util/json-chunks.js';
import { buildFrom, createTopK, type ReportBuild, type ResultHead } from './visit.js';

/**
 * GitHub reads a rule's severity from `security-severity` (> 9.0 critical, 7.0-8.9 high, 4.0-6.9
 * medium, 0.1-3.9 low). Fixed values per posture severity, well inside each band: GitHub calls
 * exactly 9.0 high. `info` findings carry none, so GitHub shows them as a note rather than as a
 * "low" security alert: they describe, they do not weaken.
 */
export const SECURITY_SEVERITY: Record<Severity, string | undefined> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0', info: undefined };

type Level = 'error' | 'warning' | 'note';
const LEVEL: Record<Severity, Level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/** GitHub code scanning's limits (shared/data/sarif, PROVENANCE.md). */
export const SARIF_LIMITS = { resultsPerRun: 25_000, runsPerFile: 20, gzippedBytes: 10 * 1024 * 1024, tagsPerRule: 10, locationsPerResult: 10, descriptionChars: 1024 } as const;

const SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://posture.dev';

type Message = { text: string; markdown?: string };
type Region = { startLine: number; startColumn: number };
type PhysicalLocation = { artifactLocation: { uri: string }; region: Region };
type SarifLocation = { id?: number; physicalLocation: PhysicalLocation; message?: Message };

export type SarifRule = {
  id: string;
  name: string;
  shortDescription: Message;
  fullDescription: Message;
  help: Message;
  helpUri?: string;
  defaultConfiguration: { level: Level };
  properties: Record<string, unknown> & { tags: string[] };
};

export type SarifResult = {
  ruleId: string;
  ruleIndex: number;
  level: Level;
  message: Message;
  locations: SarifLocation[];
  relatedLocations?: SarifLocation[];
  partialFingerprints: { primaryLocationLineHash: string };
  suppressions?: { kind: 'external'; status: 'accepted'; justification: string }[];
  properties: Record<string, unknown>;
};

type Notification = { level: Level; message: Message; descriptor?: { id: string }; associatedRule?: { id: string; index: number }; properties?: Record<string, unknown> };

export type SarifRun = {
  tool: { driver: { name: string; version: string; semanticVersion: string; informationUri: string; rules: SarifRule[] } };
  automationDetails: { id: string; description: Message };
  invocations: { executionSuccessful: boolean; toolExecutionNotifications: Notification[] }[];
  results: SarifResult[];
  properties: Record<string, unknown>;
};

export type SarifLog = { $schema: string; version: '2.1.0'; runs: SarifRun[] };

export type SarifOptions = {
  /** Results per run before the most severe are kept; GitHub's limit unless a test lowers it. */
  maxResultsPerRun?: number;
  /** The gzipped size the whole file must stay under. */
  maxGzippedBytes?: number;
};

export type SarifBuild = {
  log: SarifLog;
  /** Results left out to respect GitHub's limits, per scope. */
  omitted: { scope: string; count: number }[];
  /** The scopes whose findings describe cloud accounts or organisations rather than files, each named (before runs are shared). */
  cloudScopes: string[];
};

const CLOUD_PREFIXES = ['aws.', 'github.'];

/** Whether a finding describes a cloud account or an organisation rather than a scanned tree. */
export const isCloudKind = (kind: ResourceKind): boolean => CLOUD_PREFIXES.some((prefix) => kind.startsWith(prefix));

const ARN_ACCOUNT = /^arn:aws[\w-]*:[\w-]*:[\w-]*:(\d{12}):/;

/**
 * The scope of a finding: one SARIF run (and so one code-scanning category) per scope, so that
 * uploads for different accounts or organisations never overwrite each other, and a pull-request
 * scan of the tree shares the `source` category with the scheduled scan of the default branch.
 */
export const scopeOf = (finding: Pick<Finding, 'resource'>): string => {
  const { kind, id, scope } = finding.resource;
  if (kind.startsWith('aws.')) {
    const account = scope?.account ?? /^aws:(\d{12})/.exec(id)?.[1] ?? ARN_ACCOUNT.exec(id)?.[1];
    return account ? `aws/${account}` : 'aws';
  }
  if (kind.startsWith('github.')) {
    let org = scope?.org;
    if (!org) {
      try {
        org = new URL(id).pathname.split('/').filter(Boolean)[0];
      } catch {
        org = undefined;
      }
    }
    return org ? `github/${org}` : 'github';
  }
  return 'source';
};

/**
 * The rule a finding is reported under. GitHub reads the severity from the rule, so findings whose
 * severity belongs to the instance get a rule per advisory (dependencies) or secret type (secrets);
 * any other finding whose severity differs from its rule's gets a rule per severity.
 */
export const sarifRuleIdOf = (finding: Finding, rule: RuleMeta | undefined): string => {
  if (finding.resource.kind === 'dependency.package' && finding.discriminator) return `${finding.ruleId}/${finding.discriminator}`;
  if (finding.resource.kind === 'source.secret') {
    const type = /#([^#:]+):[^#:]*$/.exec(finding.resource.id)?.[1];
    if (type) return `${finding.ruleId}/${type}`;
  }
  if (rule && finding.severity !== rule.severity) return `${finding.ruleId}/${finding.severity}`;
  return finding.ruleId;
};

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);

const pascal = (id: string): string =>
  id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

const fence = (code: string, language: string): string => {
  const longest = Math.max(2, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${code.replace(/\n+$/, '')}\n${ticks}`;
};

const helpOf = (rule: RuleMeta): Message => {
  const csf = rule.csf.map((c) => `${c.id}: ${c.rationale}`);
  const text = [
    rule.description,
    `Risk: ${rule.risk}`,
    `Remediation: ${rule.remediation.text}`,
    ...(rule.remediation.cli ? [`CLI:\n${rule.remediation.cli}`] : []),
    ...(rule.remediation.terraform ? [`Terraform:\n${rule.remediation.terraform}`] : []),
    `NIST CSF 2.0: ${csf.join('; ')}`,
    ...(rule.threats.length ? [`STRIDE: ${rule.threats.join(', ')}`] : []),
    ...(rule.references?.length ? [`References: ${rule.references.join(' ')}`] : []),
  ].join('\n\n');
  const markdown = [
    escapeMarkdown(rule.description),
    `**Risk.** ${escapeMarkdown(rule.risk)}`,
    `**Remediation.** ${escapeMarkdown(rule.remediation.text)}`,
    ...(rule.remediation.cli ? [fence(rule.remediation.cli, 'sh')] : []),
    ...(rule.remediation.terraform ? [fence(rule.remediation.terraform, 'hcl')] : []),
    `**NIST CSF 2.0.** ${rule.csf.map((c) => `\`${c.id}\` ${escapeMarkdown(c.rationale)}`).join('; ')}`,
    ...(rule.threats.length ? [`**STRIDE.** ${rule.threats.join(', ')}`] : []),
    ...(rule.references?.length ? [`**References.**\n${rule.references.map((r) => `- <${r.replace(/[<>\s]/g, '')}>`).join('\n')}`] : []),
  ].join('\n\n');
  return { text, markdown };
};

/** GitHub keeps 10 tags per rule: `security`, the STRIDE threats, then the CSF ids. */
const tagsOf = (rule: RuleMeta): string[] => {
  const fn = rule.csf[0]?.id.split('.')[0];
  return [...new Set(['security', ...rule.threats, ...rule.csf.map((c) => c.id), ...(fn ? [`csf-${fn}`] : [])])].slice(0, SARIF_LIMITS.tagsPerRule);
};

const ruleDescriptor = (id: string, rule: RuleMeta | undefined, finding: Finding | undefined, severity: Severity): SarifRule => {
  const title = rule?.title ?? finding?.title ?? id;
  const suffix = id.includes('/') ? ` (${id.slice(id.indexOf('/') + 1)})` : '';
  const securitySeverity = SECURITY_SEVERITY[severity];
  return {
    id,
    name: clip(pascal(id), 255),
    shortDescription: { text: clip(`${title}${suffix}`, SARIF_LIMITS.descriptionChars) },
    fullDescription: { text: clip(rule ? `${rule.description} ${rule.risk}` : title, SARIF_LIMITS.descriptionChars) },
    help: rule ? helpOf(rule) : { text: title },
    ...(rule?.references?.[0]?.startsWith('https://') ? { helpUri: rule.references[0] } : {}),
    defaultConfiguration: { level: LEVEL[severity] },
    properties: {
      tags: rule ? tagsOf(rule) : ['security'],
      ...(securitySeverity ? { 'security-severity': securitySeverity } : {}),
      precision: 'high',
      'problem.severity': LEVEL[severity] === 'note' ? 'recommendation' : LEVEL[severity],
      ...(rule ? { csf: rule.csf.map((c) => c.id), stride: rule.threats, resource: rule.resource } : {}),
    },
  };
};

/** Where a scanned tree's paths sit in the repository: the scanned path when it is relative and inside. */
const prefixOf = (result: Pick<ResultDocument, 'scan'>): string => {
  const target = result.scan.targets.path;
  if (!target || path.isAbsolute(target)) return '';
  const normal = path.posix.normalize(target.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (normal === '.' || normal === '' || normal.startsWith('..')) return '';
  return `${normal}/`;
};

/**
 * A scanned file's path relative to the repository root, which is what code scanning and annotations
 * expect: the scanned directory, when it was given as a relative path inside the working directory,
 * prefixes the tree-relative path.
 */
export const repositoryPath = (result: Pick<ResultDocument, 'scan'>, file: string): string => `${prefixOf(result)}${file}`;

const encodePath = (file: string): string => file.split('/').map(encodeURIComponent).join('/');

/** The stable pseudo-location of a finding without a file: `posture/<kind>/<url-encoded resource id>`. */
export const pseudoLocationUri = (finding: Pick<Finding, 'resource'>): string => `posture/${finding.resource.kind}/${encodeURIComponent(finding.resource.id)}`;

const resultOf = (finding: Finding, ruleId: string, ruleIndex: number, prefix: string): SarifResult => {
  const evidence = finding.evidence;
  let locations: SarifLocation[];
  let related: SarifLocation[] = [];
  let unplaced = evidence;
  if (finding.location) {
    const uri = encodePath(`${prefix}${finding.location.path}`);
    const line = finding.location.line ?? 1;
    locations = [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: line, startColumn: 1 } } }];
    const placed = evidence.filter((e) => e.line !== undefined);
    related = placed
      .filter((e, index) => !(index === 0 && e.line === line))
      .slice(0, SARIF_LIMITS.locationsPerResult)
      .map((e, index) => ({ id: index + 1, physicalLocation: { artifactLocation: { uri }, region: { startLine: e.line!, startColumn: 1 } }, message: { text: e.detail } }));
    unplaced = evidence.filter((e) => e.line === undefined);
  } else {
    locations = [{ physicalLocation: { artifactLocation: { uri: pseudoLocationUri(finding) }, region: { startLine: 1, startColumn: 1 } } }];
  }
  const details = (finding.location ? evidence : unplaced).slice(0, 10).map((e) => `- ${e.line ? `line ${e.line}: ` : ''}${e.detail}`);
  const more = evidence.length > 10 ? [`- and ${evidence.length - 10} more`] : [];
  const text = [finding.message, ...(finding.location ? [] : [`Resource: ${finding.resource.id}`]), ...details, ...more].join('\n');
  const suppression = finding.suppression;
  return {
    ruleId,
    ruleIndex,
    level: LEVEL[finding.severity],
    message: { text },
    locations,
    ...(related.length ? { relatedLocations: related } : {}),
    partialFingerprints: { primaryLocationLineHash: finding.fingerprint },
    ...(finding.status === 'suppressed' && suppression
      ? {
          suppressions: [
            {
              kind: 'external' as const,
              status: 'accepted' as const,
              justification: `${suppression.reason} (owner ${suppression.owner}, expires ${suppression.expires}${suppression.ticket ? `, ticket ${suppression.ticket}` : ''}; ${suppression.source})`,
            },
          ],
        }
      : {}),
    properties: {
      status: finding.status,
      severity: finding.severity,
      rule: finding.ruleId,
      resource: { kind: finding.resource.kind, id: finding.resource.id, name: finding.resource.name },
      csf: finding.csf,
      threats: finding.threats,
      ...(finding.firstSeen ? { firstSeen: finding.firstSeen } : {}),
      ...(finding.status === 'fail' && suppression ? { expiredSuppression: { owner: suppression.owner, expires: suppression.expires, source: suppression.source } } : {}),
    },
  };
};

/** Where a finding stands among those a run lists, and where it is in the result. */
type Reported = Pick<Finding, 'status' | 'severity' | 'ruleId' | 'fingerprint'> & { index: number };

const order = (a: Reported, b: Reported): number =>
  (a.status === b.status ? 0 : a.status === 'fail' ? -1 : 1) ||
  RANK[a.severity] - RANK[b.severity] ||
  (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
  (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0);

/** What one scope's run shows of its findings, gathered a finding at a time. */
type ScopeFindings = {
  /** Findings of the scope, of every status. */
  count: number;
  /**
   * The failing and suppressed findings SARIF lists, the first `perRun` in `order`: chosen by what
   * orders them, the findings themselves taken when they are shown again.
   */
  reported: ReturnType<typeof createTopK<Reported>>;
  reportedCount: number;
  reportedBySeverity: Record<Severity, number>;
  /** The first finding of each rule that looked at the scope, in the order the rules first appear. */
  firstOfRule: Map<string, Finding>;
  /** Unknown findings by rule, reason and permission: how many, and the first resources. */
  unknowns: Map<string, UnknownGroup>;
};

type UnknownGroup = { ruleId: string; reason: string; permission?: string; resources: string[]; count: number };

const UNKNOWN_RESOURCES_SHOWN = 5;

const newScope = (perRun: number): ScopeFindings => ({
  count: 0,
  reported: createTopK<Reported>(perRun, order),
  reportedCount: 0,
  reportedBySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
  firstOfRule: new Map(),
  unknowns: new Map(),
});

const addToScope = (scope: ScopeFindings, finding: Finding, index: number): void => {
  scope.count++;
  if (!scope.firstOfRule.has(finding.ruleId)) scope.firstOfRule.set(finding.ruleId, finding);
  if (finding.status === 'fail' || finding.status === 'suppressed') {
    scope.reported.add({ status: finding.status, severity: finding.severity, ruleId: finding.ruleId, fingerprint: finding.fingerprint, index });
    scope.reportedCount++;
    scope.reportedBySeverity[finding.severity]++;
  } else if (finding.status === 'unknown') {
    const reason = finding.unknown?.reason ?? 'unknown';
    const key = `${finding.ruleId}\u0000${reason}\u0000${finding.unknown?.permission ?? ''}`;
    let group = scope.unknowns.get(key);
    if (!group) {
      group = { ruleId: finding.ruleId, reason, ...(finding.unknown?.permission ? { permission: finding.unknown.permission } : {}), resources: [], count: 0 };
      scope.unknowns.set(key, group);
    }
    group.count++;
    if (group.resources.length < UNKNOWN_RESOURCES_SHOWN) group.resources.push(finding.resource.id);
  }
};

/** The findings of `later` added to `scope`'s, as if they had come after its own. */
const mergeScope = (scope: ScopeFindings, later: ScopeFindings): void => {
  scope.count += later.count;
  for (const finding of later.reported.result()) scope.reported.add(finding);
  scope.reportedCount += later.reportedCount;
  for (const severity of SEVERITIES) scope.reportedBySeverity[severity] += later.reportedBySeverity[severity];
  for (const [ruleId, finding] of later.firstOfRule) if (!scope.firstOfRule.has(ruleId)) scope.firstOfRule.set(ruleId, finding);
  for (const [key, group] of later.unknowns) {
    const earlier = scope.unknowns.get(key);
    if (!earlier) scope.unknowns.set(key, { ...group, resources: [...group.resources] });
    else {
      earlier.count += group.count;
      earlier.resources.push(...group.resources.slice(0, UNKNOWN_RESOURCES_SHOWN - earlier.resources.length));
    }
  }
};

const unknownNotifications = (groups: Iterable<UnknownGroup>, ruleIndex: Map<string, number>): Notification[] =>
  [...groups].map((group) => {
    const shown = group.resources.join(', ');
    const more = group.count > UNKNOWN_RESOURCES_SHOWN ? ` and ${group.count - UNKNOWN_RESOURCES_SHOWN} more` : '';
    const index = ruleIndex.get(group.ruleId);
    return {
      level: 'warning' as const,
      message: {
        text: `${group.ruleId} could not be checked on ${group.count} resource(s) (neither pass nor fail): ${group.reason}${group.permission ? ` (needs ${group.permission})` : ''}: ${shown}${more}`,
      },
      descriptor: { id: 'posture/unknown' },
      ...(index !== undefined ? { associatedRule: { id: group.ruleId, index } } : {}),
      properties: { rule: group.ruleId, reason: group.reason, ...(group.permission ? { permission: group.permission } : {}), count: group.count },
    };
  });

const CATEGORY_DESCRIPTION: Record<string, string> = {
  source: 'posture findings on the scanned source tree: workflows, lockfiles, secrets',
  aws: 'posture findings on an AWS account',
  github: 'posture findings on a GitHub organisation',
};

const buildRun = (result: ResultHead, scope: string, findings: ScopeFindings, listed: Map<number, Finding>, keep: number, prefix: string): { run: SarifRun; omitted: number } => {
  const metas = new Map(result.rules.map((rule) => [rule.id, rule]));
  const kept = findings.reported
    .result()
    .slice(0, keep)
    .map((r) => listed.get(r.index) as Finding);
  const rules: SarifRule[] = [];
  const index = new Map<string, number>();
  const add = (id: string, rule: RuleMeta | undefined, finding: Finding | undefined, severity: Severity): number => {
    const existing = index.get(id);
    if (existing !== undefined) return existing;
    rules.push(ruleDescriptor(id, rule, finding, severity));
    index.set(id, rules.length - 1);
    return rules.length - 1;
  };
  // Every rule that looked at this scope, so code scanning knows them even when nothing fails.
  for (const id of [...findings.firstOfRule.keys()].sort()) {
    const meta = metas.get(id);
    const first = findings.firstOfRule.get(id) as Finding;
    add(id, meta, first, meta?.severity ?? first.severity);
  }
  const results = kept.map((finding) => {
    const meta = metas.get(finding.ruleId);
    const id = sarifRuleIdOf(finding, meta);
    return resultOf(finding, id, add(id, meta, finding, finding.severity), prefix);
  });
  const notifications = unknownNotifications(findings.unknowns.values(), index);
  const omitted = findings.reportedCount - kept.length;
  if (omitted > 0) {
    const left = { ...findings.reportedBySeverity };
    for (const finding of kept) left[finding.severity]--;
    const counts = SEVERITIES.map((s) => [s, left[s]] as const).filter(([, n]) => n > 0);
    notifications.unshift({
      level: 'warning',
      message: {
        text: `${omitted} of ${findings.reportedCount} results were left out to stay within GitHub's limits (${SARIF_LIMITS.resultsPerRun} results per run, 10 MB gzipped per file); the most severe were kept. Left out: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}. result.json has all of them.`,
      },
      descriptor: { id: 'posture/truncated' },
      properties: { omitted, bySeverity: Object.fromEntries(counts) },
    });
  }
  const base = scope.split('/')[0]!;
  const sources = result.coverage.sources.filter((s) => (base === 'source' ? !s.id.startsWith('aws-') && s.id !== 'github' : base === 'aws' ? s.id.startsWith('aws-') : s.id === 'github'));
  for (const source of sources) {
    if (source.status === 'complete') continue;
    notifications.push({
      level: source.status === 'failed' ? 'error' : 'warning',
      message: { text: `source ${source.id} is ${source.status}${source.reason ? `: ${source.reason}` : ''}; ${source.gaps.length} coverage gap(s). What it could not see is neither pass nor fail.` },
      descriptor: { id: 'posture/coverage' },
      properties: { source: source.id, status: source.status, gaps: source.gaps.length },
    });
  }
  return {
    run: {
      tool: { driver: { name: result.tool.name, version: result.tool.version, semanticVersion: result.tool.version, informationUri: INFORMATION_URI, rules } },
      automationDetails: { id: `posture/${scope}/${result.scan.scanTime}`, description: { text: `${CATEGORY_DESCRIPTION[base] ?? 'posture findings'} (${scope})` } },
      invocations: [{ executionSuccessful: !sources.some((s) => s.status === 'failed'), toolExecutionNotifications: notifications }],
      results,
      properties: {
        scope,
        scanTime: result.scan.scanTime,
        rulesHash: result.scan.rulesHash,
        ...(result.scan.demo ? { demo: true } : {}),
        ...(omitted > 0 ? { omittedResults: omitted } : {}),
      },
    },
    omitted,
  };
};

const scopeRank = (scope: string): string => (scope === 'source' ? '0' : `1${scope}`);

/**
 * Builds the SARIF 2.1.0 log: one run per scope (the source tree, each AWS account, each GitHub
 * organisation), results for failing and suppressed findings only, unknown ones as the run's
 * notifications. Beyond GitHub's limits the most severe results are kept and the run says how many
 * were left out. The findings are gathered one at a time: a run keeps only the results it can list.
 */
export const startSarif = (result: ResultHead, options: SarifOptions = {}): ReportBuild<SarifBuild> => {
  const perRun = options.maxResultsPerRun ?? SARIF_LIMITS.resultsPerRun;
  const maxBytes = options.maxGzippedBytes ?? SARIF_LIMITS.gzippedBytes;
  const byScope = new Map<string, ScopeFindings>();
  const finding = (f: Finding, index: number): void => {
    const scope = scopeOf(f);
    let findings = byScope.get(scope);
    if (!findings) {
      findings = newScope(perRun);
      byScope.set(scope, findings);
    }
    addToScope(findings, f, index);
  };
  // The findings the runs can list, by their place in the result.
  let wanted: Set<number> | undefined;
  const listed = new Map<number, Finding>();
  const findingAgain = (f: Finding, index: number): void => {
    wanted ??= new Set([...byScope.values()].flatMap((scope) => scope.reported.result().map((r) => r.index)));
    if (wanted.has(index)) listed.set(index, f);
  };
  const render = (): SarifBuild => {
    const prefix = prefixOf(result);
    const cloudScopes = [...byScope.keys()].filter((scope) => scope !== 'source').sort();
    let scopes = [...byScope.keys()].sort((a, b) => (scopeRank(a) < scopeRank(b) ? -1 : 1));
    if (scopes.length > SARIF_LIMITS.runsPerFile) {
      // More scopes than GitHub takes runs: the remainder share one run per provider.
      const head = scopes.slice(0, SARIF_LIMITS.runsPerFile - 2);
      for (const scope of scopes.slice(SARIF_LIMITS.runsPerFile - 2)) {
        const merged = `${scope.split('/')[0]!}/others`;
        const others = byScope.get(merged);
        if (others) mergeScope(others, byScope.get(scope)!);
        else {
          const fresh = newScope(perRun);
          mergeScope(fresh, byScope.get(scope)!);
          byScope.set(merged, fresh);
        }
        byScope.delete(scope);
      }
      scopes = [...new Set([...head, ...[...byScope.keys()].filter((s) => s.endsWith('/others'))])];
    }
    const build = (keep: number): { log: SarifLog; omitted: { scope: string; count: number }[] } => {
      const runs = scopes.map((scope) => ({ scope, ...buildRun(result, scope, byScope.get(scope)!, listed, keep, prefix) }));
      return {
        log: { $schema: SCHEMA_URI, version: '2.1.0', runs: runs.map((r) => r.run) },
        omitted: runs.filter((r) => r.omitted > 0).map((r) => ({ scope: r.scope, count: r.omitted })),
      };
    };
    const fits = (log: SarifLog): boolean => {
      // Deflate never grows its input by more than a few bytes per 64 KB block plus the gzip
      // header: a file whose plain text is already under the limit with that margin needs no
      // compressing to know that it fits.
      let bytes = 0;
      for (const piece of compactPieces(log, 4)) bytes += Buffer.byteLength(piece);
      if (bytes + (bytes >> 10) + 1024 <= maxBytes) return true;
      // The text compressed a few megabytes at a time, each part on its own, takes more than the
      // whole compressed at once (each part starts without the matches the earlier parts give);
      // under the limit with a margin, it fits, and the whole text is never built. Else the
      // whole text is compressed.
      if (gzippedInParts(compactPieces(log, 4)) * 1.02 + 1024 <= maxBytes) return true;
      return gzipSync(JSON.stringify(log)).length <= maxBytes;
    };
    let built = build(perRun);
    // The log holds what it shows of the findings: they are let go once it is built.
    if (fits(built.log)) {
      listed.clear();
      return { ...built, cloudScopes };
    }
    // Too big: find the largest per-run count that fits, keeping the most severe of each run.
    let low = 0;
    let high = Math.min(perRun, Math.max(...scopes.map((s) => byScope.get(s)!.count)));
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (fits(build(mid).log)) low = mid;
      else high = mid - 1;
    }
    built = build(low);
    listed.clear();
    return { ...built, cloudScopes };
  };
  return { visitor: { finding, findingAgain }, render };
};

export const buildSarif = (result: ResultDocument, options: SarifOptions = {}): SarifBuild => buildFrom(result, (head) => startSarif(head, options));

/** The sum of the gzipped sizes of the text's parts of about 4 MB, each compressed on its own. */
const gzippedInParts = (pieces: Iterable<string>): number => {
  let total = 0;
  let part: string[] = [];
  let length = 0;
  const flush = (): void => {
    total += gzipSync(part.join('')).length;
    part = [];
    length = 0;
  };
  for (const piece of pieces) {
    part.push(piece);
    length += piece.length;
    if (length >= 1 << 22) flush();
  }
  if (length > 0) flush();
  return total;
};

/** The SARIF file as written to report.sarif. */
export const sarifText = (build: SarifBuild): string => `${JSON.stringify(build.log, null, 2)}\n`;

/** sarifText in pieces, a group of results at a time. */
export function* sarifPieces(build: SarifBuild): Generator<string> {
  yield* jsonPieces(build.log, 4);
  yield '\n';
}

export const renderSarif = (result: ResultDocument, options: SarifOptions = {}): string => sarifText(buildSarif(result, options));
