import type { ResultDocument } from '../engine/types.js';
import { renderThreatSummaryMarkdown } from '../threat-model/markdown.js';
import { escapeMarkdown } from './escape.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';

export type OutputFormat = 'json' | 'md' | 'html' | 'sarif';

/** A pure renderer of the result document into one output file. */
export type Reporter = {
  format: OutputFormat;
  /** The file name inside the output directory. */
  file: string;
  description: string;
  render: (result: ResultDocument) => string;
};

/** The explicit registry of output formats. */
export const reporterRegistry = (): Reporter[] => [
  { format: 'json', file: 'result.json', description: 'the result document (schemas/result.schema.json)', render: (result) => renderJson(result) },
  {
    format: 'md',
    file: 'report.md',
    description: 'Markdown report sized for a GitHub step summary or PR comment',
    render: (result) => renderMarkdown(result, { extraSections: [renderThreatSummaryMarkdown(result, escapeMarkdown)].filter(Boolean) }),
  },
  { format: 'html', file: 'report.html', description: 'self-contained HTML threat-model report for reviewers', render: (result) => renderHtml(result) },
  { format: 'sarif', file: 'report.sarif', description: 'SARIF 2.1.0 for GitHub code scanning, one run per scope', render: (result) => renderSarif(result) },
];

export const DEFAULT_FORMATS: OutputFormat[] = ['json', 'md', 'html'];
