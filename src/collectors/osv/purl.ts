/** The purl type of each OSV ecosystem (https://github.com/package-url/purl-spec). */
const PURL_TYPES: Readonly<Record<string, string>> = {
  npm: 'npm',
  PyPI: 'pypi',
  Go: 'golang',
  'crates.io': 'cargo',
  Maven: 'maven',
  RubyGems: 'gem',
  Packagist: 'composer',
  NuGet: 'nuget',
  Pub: 'pub',
  Hex: 'hex',
  CRAN: 'cran',
  Hackage: 'hackage',
  SwiftURL: 'swift',
  'GitHub Actions': 'github',
  Debian: 'deb',
  Ubuntu: 'deb',
  Alpine: 'apk',
  ConanCenter: 'conan',
};

const encode = (segment: string): string => encodeURIComponent(segment).replace(/%3A/gi, ':');

/**
 * A package URL: `pkg:npm/lodash@4.17.15`, `pkg:npm/%40babel/core@7.0.0`,
 * `pkg:golang/github.com/gogo/protobuf@1.3.1`, `pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1`.
 * Ecosystems without a purl type become `pkg:generic/...`.
 */
export const purlOf = (ecosystem: string, name: string, version: string): string => {
  const base = ecosystem.split(':')[0] ?? ecosystem;
  const type = PURL_TYPES[base] ?? 'generic';
  let path: string;
  if (type === 'maven') path = name.split(':').map(encode).join('/');
  else if (type === 'pypi') path = encode(name.toLowerCase().replace(/[-_.]+/g, '-'));
  else if (type === 'npm' || type === 'golang' || type === 'composer' || type === 'github' || type === 'swift') path = name.split('/').map(encode).join('/');
  else path = encode(name);
  return `pkg:${type}/${path}${version ? `@${encode(version)}` : ''}`;
};
