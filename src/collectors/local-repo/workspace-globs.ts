const toRegExp = (pattern: string): RegExp => {
  const clean = pattern.trim().replace(/^\.\//, '').replace(/\/+$/, '');
  let source = '';
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i] as string;
    if (c === '*' && clean[i + 1] === '*') {
      // `a/**` also matches `a` itself, and `**/` any depth including none.
      if (clean[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source.replace(/\/\.\*$/, '(?:/.*)?')}$`);
};

/**
 * Whether a directory (relative to a workspace root) is a member of the workspace, by the
 * root's member globs (npm/yarn/pnpm `workspaces`, Cargo and uv `members`). Patterns starting
 * with `!` exclude, as pnpm reads them.
 */
export const isWorkspaceMember = (relativeDir: string, include: string[], exclude: string[] = []): boolean => {
  const negated = include.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const positive = include.filter((p) => !p.startsWith('!'));
  if (!positive.some((p) => toRegExp(p).test(relativeDir))) return false;
  return ![...negated, ...exclude].some((p) => toRegExp(p).test(relativeDir));
};
