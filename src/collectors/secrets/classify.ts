import type { Severity } from '../../engine/types.js';
import { isDocumentedExample } from '../../util/redact.js';
import type { WorkerMessage } from './protocol.js';

/** The secret types posture reports; `key-file` is key material committed as a file of its own. */
export type SecretType =
  | 'aws-access-key-id'
  | 'aws-secret-access-key'
  | 'gcp-service-account-key'
  | 'private-key'
  | 'github-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'npm-token'
  | 'openai-api-key'
  | 'anthropic-api-key'
  | 'sendgrid-api-key'
  | 'shopify-token'
  | 'linear-api-key'
  | 'onepassword-token'
  | 'basic-auth-credential'
  | 'database-connection-string'
  | 'generic-credential'
  | 'key-file'
  | 'secret';

/** Cloud keys and private keys open an estate on their own: critical. Service tokens: high. */
export const SEVERITY_BY_TYPE: Readonly<Record<SecretType, Severity>> = {
  'aws-access-key-id': 'critical',
  'aws-secret-access-key': 'critical',
  'gcp-service-account-key': 'critical',
  'private-key': 'critical',
  'key-file': 'critical',
  'github-token': 'high',
  'slack-token': 'high',
  'slack-webhook': 'medium',
  'npm-token': 'high',
  'openai-api-key': 'high',
  'anthropic-api-key': 'high',
  'sendgrid-api-key': 'high',
  'shopify-token': 'high',
  'linear-api-key': 'medium',
  'onepassword-token': 'critical',
  'basic-auth-credential': 'high',
  'database-connection-string': 'high',
  'generic-credential': 'high',
  secret: 'high',
};

/** secretlint's (rule, message id) pairs, mapped to posture's types; `null` means "not a secret". */
const TYPE_BY_MESSAGE: Readonly<Record<string, SecretType | null>> = {
  'aws#AWSAccessKeyID': 'aws-access-key-id',
  'aws#AWSSecretAccessKey': 'aws-secret-access-key',
  // An account id identifies, it does not authenticate.
  'aws#AWSAccountID': null,
  'gcp#PrivateKeyJSON': 'gcp-service-account-key',
  'gcp#PrivateKeyP12': 'gcp-service-account-key',
  'privatekey#PrivateKey': 'private-key',
  'github#GITHUB_TOKEN': 'github-token',
  'npm#PackageJSON_xOauthToken': 'github-token',
  'npm#Npmrc_authToken': 'npm-token',
  'npm#NPM_ACCESS_TOKEN': 'npm-token',
  'slack#SLACK_TOKEN': 'slack-token',
  'slack#IncomingWebhook': 'slack-webhook',
  'openai#OPENAI_TOKEN': 'openai-api-key',
  'anthropic#ANTHROPIC_API_KEY': 'anthropic-api-key',
  'sendgrid#SENDGRID_KEY': 'sendgrid-api-key',
  'shopify#SHOPIFY_KEY': 'shopify-token',
  'linear#LINEAR_API_TOKEN': 'linear-api-key',
  '1password#OPS_TOKEN': 'onepassword-token',
  'basicauth#BasicAuth': 'basic-auth-credential',
  'database-connection-string#MongoDBConnection': 'database-connection-string',
  'database-connection-string#MySQLConnection': 'database-connection-string',
  'database-connection-string#PostgreSQLConnection': 'database-connection-string',
  'pattern#PATTERN': 'generic-credential',
};

const shortRuleId = (ruleId: string): string => ruleId.replace(/^@secretlint\/secretlint-rule-/, '');

/** The type of a secretlint message; `null` for messages that do not report a secret. */
export const typeOf = (message: Pick<WorkerMessage, 'ruleId' | 'messageId'>): SecretType | null => {
  const key = `${shortRuleId(message.ruleId)}#${message.messageId}`;
  return key in TYPE_BY_MESSAGE ? (TYPE_BY_MESSAGE[key] ?? null) : 'secret';
};

/** The detector that found a secret, for the record: `secretlint:<rule>#<message id>`. */
export const detectorOf = (message: Pick<WorkerMessage, 'ruleId' | 'messageId'>): string => `secretlint:${shortRuleId(message.ruleId)}#${message.messageId}`;

const AWS_SECRET_AT = /["']?(?:AWS|aws|Aws)?_?(?:SECRET|secret|Secret)_?(?:ACCESS|access|Access)_?(?:KEY|key|Key)["']?\s*(?::|=>|=)\s*["']?([A-Za-z0-9/+=]{40})/y;

/**
 * The range of the secret value itself. Some secretlint rules report the start of the whole match
 * with the length of the captured value (the AWS secret key, the npm auth token, the x-oauth
 * token), which would fingerprint the wrong characters; those ranges are re-anchored here.
 */
export const valueRange = (content: string, message: WorkerMessage): [number, number] | undefined => {
  const [start, end] = message.range;
  if (!(start >= 0 && end > start && end <= content.length + 64)) return undefined;
  const key = `${shortRuleId(message.ruleId)}#${message.messageId}`;
  if (key === 'aws#AWSSecretAccessKey') {
    AWS_SECRET_AT.lastIndex = start;
    const match = AWS_SECRET_AT.exec(content);
    const value = match?.[1];
    if (!match || !value) return undefined;
    const at = match.index + match[0].lastIndexOf(value);
    return [at, at + value.length];
  }
  if (key === 'npm#Npmrc_authToken') {
    const offset = '_authToken='.length;
    if (content.slice(start, start + offset) !== '_authToken=') return undefined;
    return [start + offset, end + offset];
  }
  if (key === 'npm#PackageJSON_xOauthToken') {
    const scheme = /^https?:\/\//.exec(content.slice(start, start + 8))?.[0];
    if (!scheme) return undefined;
    return [start + scheme.length, end + scheme.length];
  }
  return [start, Math.min(end, content.length)];
};

/** Public prefixes that identify a token's kind and are safe to show. */
const PUBLIC_PREFIXES = [
  'github_pat_', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_',
  'xoxb-', 'xoxp-', 'xoxa-', 'xoxo-', 'xoxr-', 'xoxs-', 'xapp-',
  'AKIA', 'ASIA', 'ABIA', 'ACCA',
  'npm_', 'sk-ant-', 'sk-proj-', 'lin_api_', 'shpat_', 'shpss_', 'shpca_', 'shppa_', 'ops_',
  'https://hooks.slack.com/services/',
];

/** The public prefix a value starts with, if any. */
export const publicPrefixOf = (value: string): string => PUBLIC_PREFIXES.find((prefix) => value.startsWith(prefix)) ?? '';

/**
 * What may be shown of a secret: its known public prefix and its length, nothing else. A private
 * key shows only its header's algorithm.
 */
export const previewOf = (value: string, type: SecretType): string => {
  if (type === 'private-key') {
    const header = /-----BEGIN ([A-Z0-9 ]{0,40}?)PRIVATE KEY/.exec(value)?.[1]?.trim();
    return `${header ? `${header} ` : ''}private key block (${value.length} chars)`;
  }
  const prefix = publicPrefixOf(value);
  return prefix ? `${prefix}... (${value.length} chars)` : `${value.length} chars`;
};

const PLACEHOLDER = /^(?:change_?me|changeit|password|passw0rd|secret|example|sample|dummy|placeholder|redacted|replace_?me|todo|fixme|none|null|undefined|your[_-]?[a-z_-]*|x+|\*+|\.+|-+|_+|test(?:ing)?)$/i;
/** References to a value kept elsewhere, in the syntaxes of shells, templates and languages. */
const REFERENCE = /^(?:\$|%|\{\{|<|@|!|#\{)|\$\{|\{\{|(?:process\.env|os\.environ|getenv|ENV\[|System\.getenv|secrets\.|vault:)/i;
const DOTTED_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;
const CONSTANT_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
/** Lower-case words joined by separators ("npm-token") or in camelCase ("userSecret"): a name. */
const WORDS = /^(?:[a-z]+(?:[-_.][a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+)$/;
/** What follows "secret:" in posture's own `[secret:<type>:<fingerprint>]` markers. */
const REDACTION_MARKER = /^[a-z0-9]+(?:-[a-z0-9]+)*:(?:[0-9a-f]{8}\]?)?$/;

/**
 * Slack's token formats as gitleaks documents them. secretlint's own pattern is looser and also
 * takes documentation placeholders such as `xoxb-your-token`; a token must fit one of these.
 */
const SLACK_FORMATS = [
  /^xoxb-\d{10,13}-\d{10,13}[a-zA-Z0-9-]*$/,
  /^xoxb-\d{8,14}-[a-zA-Z0-9]{18,26}$/,
  /^xox[pe](?:-\d{10,13}){3}-[a-zA-Z0-9-]{28,34}$/,
  /^xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+$/i,
  /^xox[os]-\d+-\d+-\d+-[a-fA-F\d]+$/,
  /^xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48}$/,
];

/** Shannon entropy in bits per character. */
export const entropy = (value: string): number => {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
};

/**
 * Why a detected value is not a finding, or undefined when it is one: documented examples (AWS's
 * AKIAIOSFODNN7EXAMPLE), placeholders and references in the generic detector, and values the
 * configuration allows.
 */
export const dismissal = (value: string, type: SecretType, allow: ((value: string) => boolean)[]): string | undefined => {
  if (isDocumentedExample(value)) return 'documented example value';
  if (allow.some((test) => test(value))) return 'allowed by secrets.allow';
  if (type === 'aws-access-key-id' && entropy(value.slice(4)) < 2.5) return 'low-entropy placeholder';
  if (type === 'slack-token' && !SLACK_FORMATS.some((format) => format.test(value))) return 'not a Slack token format';
  if (type === 'slack-webhook' && entropy(value.split('/').pop() ?? '') < 2.5) return 'low-entropy placeholder';
  if (type === 'generic-credential') {
    if (PLACEHOLDER.test(value)) return 'placeholder';
    if (value.startsWith('-----')) return 'armour header, not a value';
    if (REFERENCE.test(value)) return 'reference to a value kept elsewhere';
    if (DOTTED_IDENTIFIER.test(value) || CONSTANT_NAME.test(value)) return 'expression, not a literal';
    if (REDACTION_MARKER.test(value)) return 'a redaction marker';
    if (entropy(value) < 2.5) return 'low-entropy placeholder';
    if (WORDS.test(value)) return 'a name, not a secret';
  }
  return undefined;
};

/**
 * Reads a `secrets.allow` entry, `/regex/flags`, matched against detected values (test-fixture
 * shapes, placeholders). Literal values are not accepted: that would put secrets in posture.yaml.
 */
export const allowMatcher = (entry: string): ((value: string) => boolean) => {
  const regex = /^\/(.+)\/([imsu]*)$/.exec(entry);
  if (!regex) throw new Error(`secrets.allow entry "${entry}" is not of the form /regex/flags`);
  const pattern = new RegExp(regex[1] as string, regex[2]);
  return (value) => pattern.test(value);
};
