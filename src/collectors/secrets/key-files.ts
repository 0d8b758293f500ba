import path from 'node:path';

/** Key material that is a file of its own, recognised by its name or type. */
export type KeyFileFormat = 'pkcs12' | 'java-keystore' | 'pem-private-key' | 'ssh-private-key' | 'putty-private-key' | 'npmrc-auth-token';

/** One piece of key material in a key file: the value to fingerprint and where it starts. */
export type KeyFileHit = {
  format: KeyFileFormat;
  /** The key material: text for text formats, the whole file for binary ones. */
  value: string | Buffer;
  /** Offset range in the text, for text formats (to drop secretlint's report of the same key). */
  range?: [number, number];
  line: number;
  column?: number;
  preview: string;
};

const BINARY_FORMATS: Readonly<Record<string, KeyFileFormat>> = {
  '.p12': 'pkcs12',
  '.pfx': 'pkcs12',
  '.jks': 'java-keystore',
  '.jceks': 'java-keystore',
  '.keystore': 'java-keystore',
  '.bks': 'java-keystore',
};

const TEXT_KEY_EXTENSIONS = new Set(['.pem', '.key', '.ppk']);
const SSH_KEY_NAMES = /^id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?$/;

/** How a file is treated by name: a binary keystore, a text file that may hold a key, or neither. */
export const keyFileKind = (relativePath: string): 'binary' | 'text' | undefined => {
  const base = path.posix.basename(relativePath);
  const ext = path.posix.extname(base).toLowerCase();
  if (ext in BINARY_FORMATS) return 'binary';
  if (TEXT_KEY_EXTENSIONS.has(ext) || SSH_KEY_NAMES.test(base) || base === '.npmrc') return 'text';
  return undefined;
};

const lineAt = (text: string, offset: number): { line: number; column: number } => {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
};

const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]{0,40}?)PRIVATE KEY-----[\s\S]{0,20000}?-----END [A-Z0-9 ]{0,40}?PRIVATE KEY-----/g;
const NPMRC_AUTH = /^[ \t]*(?:[^\s=#;]*:)?(?:_authToken|_auth|_password)[ \t]*=[ \t]*(.*?)[ \t]*$/gm;

/**
 * Finds key material committed as a file: PKCS#12 and Java keystores by extension (binary; the
 * whole file is the key, reported at line 1), PEM, SSH and PuTTY private keys in `*.pem`, `*.key`,
 * `*.ppk` and `id_*` files (a `.pem` holding only a certificate is public and not reported), and
 * literal auth tokens in `.npmrc` (a `${NPM_TOKEN}` reference is how it should be done).
 */
export const findKeyMaterial = (relativePath: string, content: Buffer): KeyFileHit[] => {
  const base = path.posix.basename(relativePath);
  const ext = path.posix.extname(base).toLowerCase();
  const binary = BINARY_FORMATS[ext];
  if (binary) {
    return content.length === 0 ? [] : [{ format: binary, value: content, line: 1, preview: `${binary === 'pkcs12' ? 'PKCS#12' : 'Java keystore'} file (${content.length} bytes)` }];
  }
  const text = content.toString('utf8');
  const hits: KeyFileHit[] = [];
  if (base === '.npmrc') {
    for (const match of text.matchAll(NPMRC_AUTH)) {
      const raw = (match[1] ?? '').replace(/^["']|["']$/g, '');
      if (raw === '' || /^\$\{[^}]+\}$/.test(raw)) continue;
      const start = match.index + match[0].indexOf(match[1] as string);
      hits.push({ format: 'npmrc-auth-token', value: raw, range: [start, start + (match[1] as string).length], ...lineAt(text, start), preview: `npm auth token (${raw.length} chars)` });
    }
    return hits;
  }
  if (ext === '.ppk' && text.startsWith('PuTTY-User-Key-File-')) {
    return [{ format: 'putty-private-key', value: text, range: [0, text.length], line: 1, column: 1, preview: `PuTTY private key (${text.length} chars)` }];
  }
  for (const match of text.matchAll(PRIVATE_KEY_BLOCK)) {
    const algorithm = (match[1] ?? '').trim();
    const format: KeyFileFormat = algorithm === 'OPENSSH' || SSH_KEY_NAMES.test(base) ? 'ssh-private-key' : 'pem-private-key';
    hits.push({
      format,
      value: match[0],
      range: [match.index, match.index + match[0].length],
      ...lineAt(text, match.index),
      preview: `${algorithm ? `${algorithm} ` : ''}private key block (${match[0].length} chars)`,
    });
  }
  return hits;
};
