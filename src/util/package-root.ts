import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The installed package's root (both src/ and dist/ sit one level below it). */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

export const toolInfo = (): { name: string; version: string } => {
  const pkg = JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string };
  return { name: 'posture', version: pkg.version };
};
