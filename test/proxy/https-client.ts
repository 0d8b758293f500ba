// Run by proxy.test.ts in a child process, because Node reads NODE_EXTRA_CA_CERTS only at start:
// fetches an https URL through the proxy agents (as the AWS SDK's handler uses them) and through
// the proxy-aware fetch (as Octokit uses it), and prints what each got.
import { get } from 'node:https';
import { proxyAgents, proxyFetch } from '../../src/util/proxy.js';

const url = process.argv[2] as string;
const viaAgent = await new Promise<string>((resolve, reject) => {
  const agents = proxyAgents(process.env);
  get(url, { agent: agents?.httpsAgent }, (res) => {
    let body = '';
    res.on('data', (chunk: Buffer) => (body += chunk.toString()));
    res.on('end', () => resolve(`${res.statusCode} ${body}`));
  }).on('error', reject);
});
const response = await (proxyFetch(process.env) ?? fetch)(url);
const viaFetch = `${response.status} ${await response.text()}`;
process.stdout.write(JSON.stringify({ viaAgent, viaFetch }));
