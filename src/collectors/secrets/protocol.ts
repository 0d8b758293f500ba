/** A file for the secretlint worker: its absolute path (rules look at the name) and its text. */
export type WorkerRequest = { id: number; filePath: string; content: string };

/** What the worker found: rule, message id and range only, never the matched text. */
export type WorkerMessage = { ruleId: string; messageId: string; range: [number, number] };

/** The answer to a request; id -1 announces that the worker is ready (or could not start). */
export type WorkerReply = { id: number; messages: WorkerMessage[] } | { id: number; error: string };
