import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { execa } from 'execa';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Microsoft's SARIF validator, the native binary of @microsoft/sarif-multitool. Its npm wrapper
 * runs through a shell that cuts `Gh;Sarif` at the `;`, so the binary is called directly; npm here
 * runs no install scripts, so its run bit is set first (scripts/setup.js does the same).
 */
export const MULTITOOL = path.join(root, 'node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool');

export type ValidatorResult = { ruleId: string; level: string; message: string };

/**
 * Runs the validator with GitHub's and SARIF's rules and returns what it reported. It exits 0 even
 * when it reports errors, so callers assert on the levels, never on the exit code.
 */
export const runSarifValidator = async (file: string): Promise<ValidatorResult[]> => {
  if (existsSync(MULTITOOL) && (statSync(MULTITOOL).mode & 0o111) === 0) chmodSync(MULTITOOL, 0o755);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'posture-sarif-'));
  const output = path.join(dir, 'v.sarif');
  try {
    const run = await execa(MULTITOOL, ['validate', '--rule-kind', 'Gh;Sarif', '--output', output, file], { reject: false, timeout: 120_000, env: { DOTNET_CLI_TELEMETRY_OPTOUT: '1' } });
    if (!existsSync(output)) throw new Error(`the SARIF validator wrote no output (exit ${run.exitCode}): ${run.stderr || run.stdout}`);
    const log = JSON.parse(readFileSync(output, 'utf8')) as {
      runs: { results?: { ruleId: string; level?: string; message: { text?: string; id?: string; arguments?: string[] } }[] }[];
    };
    return (log.runs[0]?.results ?? []).map((r) => ({
      ruleId: r.ruleId,
      // SARIF's default level is "warning".
      level: r.level ?? 'warning',
      message: r.message.text ?? `${r.message.id ?? ''} ${(r.message.arguments ?? []).join(' | ')}`,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

let schemaValidator: ValidateFunction | undefined;

/**
 * The OASIS SARIF 2.1.0 schema (draft-04) compiled with ajv as draft-07: the root `id` becomes
 * `$id`, the only draft-04 keyword the file uses (see fixtures/sarif/PROVENANCE.md).
 */
export const sarifSchemaValidator = (): ValidateFunction => {
  if (schemaValidator) return schemaValidator;
  const schema = JSON.parse(readFileSync(path.join(root, 'fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
  const { id, $schema: _draft04, ...rest } = schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  schemaValidator = ajv.compile({ ...rest, $id: id as string, $schema: 'http://json-schema.org/draft-07/schema#' });
  return schemaValidator;
};
