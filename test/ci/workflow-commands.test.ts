import assert from 'node:assert/strict';
import { annotationBatches, checkAnnotations, checkConclusion, checkOutput, CHECK_LIMITS } from '../../src/reporters/github-annotations.js';
import { escapeCommandData, escapeCommandProperty, renderWorkflowCommands, workflowCommand } from '../../src/reporters/workflow-commands.js';
import { ciResources, ciResult } from '../support/ci-results.js';
import { unpinnedWorkflows } from '../support/ci-github.js';

/** What the Actions runner does to a command's data and properties (actions/runner ActionCommand.cs). */
const unescapeData = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

describe('workflow commands and check annotations', () => {
  it('escape %, CR and LF in messages, and also : and , in properties, so that the runner reads them back intact', () => {
    assert.equal(escapeCommandData('100% done\r\nnext: a,b'), '100%25 done%0D%0Anext: a,b');
    assert.equal(escapeCommandProperty('a:b,c%d\n'), 'a%3Ab%2Cc%25d%0A');
    const hostile = 'x::error file=evil::owned,%0A%25\r\n';
    const line = workflowCommand('warning', { file: 'dir/we,ird:name.yml', line: 3, title: hostile }, hostile);
    const match = /^::warning file=([^,]*),line=(\d+),title=([^:]*)::(.*)$/.exec(line);
    assert.ok(match, line);
    assert.equal(unescapeProperty(match[1]!), 'dir/we,ird:name.yml');
    assert.equal(unescapeProperty(match[3]!), hostile);
    assert.equal(unescapeData(match[4]!), hostile);
    assert.ok(!line.includes('\n') && !line.includes('\r'), 'one line');
  });

  it('annotate only failing findings with a location, ten per level, most severe first, then one summary line', () => {
    const result = ciResult({ resources: [...unpinnedWorkflows(25), ...ciResources()] });
    const { lines, omitted, unlocated } = renderWorkflowCommands(result);
    const errors = lines.filter((l) => l.startsWith('::error '));
    const warnings = lines.filter((l) => l.startsWith('::warning '));
    assert.equal(warnings.length, 10);
    assert.equal(omitted.warning, 17, '27 medium findings with a location: 25 + ci.yml + release.yml');
    assert.deepEqual(errors.map((l) => /title=posture (\w+)/.exec(l)![1]), ['critical', 'critical', 'high'], 'critical before high');
    assert.equal(unlocated, result.findings.filter((f) => f.status === 'fail' && !f.location).length);
    assert.ok(unlocated > 0);
    assert.equal(lines.at(-1), `posture: 17 warning annotation(s) not shown (GitHub shows at most 10 per level per step); ${unlocated} failing finding(s) without a file location (cloud and organisation findings) are not annotated; the step summary and report.md list every failing finding.`);
    assert.ok(!lines.some((l) => l.includes('acme-public-assets')), 'suppressed findings are not annotated');
    assert.ok(lines.some((l) => l.startsWith('::warning file=.github/workflows/ci.yml,line=9,')));
  });

  it('prefixes annotation paths with the scanned directory', () => {
    const { lines } = renderWorkflowCommands(ciResult({ path: 'services/api' }));
    assert.ok(lines.some((l) => l.startsWith('::warning file=services/api/.github/workflows/ci.yml,line=9,')), lines.join('\n'));
  });

  it('builds Checks API annotations with levels, other offending lines in the message, and batches of 50', () => {
    const annotations = checkAnnotations(ciResult());
    const ci = annotations.find((a) => a.path === '.github/workflows/ci.yml')!;
    assert.deepEqual([ci.start_line, ci.end_line, ci.annotation_level], [9, 9, 'warning']);
    assert.match(ci.message, /line 17: tj-actions\/changed-files@v45 is not pinned/);
    assert.match(ci.raw_details!, /Fingerprint: [0-9a-f]{64}/);
    assert.equal(annotations.find((a) => a.path === 'config/dev.env')?.annotation_level, 'failure');
    assert.ok(annotations.every((a) => a.title.length <= CHECK_LIMITS.titleChars));
    assert.deepEqual(annotationBatches(Array.from({ length: 120 }, (_, i) => i)).map((b) => b.length), [50, 50, 20]);
    assert.deepEqual(annotationBatches([]), [[]]);
  });

  it('concludes failure for exit codes 1 and 3 only, and sizes the summary for the Checks API', () => {
    assert.deepEqual([0, 1, 2, 3].map(checkConclusion), ['success', 'failure', 'success', 'failure']);
    const output = checkOutput(ciResult(), { code: 1, reasons: ['2 failing'] }, 'x'.repeat(200_000));
    assert.ok(output.summary.length <= CHECK_LIMITS.summaryChars);
    assert.match(output.summary, /Cut to fit the check run/);
    assert.match(output.title, /failing finding\(s\) \(\d+ critical/);
  });
});
