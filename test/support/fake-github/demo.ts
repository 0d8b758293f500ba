import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../src/util/package-root.js';
import { fixturesFromScenario, type Scenario } from './fixtures.js';
import { startFakeGithub, type FakeGithub, type FakeGithubOptions } from './server.js';

/** The demo organisation in fixtures/demo/github/acme-rockets.json. */
export const DEMO_GITHUB_ORG = 'acme-rockets';

/** Reads a scenario file (fixtures/github/*.json, fixtures/demo/github/*.json). */
export const loadScenario = (file: string): Scenario => JSON.parse(readFileSync(path.resolve(packageRoot, file), 'utf8')) as Scenario;

export type DemoGithub = FakeGithub & {
  org: string;
  /** The collector's option values for a scan of the demo organisation (commander's camelCase keys). */
  options: { githubOrg: string[]; githubApiUrl: string };
  /** A token for the fake; it accepts any token, and this one is no secret. */
  env: { POSTURE_GITHUB_TOKEN: string };
};

/**
 * Serves the demo organisation "acme-rockets" on 127.0.0.1 for `npm run demo`: run the `github`
 * source with `options` as its flags (--github-org acme-rockets --github-api-url <url>) and `env`
 * in its environment, then `close()`.
 */
export const startDemoGithub = async (options: FakeGithubOptions = {}): Promise<DemoGithub> => {
  const fake = await startFakeGithub(fixturesFromScenario(loadScenario('fixtures/demo/github/acme-rockets.json')), options);
  return {
    ...fake,
    org: DEMO_GITHUB_ORG,
    options: { githubOrg: [DEMO_GITHUB_ORG], githubApiUrl: fake.url },
    env: { POSTURE_GITHUB_TOKEN: 'posture-demo-token' },
  };
};
