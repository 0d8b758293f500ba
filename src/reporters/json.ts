import type { ResultDocument } from '../engine/types.js';

/** The result document as written to result.json. */
export const renderJson = (result: ResultDocument): string => `${JSON.stringify(result, null, 2)}\n`;
