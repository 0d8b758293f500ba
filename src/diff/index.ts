export { applyBaseline, baselineSummary, carryFirstSeen, diffResults, rulesMismatchWarning, type ChangedEntry, type FixedEntry, type ResultDiff } from './compare.js';
export { DIFF_FORMATS, renderDiff, renderDiffJson, renderDiffMarkdown, renderDiffText, type DiffFormat, type DiffMarkdownOptions } from './render.js';
