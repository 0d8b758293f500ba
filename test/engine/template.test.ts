import assert from 'node:assert/strict';
import { compileTemplate, renderTemplate } from '../../src/engine/template.js';

describe('templates', () => {
  const context = {
    name: 'bucket-$&-1',
    attributes: { keys: ['a', 'b'], policy: { Version: '2012-10-17' }, count: 0, on: false, none: null },
    params: { maxAgeDays: 90 },
  };
  const templates = [
    'no placeholders',
    '',
    '{{name}} has {{ attributes.keys }} ({{attributes.count}}, {{attributes.on}}, {{attributes.none}})',
    '{{attributes.policy}} / {{attributes.missing.deeper}} / {{params.maxAgeDays}} days',
    '{{name}}{{name}} {{ bad key }} {{attributes.keys.1}} {{}}',
    'trailing {{name',
  ];
  it('renders a compiled template exactly as renderTemplate does', () => {
    for (const template of templates) assert.equal(compileTemplate(template)(context), renderTemplate(template, context), template);
  });

  it('fills placeholders with plain text and marks what is missing', () => {
    assert.equal(compileTemplate('{{name}}: {{attributes.keys}}; {{attributes.missing}}')(context), 'bucket-$&-1: a, b; ?');
  });
});
