import { IAM_ACTIONS } from '../../src/aws/iam-actions.js';
import { scanDemo, statusMap, changes } from './support.js';
describe('probe', () => {
  it('runs', async () => {
    const base = await scanDemo({ sources: ['aws'] });
    const b = statusMap(base.result);
    console.log([...new Set(base.awsLog.map((c) => `${c.service}.${c.operation}`))]);
    for (const [op, entry] of Object.entries(IAM_ACTIONS)) {
      if (!entry.action || entry.grantedTo) continue;
      const [service, name] = op.split('.') as [string, string];
      const fault = service.startsWith('s3') ? { service: 's3', operation: entry.action.split(':')[1], kind: 'access-denied' as const } : { service, operation: name, kind: 'access-denied' as const };
      const out = await scanDemo({ sources: ['aws'], awsFaults: [fault] });
      const ch = changes(b, statusMap(out.result));
      const gaps = out.facts.sources.flatMap((s) => s.gaps);
      console.log(op, out.awsLog.filter((c) => c.fault).length, ch.length, [...new Set(ch.map((c) => c.to))], [...new Set(ch.map((c) => c.key.split(' ')[0]))], gaps.length, [...new Set(gaps.map((g) => g.permission))], out.facts.sources.map((s) => s.status));
    }
  });
});
