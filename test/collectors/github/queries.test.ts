import assert from 'node:assert/strict';
import { validate } from '@octokit/graphql-schema';
import * as queries from '../../../src/collectors/github/queries.js';

// The collector's GraphQL documents, checked against GitHub's published schema: a renamed field
// or a wrong argument fails here before it fails against github.com.
describe('github GraphQL documents', () => {
  const documents = Object.entries(queries).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value] as const] : []));

  it('are all found', () => {
    assert.deepEqual(documents.map(([name]) => name).sort(), ['DEPLOY_KEYS_QUERY', 'OUTSIDE_COLLABORATORS_QUERY', 'REPOSITORY_PAGE_QUERY']);
  });

  for (const [name, document] of documents) {
    it(`${name} validates against @octokit/graphql-schema`, () => {
      assert.deepEqual(validate(document).map((e) => e.message), []);
    });
  }

  it('the check rejects a field GitHub does not have', () => {
    const broken = queries.REPOSITORY_PAGE_QUERY.replace('hasVulnerabilityAlertsEnabled', 'vulnerabilityAlertsEnabled');
    assert.match(validate(broken)[0]?.message ?? '', /Cannot query field "vulnerabilityAlertsEnabled" on type "Repository"/);
  });
});
