export { startFakeGithub, type FakeGithub, type FakeGithubFault, type FakeGithubFaultKind, type FakeGithubLogEntry, type FakeGithubOptions, type FakeGithubRequest } from './server.js';
export { startDemoGithub, loadScenario, DEMO_GITHUB_ORG, type DemoGithub } from './demo.js';
export { fixturesFromScenario, type FakeGithubFixtures, type Scenario, type ScenarioRepository, type ScenarioOrganization, type ScenarioRuleset } from './fixtures.js';
export { githubSchema } from './graphql.js';
