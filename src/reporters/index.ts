import type { ResultDocument } from '../engine/types.js';
import { startThreatSummaryMarkdown } from '../threat-model/markdown.js';
import { escapeMarkdown } from './escape.js';
import { startHtml } from './html.js';
import { startMarkdown } from './markdown.js';
import { sarifPieces, sarifText, startSarif, type SarifBuild } from './sarif.js';
import { buildFrom, type ReportBuild, type ResultHead } from './visit.js';

export type OutputFormat = 'json' | 'md' | 'html' | 'sarif';

/**
 * A report being gathered. SARIF's also gives its log, which publishing checks before it is
 * written, and its text in pieces (`pieces`): at scale it is longer than a string is best held.
 */
export type StartedReport = ReportBuild & { sarif?: () => SarifBuild; pieces?: () => Iterable<string> };

/**
 * One output file. The result document itself (`json`) is written by serialising the result; every
 * other format is started on the result's head, shown its long arrays, and rendered.
 */
export type Reporter = {
  format: OutputFormat;
  /** The file name inside the output directory. */
  file: string;
  description: string;
  start?: (head: ResultHead) => StartedReport;
};

const startSarifReport = (head: ResultHead): StartedReport => {
  const build = startSarif(head);
  let built: SarifBuild | undefined;
  const sarif = (): SarifBuild => (built ??= build.render());
  return { visitor: build.visitor, render: () => sarifText(sarif()), sarif, pieces: () => sarifPieces(sarif()) };
};

/** The explicit registry of output formats. */
export const reporterRegistry = (): Reporter[] => [
  { format: 'json', file: 'result.json', description: 'the result document (schemas/result.schema.json)' },
  {
    format: 'md',
    file: 'report.md',
    description: 'Markdown report sized for a GitHub step summary or PR comment',
    start: (head) => startMarkdown(head, { extra: [startThreatSummaryMarkdown(head, escapeMarkdown)] }),
  },
  { format: 'html', file: 'report.html', description: 'self-contained HTML threat-model report for reviewers', start: (head) => startHtml(head) },
  { format: 'sarif', file: 'report.sarif', description: 'SARIF 2.1.0 for GitHub code scanning, one run per scope', start: startSarifReport },
];

export const DEFAULT_FORMATS: OutputFormat[] = ['json', 'md', 'html'];

/** One format of an in-memory result as one string (the result document as `JSON.stringify` writes it). */
export const renderReport = (reporter: Reporter, result: ResultDocument): string =>
  reporter.start ? buildFrom(result, reporter.start) : `${JSON.stringify(result, null, 2)}\n`;
