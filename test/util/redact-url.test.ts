import assert from 'node:assert/strict';
import { urlCredentialSpans } from '../../src/util/redact.js';

// The pattern the one-pass scan replaces; the scan must find exactly what it finds.
const PATTERN = /(?<=\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]{1,256}:)[^\s/@]{1,256}(?=@)/gi;
const byPattern = (text: string): { start: number; end: number }[] =>
  [...text.matchAll(PATTERN)].map((m) => ({ start: m.index, end: m.index + m[0].length }));

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
const random = (seed: number): (() => number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('redactor: URL credentials', () => {
  it('finds the password of a URL with credentials, and nothing in URLs without one', () => {
    const text = 'clone https://deploy:s3cretPass@github.com/o/r and ftp://anon@host and git+ssh://git:tok:en@h/x, mailto:a@b';
    assert.deepEqual(urlCredentialSpans(text).map((s) => text.slice(s.start, s.end)), ['s3cretPass', 'tok:en']);
  });

  it('agrees with the lookbehind pattern on random texts made of URL fragments', () => {
    const next = random(20261205);
    const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)] as T;
    const noise = ['', ' ', 'x', '_', '/', ':', '@', '\n', '\u00a0', 'é', 'a://', '://'];
    const schemes = ['https', 'git+ssh', 'S3', 'a.b-c', '9x', '_a', '+x', 'xé', ''];
    const users = ['u', 'deploy', 'a b', 'x/y', 'é', '', 'w'.repeat(256), 'w'.repeat(257)];
    const passwords = ['p', 'tok:en', 'pa ss', 'p/w', 'é', '', 'p'.repeat(256), 'p'.repeat(257)];
    let matched = 0;
    for (let round = 0; round < 5000; round++) {
      let text = '';
      const urls = 1 + Math.floor(next() * 3);
      for (let i = 0; i < urls; i++) {
        text += `${pick(noise)}${pick(schemes)}${next() < 0.9 ? '://' : ':/'}${pick(users)}${next() < 0.9 ? ':' : ''}${pick(passwords)}${next() < 0.9 ? '@' : ''}${pick(noise)}`;
      }
      const expected = byPattern(text);
      matched += expected.length;
      assert.deepEqual(urlCredentialSpans(text), expected, JSON.stringify(text));
    }
    assert.ok(matched > 1000, `the texts exercised matches (${matched})`);
  });
});
