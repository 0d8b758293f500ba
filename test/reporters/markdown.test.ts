import assert from 'node:assert/strict';
import { renderMarkdown, MARKDOWN_BYTE_LIMIT } from '../../src/reporters/markdown.js';
import { escapeMarkdown } from '../../src/reporters/escape.js';
import { unknown } from '../../src/facts/types.js';
import { bucket, makeResult } from '../support/results.js';

describe('Markdown report', () => {
  const sources = [
    { id: 'aws-s3' as const, status: 'partial' as const, gaps: [{ resource: 'arn:aws:s3:::c', attributes: ['enabled'], reason: 'AccessDenied', permission: 's3:GetEncryptionConfiguration' }], calls: { total: 7, byApi: {} }, durationMs: 5, notes: [] },
  ];

  it('summarises by CSF function, lists failing findings with remediation and what could not be seen', () => {
    const result = makeResult([bucket('a', true), bucket('b', false), bucket('c', unknown('AccessDenied', 's3:GetEncryptionConfiguration'))], { sources, demo: true });
    const text = renderMarkdown(result);
    assert.match(text, /Simulated data/);
    assert.match(text, /\*\*1 failing\*\* \(1 high\), \*\*1 could not be checked\*\*, 1 passing/);
    assert.match(text, /\| Protect \(PR\) \| 1 \| 1 \| 1 \| 0 \| 0 \|/);
    assert.match(text, /\| Respond \(RS\) \| 0 \| 0 \| 0 \| 0 \| 0 \(no rule covers it\) \|/);
    assert.match(text, /### Protect \(PR\)\n\n- \*\*HIGH\*\* `test-rule`: b is not compliant/);
    assert.match(text, /Fix: Make it compliant\./);
    assert.match(text, /The scan was incomplete:\*\* aws-s3 partial/);
    assert.match(text, /needs `s3:GetEncryptionConfiguration`/);
    assert.match(text, /Excluded from the scan \(not checked\): `node_modules\/`/);
  });

  it('escapes outside text: no raw HTML, no table breaks, no mentions or issue references', () => {
    const hostile = '<img src=x onerror=alert(1)> | @octocat #123 [link](http://evil) `code` *bold*';
    const escaped = escapeMarkdown(hostile);
    assert.ok(!escaped.includes('<img'), escaped);
    assert.ok(!/(^|[^\\])\|/.test(escaped), 'an unescaped pipe would break the table');
    assert.ok(!escaped.includes('@octocat'), 'mention not broken');
    assert.ok(!escaped.includes('#123'), 'issue reference not broken');
    assert.ok(!escaped.includes('[link]('), 'link not broken');
    const text = renderMarkdown(makeResult([bucket(hostile, false)]));
    // Inside a code span GitHub shows HTML as text; everywhere else it must be escaped.
    const outsideCode = text.replace(/`[^`]*`/g, '');
    assert.ok(!outsideCode.includes('<img'), 'raw HTML in the report');
    assert.ok(!outsideCode.includes('@octocat'), 'a mention in the report');
    for (const span of text.match(/`[^`]*`/g) ?? []) assert.ok(!/[^\\]\|/.test(span), `unescaped pipe in ${span}`);
  });

  it('stays within the byte limit, keeping the most severe findings and pointing at the full report', () => {
    const resources = Array.from({ length: 3000 }, (_, i) => bucket(`bucket-with-a-long-name-${i}-${'x'.repeat(40)}`, false));
    const text = renderMarkdown(makeResult(resources));
    assert.ok(Buffer.byteLength(text) <= MARKDOWN_BYTE_LIMIT, `${Buffer.byteLength(text)} bytes`);
    assert.match(text, /more failing findings are not shown here/);
    assert.match(text, /## What the scan could not see/, 'coverage must survive the cut');
  });
});

describe('Markdown escaping', () => {
  it('leaves action references and e-mail addresses readable while breaking mentions', () => {
    assert.equal(escapeMarkdown('actions/checkout@v4'), 'actions/checkout@v4');
    assert.equal(escapeMarkdown('security@example.com'), 'security@example.com');
    assert.equal(escapeMarkdown('ping @octocat'), 'ping @\u200boctocat');
    assert.equal(escapeMarkdown('see #12'), 'see #\u200b12');
    assert.ok(!escapeMarkdown('&#60;img&#62;').includes('&#60;'), 'an entity must not survive');
  });
});
