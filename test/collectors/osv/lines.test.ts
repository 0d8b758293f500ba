import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { declarationLines, knowsLines } from '../../../src/collectors/osv/lines.js';
import { packageRoot } from '../../../src/util/package-root.js';

const lockfile = (relative: string): { name: string; text: string } => ({
  name: path.basename(relative),
  text: readFileSync(path.join(packageRoot, 'fixtures/osv', relative), 'utf8'),
});

/** The line of the first line of `text` that contains `needle` (what a reader would point at). */
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('osv: declaration lines in lockfiles', () => {
  const cases: { file: string; ecosystem: string; packages: [string, string, string][] }[] = [
    {
      file: 'lockfiles/npm-v3/package-lock.json',
      ecosystem: 'npm',
      packages: [
        ['lodash', '4.17.15', '"node_modules/lodash": {'],
        ['lodash', '3.10.1', '"node_modules/old-thing/node_modules/lodash": {'],
        ['@babel/core', '7.0.0', '"node_modules/@babel/core": {'],
      ],
    },
    { file: 'lockfiles/npm-v1/package-lock.json', ecosystem: 'npm', packages: [['minimist', '1.2.5', '"minimist": {']] },
    {
      file: 'lockfiles/yarn-classic/yarn.lock',
      ecosystem: 'npm',
      packages: [
        ['lodash', '4.17.15', 'lodash@^4.17.4, lodash@^4.17.15:'],
        ['lodash', '3.10.1', 'lodash@^3.10.0:'],
        ['@babel/core', '7.0.0', '"@babel/core@^7.0.0":'],
      ],
    },
    { file: 'lockfiles/yarn-berry/yarn.lock', ecosystem: 'npm', packages: [['qs', '6.5.2', '"qs@npm:^6.5.2":']] },
    { file: 'lockfiles/pnpm-v6/pnpm-lock.yaml', ecosystem: 'npm', packages: [['axios', '1.6.0', '/axios@1.6.0:'], ['follow-redirects', '1.15.3', '/follow-redirects@1.15.3:']] },
    { file: 'lockfiles/pnpm-v9/pnpm-lock.yaml', ecosystem: 'npm', packages: [['semver', '7.5.1', '  semver@7.5.1:']] },
    { file: 'lockfiles/go/go.mod', ecosystem: 'Go', packages: [['golang.org/x/net', '0.10.0', 'require golang.org/x/net'], ['github.com/google/uuid', '1.3.0', 'github.com/google/uuid'], ['stdlib', '1.21.0', 'go 1.21.0']] },
    { file: 'trees/vuln-results-a/sub-rust-project/Cargo.lock', ecosystem: 'crates.io', packages: [['regex', '1.5.1', 'name = "regex"']] },
    { file: 'lockfiles/python/requirements.txt', ecosystem: 'PyPI', packages: [['requests', '2.30.0', 'Requests[socks]'], ['urllib3', '1.26.5', 'urllib3==']] },
    { file: 'lockfiles/poetry/poetry.lock', ecosystem: 'PyPI', packages: [['urllib3', '2.0.3', 'name = "urllib3"']] },
    { file: 'lockfiles/pipenv/Pipfile.lock', ecosystem: 'PyPI', packages: [['requests', '2.30.0', '"requests": {']] },
    { file: 'lockfiles/ruby/Gemfile.lock', ecosystem: 'RubyGems', packages: [['rack', '2.2.3', '    rack (2.2.3)'], ['nokogiri', '1.13.9', 'nokogiri (1.13.9-x86_64-linux)']] },
    { file: 'lockfiles/php/composer.lock', ecosystem: 'Packagist', packages: [['guzzlehttp/guzzle', '7.4.4', '"name": "guzzlehttp/guzzle"']] },
    { file: 'lockfiles/gradle/gradle.lockfile', ecosystem: 'Maven', packages: [['org.apache.logging.log4j:log4j-core', '2.14.1', 'log4j-core:2.14.1']] },
    { file: 'lockfiles/nuget/packages.lock.json', ecosystem: 'NuGet', packages: [['Newtonsoft.Json', '12.0.1', '"Newtonsoft.Json": {']] },
  ];
  for (const { file, ecosystem, packages } of cases) {
    it(`finds each package's line in ${file}`, () => {
      const { name, text } = lockfile(file);
      assert.ok(knowsLines(name), `${name} is a known format`);
      const lines = declarationLines(name, text, packages.map(([n, version]) => ({ name: n, version, ecosystem })));
      for (const [n, version, needle] of packages) {
        const expected = lineOf(text, needle);
        assert.ok(expected > 0, `fixture has ${needle}`);
        assert.equal(lines.get(`${n}@${version}`), expected, `${n}@${version}`);
      }
    });
  }

  it('leaves out a package whose version the lockfile does not declare, rather than guessing', () => {
    const { name, text } = lockfile('lockfiles/npm-v3/package-lock.json');
    const lines = declarationLines(name, text, [{ name: 'lodash', version: '4.17.21', ecosystem: 'npm' }]);
    assert.equal(lines.size, 0);
  });

  it('does not place a go.mod package on a commented or replace line', () => {
    const { name, text } = lockfile('lockfiles/go/go.mod');
    const lines = declarationLines(name, text, [{ name: 'golang.org/x/net', version: '0.10.0', ecosystem: 'Go' }]);
    assert.equal(lines.get('golang.org/x/net@0.10.0'), 5);
  });

  it('knows no lines for formats it does not read (an SBOM)', () => {
    assert.equal(knowsLines('bom.cdx.json'), false);
    assert.equal(declarationLines('bom.cdx.json', '{}', [{ name: 'x', version: '1', ecosystem: 'npm' }]).size, 0);
  });
});
