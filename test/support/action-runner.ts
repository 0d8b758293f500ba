import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';

/**
 * A small stand-in for the Actions runner, enough to run a composite action's steps locally: it
 * evaluates `${{ }}` expressions and `if:` conditions (the operators, functions and contexts the
 * action uses), runs `run:` steps with bash exactly as the runner does (`bash --noprofile --norc
 * -eo pipefail`, step env, $GITHUB_OUTPUT), and hands `uses:` steps to handlers the test provides
 * (the real actions download code and talk to GitHub's services, which a test cannot).
 */

export type ActionStep = {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  'working-directory'?: string;
};

export type ActionFile = {
  inputs?: Record<string, { default?: string; required?: boolean }>;
  outputs?: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
};

type Value = string | number | boolean | null | undefined | Record<string, unknown>;

export type StepResult = { step: ActionStep; outcome: 'success' | 'failure' | 'skipped'; reason?: string; exitCode?: number; stdout: string; stderr: string };

export type UsesHandler = (step: ActionStep, input: Record<string, string>, context: RunContext) => Promise<{ outputs?: Record<string, string>; ok?: boolean }>;

export type RunContext = {
  inputs: Record<string, string>;
  github: Record<string, unknown>;
  runner: { temp: string; os: string };
  steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }>;
  env: Record<string, string>;
};

export type RunOptions = {
  action: string;
  actionPath: string;
  workspace: string;
  inputs: Record<string, string>;
  github: Record<string, unknown>;
  runnerTemp: string;
  /** The GITHUB_* variables of the job (API URL, event path, repository, ...). */
  env: Record<string, string>;
  uses: Record<string, UsesHandler>;
  /** Steps not to run, with the reason (by id). */
  skip?: Record<string, string>;
};

// ------------------------------------------------------------------------------------------------
// Expressions

type Token = { type: 'op' | 'str' | 'num' | 'id' | 'punct'; value: string };

const tokenize = (text: string): Token[] => {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      while (i < text.length) {
        if (text[i] === "'" && text[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (text[i] === "'") break;
        else value += text[i++];
      }
      i++;
      tokens.push({ type: 'str', value });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9.]+/.exec(text.slice(i))![0];
      tokens.push({ type: 'num', value: m });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(text.slice(i))![0];
      tokens.push({ type: 'id', value: m });
      i += m.length;
    } else {
      const two = text.slice(i, i + 2);
      if (['==', '!=', '&&', '||', '<=', '>='].includes(two)) {
        tokens.push({ type: 'op', value: two });
        i += 2;
      } else if ('!<>'.includes(c)) {
        tokens.push({ type: 'op', value: c });
        i++;
      } else if ('(),'.includes(c)) {
        tokens.push({ type: 'punct', value: c });
        i++;
      } else throw new Error(`unexpected "${c}" in expression ${text}`);
    }
  }
  return tokens;
};

const truthy = (value: Value): boolean => !(value === false || value === 0 || value === '' || value === null || value === undefined || Number.isNaN(value));

const looseEqual = (a: Value, b: Value): boolean => {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b) return a === b;
  const num = (v: Value) => (v === null || v === undefined ? 0 : typeof v === 'boolean' ? Number(v) : typeof v === 'string' ? (v.trim() === '' ? 0 : Number(v)) : Number.NaN);
  return num(a) === num(b);
};

const lookup = (context: RunContext, dotted: string): Value => {
  let current: unknown = context;
  for (const part of dotted.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current as Value;
};

/** Evaluates one expression (the text inside `${{ }}` or an `if:`). */
export const evaluateExpression = (text: string, context: RunContext, status: { failed: boolean }): Value => {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = () => tokens[pos++]!;
  const expect = (value: string) => {
    const t = take();
    if (t?.value !== value) throw new Error(`expected ${value} in ${text}`);
  };
  const call = (name: string, args: Value[]): Value => {
    switch (name) {
      case 'always':
        return true;
      case 'success':
        return !status.failed;
      case 'failure':
        return status.failed;
      case 'cancelled':
        return false;
      case 'startsWith':
        return String(args[0] ?? '').toLowerCase().startsWith(String(args[1] ?? '').toLowerCase());
      case 'endsWith':
        return String(args[0] ?? '').toLowerCase().endsWith(String(args[1] ?? '').toLowerCase());
      case 'contains':
        return String(args[0] ?? '').toLowerCase().includes(String(args[1] ?? '').toLowerCase());
      default:
        throw new Error(`function ${name}() is not supported by the test runner`);
    }
  };
  const primary = (): Value => {
    const t = take();
    if (!t) throw new Error(`unexpected end of ${text}`);
    if (t.type === 'str') return t.value;
    if (t.type === 'num') return Number(t.value);
    if (t.type === 'punct' && t.value === '(') {
      const v = or();
      expect(')');
      return v;
    }
    if (t.type === 'op' && t.value === '!') return !truthy(primary());
    if (t.type === 'id') {
      if (t.value === 'true') return true;
      if (t.value === 'false') return false;
      if (t.value === 'null') return null;
      if (peek()?.value === '(') {
        take();
        const args: Value[] = [];
        while (peek()?.value !== ')') {
          args.push(or());
          if (peek()?.value === ',') take();
        }
        take();
        return call(t.value, args);
      }
      return lookup(context, t.value);
    }
    throw new Error(`unexpected ${t.value} in ${text}`);
  };
  const comparison = (): Value => {
    let left = primary();
    while (peek()?.type === 'op' && ['==', '!='].includes(peek()!.value)) {
      const op = take().value;
      const right = primary();
      left = op === '==' ? looseEqual(left, right) : !looseEqual(left, right);
    }
    return left;
  };
  const and = (): Value => {
    let left = comparison();
    while (peek()?.value === '&&') {
      take();
      const right = comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const or = (): Value => {
    let left = and();
    while (peek()?.value === '||') {
      take();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const value = or();
  if (pos !== tokens.length) throw new Error(`trailing tokens in ${text}`);
  return value;
};

/** Replaces every `${{ expr }}` in a string. */
export const interpolate = (text: string, context: RunContext, status: { failed: boolean }): string =>
  text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => {
    const value = evaluateExpression(expr.trim(), context, status);
    return value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  });

const readOutputs = (file: string): Record<string, string> => {
  const outputs: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]!);
      outputs[heredoc[1]!] = body.join('\n');
    } else if (line.includes('=')) outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return outputs;
};

// ------------------------------------------------------------------------------------------------
// Running

/** Runs a composite action's steps in order, as the runner would, and returns each step's result. */
export const runCompositeAction = async (options: RunOptions): Promise<{ results: StepResult[]; outputs: Record<string, string>; failed: boolean }> => {
  const action = parse(readFileSync(options.action, 'utf8')) as ActionFile;
  if (action.runs.using !== 'composite') throw new Error('not a composite action');
  const inputs: Record<string, string> = {};
  const context: RunContext = { inputs, github: options.github, runner: { temp: options.runnerTemp, os: 'Linux' }, steps: {}, env: {} };
  const status = { failed: false };
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    inputs[name] = options.inputs[name] ?? (spec.default !== undefined ? interpolate(spec.default, context, status) : '');
  }
  for (const name of Object.keys(options.inputs)) if (!(name in (action.inputs ?? {}))) throw new Error(`the action has no input "${name}"`);
  const results: StepResult[] = [];
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'posture-runner-'));
  try {
    for (const [index, step] of action.runs.steps.entries()) {
      const condition = step.if ?? 'success()';
      const guarded = /\b(always|success|failure|cancelled)\(/.test(condition) ? condition : `success() && (${condition})`;
      const record = (result: Omit<StepResult, 'step'>) => {
        results.push({ step, ...result });
        if (step.id) context.steps[step.id] = { outputs: context.steps[step.id]?.outputs ?? {}, outcome: result.outcome, conclusion: result.outcome };
      };
      if (step.id && options.skip?.[step.id]) {
        record({ outcome: 'skipped', reason: options.skip[step.id], stdout: '', stderr: '' });
        continue;
      }
      if (!truthy(evaluateExpression(guarded.replace(/^\$\{\{([\s\S]*)\}\}$/, '$1'), context, status))) {
        record({ outcome: 'skipped', reason: `if: ${condition}`, stdout: '', stderr: '' });
        continue;
      }
      const withInputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), context, status)]));
      if (step.uses) {
        const handler = Object.entries(options.uses).find(([prefix]) => step.uses!.startsWith(prefix))?.[1];
        if (!handler) throw new Error(`no handler for uses: ${step.uses}`);
        const { outputs = {}, ok = true } = await handler(step, withInputs, context);
        if (step.id) context.steps[step.id] = { outputs, outcome: ok ? 'success' : 'failure', conclusion: ok ? 'success' : 'failure' };
        results.push({ step, outcome: ok ? 'success' : 'failure', stdout: '', stderr: '' });
        if (!ok) status.failed = true;
        continue;
      }
      if (step.shell !== 'bash') throw new Error(`step ${step.name ?? index}: only bash steps are supported`);
      const outputFile = path.join(scratch, `output-${index}`);
      writeFileSync(outputFile, '');
      const script = path.join(scratch, `step-${index}.sh`);
      writeFileSync(script, step.run ?? '');
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? os.homedir(),
        ...options.env,
        GITHUB_ACTION_PATH: options.actionPath,
        GITHUB_WORKSPACE: options.workspace,
        RUNNER_TEMP: options.runnerTemp,
        GITHUB_OUTPUT: outputFile,
        ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(String(v), context, status)])),
      };
      const cwd = step['working-directory'] ? path.resolve(options.workspace, interpolate(step['working-directory'], context, status)) : options.workspace;
      mkdirSync(cwd, { recursive: true });
      const run = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, extendEnv: false, reject: false, timeout: 120_000 });
      const outcome = run.exitCode === 0 ? 'success' : 'failure';
      if (step.id) context.steps[step.id] = { outputs: readOutputs(outputFile), outcome, conclusion: outcome };
      results.push({ step, outcome, exitCode: run.exitCode ?? -1, stdout: run.stdout, stderr: run.stderr });
      if (outcome === 'failure') status.failed = true;
    }
    const outputs = Object.fromEntries(Object.entries(action.outputs ?? {}).map(([name, spec]) => [name, interpolate(spec.value, context, status)]));
    return { results, outputs, failed: status.failed };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
};
