import type { Finding, ResultDocument } from '../engine/types.js';
import type { AssetEntry, RegisterEntry, RiskEntry } from '../threat-model/types.js';

/** The long arrays of a result document, in the order the document holds them. */
export const RESULT_ARRAYS = ['findings', 'assets', 'threatRegister', 'risks'] as const;
export type ResultArray = (typeof RESULT_ARRAYS)[number];

/**
 * A result document without its long arrays: what a report reads whole. Which of the threat-model
 * arrays the result has is kept, as reports show their sections only when it does.
 */
export type ResultHead = Omit<ResultDocument, ResultArray> & { has: { assets: boolean; threatRegister: boolean; risks: boolean } };

/**
 * What a report gathers from a result's long arrays, shown one element at a time in the
 * document's order (findings, assets, register cells, risks), so that a result too large to hold
 * is read as it streams by. A report keeps only what it shows and counts the rest.
 */
export type ResultVisitor = {
  /**
   * The scores of the risks, before the findings: for a report that orders findings by their risk
   * (risks follow findings in the document). Only the fingerprint and the numbers are given.
   */
  riskScore?: (risk: RiskScore) => void;
  finding?: (finding: Finding, index: number) => void;
  asset?: (asset: AssetEntry) => void;
  cell?: (cell: RegisterEntry) => void;
  risk?: (risk: RiskEntry) => void;
  /** The findings once more, after the risks and assets that follow them in the document. */
  findingAgain?: (finding: Finding, index: number) => void;
};

export type RiskScore = Pick<RiskEntry, 'fingerprint' | 'residual' | 'score'>;

/** A report: started on a result's head, fed its arrays, then rendered. */
export type ReportBuild<T = string> = { visitor: ResultVisitor; render: () => T };

export const headOf = (result: ResultDocument): ResultHead => {
  const { findings: _findings, assets, threatRegister, risks, ...rest } = result;
  return { ...rest, has: { assets: assets !== undefined, threatRegister: threatRegister !== undefined, risks: risks !== undefined } };
};

/** One visitor that shows each element to every one of `visitors`, in their order. */
export const combineVisitors = (visitors: ResultVisitor[]): ResultVisitor => {
  const combined: Record<string, (item: never, index: number) => void> = {};
  for (const name of ['riskScore', 'finding', 'asset', 'cell', 'risk', 'findingAgain'] as const) {
    const calls = visitors.map((visitor) => visitor[name]).filter((fn) => fn !== undefined) as ((item: never, index: number) => void)[];
    if (calls.length === 1) combined[name] = calls[0]!;
    else if (calls.length > 1) combined[name] = (item, index) => calls.forEach((fn) => fn(item, index));
  }
  return combined as ResultVisitor;
};

/** Shows a visitor one element of one of the long arrays, as it comes in the document's order. */
export const visitElement = (visitor: ResultVisitor, member: ResultArray, value: unknown, index: number): void => {
  if (member === 'findings') visitor.finding?.(value as Finding, index);
  else if (member === 'assets') visitor.asset?.(value as AssetEntry);
  else if (member === 'threatRegister') visitor.cell?.(value as RegisterEntry);
  else visitor.risk?.(value as RiskEntry);
};

/** Shows an in-memory result to visitors as a streamed one is shown. */
export const visitResult = (result: ResultDocument, visitors: ResultVisitor[]): void => {
  const visitor = combineVisitors(visitors);
  if (visitor.riskScore) for (const risk of result.risks ?? []) visitor.riskScore(risk);
  for (const member of RESULT_ARRAYS) (result[member] ?? []).forEach((value: unknown, index: number) => visitElement(visitor, member, value, index));
  if (visitor.findingAgain) result.findings.forEach((finding, index) => visitor.findingAgain?.(finding, index));
};

/** Renders a report of an in-memory result. */
export const buildFrom = <T>(result: ResultDocument, start: (head: ResultHead) => ReportBuild<T>): T => {
  const build = start(headOf(result));
  visitResult(result, [build.visitor]);
  return build.render();
};

/**
 * The first `limit` of a sequence in the order `compare` gives, ties in the order they came (as a
 * stable sort of the whole sequence, cut to `limit`), holding at most a quarter more than that
 * (or 64 more, for a small limit).
 */
export const createTopK = <T>(limit: number, compare: (a: T, b: T) => number) => {
  let held: T[] = [];
  const cut = (): void => {
    held.sort(compare);
    if (held.length > limit) held = held.slice(0, limit);
  };
  // Once `limit` are held, the last of them: what does not come before it can never be kept.
  let last: T | undefined;
  return {
    add: (item: T): void => {
      if (last !== undefined && compare(item, last) >= 0) return;
      held.push(item);
      if (held.length > limit + Math.max(64, limit >> 2)) {
        cut();
        last = held[limit - 1];
      }
    },
    /** The kept items, in order. */
    result: (): T[] => {
      cut();
      return held;
    },
  };
};
