import type { Finding, ResultDocument, Severity } from '../engine/types.js';
import { repositoryPath } from './sarif.js';

/** The levels of GitHub's annotation workflow commands. */
export type WorkflowCommandLevel = 'error' | 'warning' | 'notice';

/** GitHub shows at most this many annotations per level from one step's workflow commands. */
export const WORKFLOW_ANNOTATIONS_PER_LEVEL = 10;

const LEVEL: Record<Severity, WorkflowCommandLevel> = { critical: 'error', high: 'error', medium: 'warning', low: 'notice', info: 'notice' };
const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const LEVELS: WorkflowCommandLevel[] = ['error', 'warning', 'notice'];

/** Escapes a command's message: `%`, CR and LF, as the Actions runner unescapes them. */
export const escapeCommandData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** Escapes a command property value: also `:` and `,`, which would end the value. */
export const escapeCommandProperty = (text: string): string => escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One workflow command line: `::error file=a.yml,line=3,title=t::message`. */
export const workflowCommand = (level: WorkflowCommandLevel, properties: Record<string, string | number | undefined>, message: string): string => {
  const props = Object.entries(properties)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${escapeCommandProperty(String(value))}`)
    .join(',');
  return `::${level}${props ? ` ${props}` : ''}::${escapeCommandData(message)}`;
};

/** Failing findings that have a place in a file, most severe first: the only ones GitHub can annotate. */
export const annotatableFindings = (result: ResultDocument): Finding[] =>
  result.findings
    .filter((f) => f.status === 'fail' && f.location)
    .sort((a, b) => RANK[a.severity] - RANK[b.severity] || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) || (a.location!.path < b.location!.path ? -1 : a.location!.path > b.location!.path ? 1 : 0) || (a.location!.line ?? 0) - (b.location!.line ?? 0));

/** The text of an annotation: the message and the offending places beyond the first. */
export const annotationMessage = (finding: Finding): string => {
  const others = finding.evidence.filter((e) => e.line !== undefined && e.line !== finding.location?.line).slice(0, 10);
  return [finding.message, ...others.map((e) => `line ${e.line}: ${e.detail}`)].join('\n');
};

export type WorkflowCommandsOutput = {
  lines: string[];
  /** Annotatable findings left out because of the per-level limit, by level. */
  omitted: Record<WorkflowCommandLevel, number>;
  /** Failing findings without a file location: never annotated, listed in the step summary. */
  unlocated: number;
};

/**
 * Annotations as workflow commands, for when no check run can be created. GitHub shows at most ten
 * per level per step, so the ten most severe of each level are emitted, then one summary line
 * (plain text, so that it is never the dropped eleventh) says what was left out.
 */
export const renderWorkflowCommands = (result: ResultDocument): WorkflowCommandsOutput => {
  const findings = annotatableFindings(result);
  const lines: string[] = [];
  const omitted: Record<WorkflowCommandLevel, number> = { error: 0, warning: 0, notice: 0 };
  for (const level of LEVELS) {
    const group = findings.filter((f) => LEVEL[f.severity] === level);
    for (const finding of group.slice(0, WORKFLOW_ANNOTATIONS_PER_LEVEL)) {
      lines.push(
        workflowCommand(
          level,
          {
            file: repositoryPath(result, finding.location!.path),
            line: finding.location!.line ?? 1,
            title: `posture ${finding.severity}: ${finding.ruleId}`,
          },
          annotationMessage(finding),
        ),
      );
    }
    omitted[level] = Math.max(0, group.length - WORKFLOW_ANNOTATIONS_PER_LEVEL);
  }
  const unlocated = result.findings.filter((f) => f.status === 'fail' && !f.location).length;
  const left = LEVELS.filter((level) => omitted[level] > 0);
  if (left.length > 0 || unlocated > 0) {
    const parts = [
      ...(left.length > 0
        ? [`${left.map((level) => `${omitted[level]} ${level}`).join(', ')} annotation(s) not shown (GitHub shows at most ${WORKFLOW_ANNOTATIONS_PER_LEVEL} per level per step)`]
        : []),
      ...(unlocated > 0 ? [`${unlocated} failing finding(s) without a file location (cloud and organisation findings) are not annotated`] : []),
    ];
    lines.push(`posture: ${parts.join('; ')}; the step summary and report.md list every failing finding.`);
  }
  return { lines, omitted, unlocated };
};
