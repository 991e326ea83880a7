/**
 * What a failed network call was, in words a client may be shown. The socket layer's own text (Node's
 * "connect ECONNREFUSED 10.0.0.3:443", workerd's "internal error; reference = …", TLS library messages) names
 * internal addresses and ids, so callers keep it as the problem's `cause`, which the logs carry.
 */
export type NetFailure = 'timeout' | 'refused' | 'dns' | 'reset' | 'tls' | 'unreachable' | 'lost' | 'failed';

const CODES: Record<string, NetFailure> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_NONAME: 'dns',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
};

const PATTERNS: [RegExp, NetFailure][] = [
  [/ECONNREFUSED|connection refused/i, 'refused'],
  [/ENOTFOUND|EAI_AGAIN|getaddrinfo|DNS/i, 'dns'],
  [/ECONNRESET|EPIPE|socket hang up|connection reset/i, 'reset'],
  [/certificate|\bTLS\b|\bSSL\b|handshake/i, 'tls'],
  [/EHOSTUNREACH|ENETUNREACH|unreachable/i, 'unreachable'],
  [/timed? ?out|ETIMEDOUT/i, 'timeout'],
  [/connection lost/i, 'lost'],
];

const WORDS: Record<NetFailure, string> = {
  timeout: 'no answer in time',
  refused: 'the connection was refused',
  dns: 'the host name did not resolve',
  reset: 'the connection was reset',
  tls: 'the TLS handshake failed',
  unreachable: 'the host is unreachable',
  // workerd says this for a refused connection too
  lost: 'the connection failed or was lost',
  failed: 'the connection failed',
};

/** Reads the error and its causes (Node's fetch puts the socket error in `cause`). */
export function netFailure(e: unknown): NetFailure {
  for (let err = e, depth = 0; err !== undefined && err !== null && depth < 5; err = (err as { cause?: unknown }).cause, depth++) {
    const { name, code, message } = err as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'TimeoutError') return 'timeout';
    if (typeof code === 'string' && CODES[code]) return CODES[code];
    if (typeof code === 'string' && /^(ERR_TLS|CERT_|ERR_SSL|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO)/.test(code)) return 'tls';
    const text = typeof message === 'string' ? message : typeof err === 'string' ? err : '';
    for (const [re, kind] of PATTERNS) if (re.test(text)) return kind;
  }
  return 'failed';
}

export const describeNetFailure = (e: unknown): string => WORDS[netFailure(e)];

/** A URL fit for a message: no user name, password, query or fragment (any may hold a credential). */
export function urlForDisplay(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(an unparseable URL)';
  }
}
