/**
 * Escapes outside text for GitHub-flavoured Markdown: punctuation that would format, `|` that
 * would break a table, `<` and `>` so no raw HTML is ever emitted (GitHub renders `<img>` as an
 * outbound request), and `@mention` / `#123` references broken with a zero-width space so a report
 * cannot ping people or link issues.
 */
export const escapeMarkdown = (text: string): string =>
  text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/(^|[^\w.-])@(?=\w)/g, '$1@\u200b')
    .replace(/(^|[^\w&])#(?=\d)/g, '$1#\u200b');

/**
 * Rule text (titles, remediation) is written by rule authors and may use Markdown code spans and
 * emphasis, but never raw HTML, and it may not mention people or issues either.
 */
export const escapeRuleMarkdown = (text: string): string =>
  text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/(^|[^\w.-])@(?=\w)/g, '$1@\u200b')
    .replace(/(^|[^\w&])#(?=\d)/g, '$1#\u200b');

/**
 * Outside text as a code span, where GitHub shows HTML and Markdown literally. A backtick cannot be
 * escaped inside one, so it is replaced; `|` is escaped because a table row ends at it even there.
 */
export const codeSpan = (text: string): string => `\`${text.replace(/[\r\n]+/g, ' ').replace(/`/g, 'ʼ').replace(/\|/g, '\\|')}\``;
