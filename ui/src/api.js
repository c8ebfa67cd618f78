// Calls to the gateway that serves the page (same origin only), with the admin key as a bearer
// token. The key is kept in sessionStorage: gone when the tab closes, never in a URL.

const STORAGE = 'tollbooth.admin_key';

export function savedKey() {
  try {
    return sessionStorage.getItem(STORAGE) ?? '';
  } catch {
    return '';
  }
}

export function saveKey(key) {
  try {
    if (key) sessionStorage.setItem(STORAGE, key);
    else sessionStorage.removeItem(STORAGE);
  } catch {
    // Storage refused (a private window's quota): the key lives only in memory then.
  }
}

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// GET `path` ("/admin/v1/spend?by=team", "/metrics"): the JSON reply, or the text for /metrics.
// Throws ApiError with the gateway's own message (OpenAI's error shape) when it refuses.
export async function get(key, path) {
  let res;
  try {
    res = await fetch(path, {
      headers: { authorization: `Bearer ${key}` },
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, `the gateway did not answer (${e.message})`, 'network');
  }
  const text = await res.text();
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    let code = null;
    try {
      const body = JSON.parse(text);
      if (body?.error?.message) message = body.error.message;
      code = body?.error?.code ?? null;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiError(res.status, message, code);
  }
  return path.startsWith('/metrics') ? text : JSON.parse(text);
}

// The query string of an object, leaving out null and undefined values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, v);
  return q.toString();
}
