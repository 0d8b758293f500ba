import type { Finding, ResultDocument, Severity } from '../engine/types.js';
import { MARKDOWN_BYTE_LIMIT } from './markdown.js';
import { repositoryPath } from './sarif.js';
import { annotatableFindings, annotationMessage } from './workflow-commands.js';

/** One annotation as the Checks API takes it (`output.annotations[]` of checks/create and checks/update). */
export type CheckAnnotation = {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  title: string;
  message: string;
  raw_details?: string;
};

/** The `output` object of a check run. */
export type CheckOutput = { title: string; summary: string; text?: string };

export type CheckConclusion = 'success' | 'failure';

/** The Checks API takes at most 50 annotations per request. */
export const CHECK_ANNOTATIONS_PER_REQUEST = 50;

/** GitHub's limits on a check run's output: 65,535 characters for summary and text, 64 KB per annotation field. */
export const CHECK_LIMITS = { summaryChars: 65_535, titleChars: 255, annotationChars: 64 * 1024 - 1 } as const;

const LEVEL: Record<Severity, CheckAnnotation['annotation_level']> = { critical: 'failure', high: 'failure', medium: 'warning', low: 'notice', info: 'notice' };

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);

/** The annotation of one failing finding at its file and line. */
export const checkAnnotation = (result: ResultDocument, finding: Finding): CheckAnnotation => {
  const line = finding.location?.line ?? 1;
  const details = [
    `Rule: ${finding.ruleId} (${finding.severity}); CSF ${finding.csf.subcategories.join(', ')}${finding.threats.length ? `; STRIDE ${finding.threats.join(', ')}` : ''}`,
    `Resource: ${finding.resource.id}`,
    `Fingerprint: ${finding.fingerprint}`,
    ...(finding.firstSeen ? [`First seen: ${finding.firstSeen}`] : []),
    ...(finding.suppression ? [`Suppression by ${finding.suppression.owner} expired on ${finding.suppression.expires} (${finding.suppression.source})`] : []),
  ].join('\n');
  return {
    path: repositoryPath(result, finding.location!.path),
    start_line: line,
    end_line: line,
    annotation_level: LEVEL[finding.severity],
    title: clip(`${finding.severity.toUpperCase()} ${finding.ruleId}: ${finding.title}`, CHECK_LIMITS.titleChars),
    message: clip(annotationMessage(finding), CHECK_LIMITS.annotationChars),
    raw_details: clip(details, CHECK_LIMITS.annotationChars),
  };
};

/** Annotations for every failing finding that has a file location, most severe first. */
export const checkAnnotations = (result: ResultDocument): CheckAnnotation[] => annotatableFindings(result).map((finding) => checkAnnotation(result, finding));

/** Splits annotations into the batches the Checks API accepts. */
export const annotationBatches = <T>(annotations: T[], size = CHECK_ANNOTATIONS_PER_REQUEST): T[][] => {
  const batches: T[][] = [];
  for (let i = 0; i < annotations.length; i += size) batches.push(annotations.slice(i, i + size));
  return batches.length > 0 ? batches : [[]];
};

/** `failure` when the exit code would be 1 (failing findings) or 3 (incomplete scan), else `success`. */
export const checkConclusion = (exitCode: number): CheckConclusion => (exitCode === 1 || exitCode === 3 ? 'failure' : 'success');

/**
 * The check run's title and summary: the gating decision first, then the Markdown report cut to
 * the Checks API's limit.
 */
export const checkOutput = (result: ResultDocument, decision: { code: number; reasons: string[] }, markdown: string): CheckOutput => {
  const fails = result.summary.byStatus.fail;
  const bySeverity = (['critical', 'high', 'medium', 'low', 'info'] as const).filter((s) => result.summary.bySeverity[s] > 0).map((s) => `${result.summary.bySeverity[s]} ${s}`);
  const newCount = result.baseline ? `, ${result.baseline.counts.new} new since the baseline` : '';
  const title = clip(
    decision.code === 3
      ? `Incomplete scan: ${decision.reasons[0] ?? 'a source could not be read'}`
      : `${fails} failing finding(s)${bySeverity.length ? ` (${bySeverity.join(', ')})` : ''}${newCount}`,
    CHECK_LIMITS.titleChars,
  );
  const verdict = decision.reasons.length ? decision.reasons.map((r) => `- ${r}`).join('\n') : '- nothing at or above the threshold fails';
  const head = `**Gate: ${checkConclusion(decision.code)}** (exit code ${decision.code})\n\n${verdict}\n\n`;
  const room = Math.min(CHECK_LIMITS.summaryChars, MARKDOWN_BYTE_LIMIT + 4000) - head.length;
  const body = markdown.length <= room ? markdown : `${markdown.slice(0, room - 120).replace(/\n[^\n]*$/, '')}\n\n**Cut to fit the check run: see report.md.**\n`;
  return { title, summary: `${head}${body}` };
};
