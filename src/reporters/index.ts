import type { ResultDocument } from '../engine/types.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';

export type OutputFormat = 'json' | 'md' | 'html' | 'sarif';

export type ReportContext = {
  /** Extra Markdown sections, such as the threat-register summary. */
  markdownSections?: string[];
};

/** A pure renderer of the result document into one output file. */
export type Reporter = {
  format: OutputFormat;
  /** The file name inside the output directory. */
  file: string;
  description: string;
  render: (result: ResultDocument, context: ReportContext) => string;
};

/** The explicit registry of output formats. */
export const reporterRegistry = (): Reporter[] => [
  { format: 'json', file: 'result.json', description: 'the result document (schemas/result.schema.json)', render: (result) => renderJson(result) },
  {
    format: 'md',
    file: 'report.md',
    description: 'Markdown report sized for a GitHub step summary or PR comment',
    render: (result, context) => renderMarkdown(result, { extraSections: context.markdownSections }),
  },
  { format: 'sarif', file: 'report.sarif', description: 'SARIF 2.1.0 for GitHub code scanning, one run per scope', render: (result) => renderSarif(result) },
];

export const DEFAULT_FORMATS: OutputFormat[] = ['json', 'md', 'html'];
