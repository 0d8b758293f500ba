/**
 * The glob dialect of suppressions and asset selectors: anchored, case-sensitive, `*` matches any
 * run of characters (slashes and colons included, since resource ids are URLs and ARNs), `?` one
 * character, everything else literal.
 */
export const globToRegExp = (glob: string): RegExp => {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
};

export const globMatcher = (globs: string[]): ((value: string) => boolean) => {
  const patterns = globs.map(globToRegExp);
  return (value) => patterns.some((p) => p.test(value));
};
