// The API client: the key kept in this tab, api() for JSON calls, and spec comparison.

export const KEY_STORE = 'classer.apiKey';
export const apiKey = () => sessionStorage.getItem(KEY_STORE) || '';

// The entry sends the user back to the key gate when the appliance stops accepting the
// key; the hook keeps this module free of the router.
let unauthorized = () => {};
export function onUnauthorized(fn) { unauthorized = fn; }

export class ApiError extends Error {
  constructor(status, body, fallback) {
    super((body && body.message) || fallback || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || '';
    this.field = (body && body.details && body.details.field) || '';
  }
}

export async function api(method, path, body, opts = {}) {
  const headers = { Authorization: `Bearer ${opts.key || apiKey()}` };
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, null, 'The appliance cannot be reached. Is it running?');
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) {
    const err = new ApiError(res.status, data, `${res.status} ${res.statusText}`);
    if (res.status === 401 && !opts.key) {
      sessionStorage.removeItem(KEY_STORE);
      unauthorized('The appliance no longer accepts this key. Paste a valid one.');
    }
    throw err;
  }
  return data;
}
export const enc = encodeURIComponent;
// canon: JSON with object keys sorted, to compare specs whatever order the server keeps.
export function canon(x) {
  if (Array.isArray(x)) return `[${x.map(canon).join(',')}]`;
  if (x && typeof x === 'object') return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canon(x[k])}`).join(',')}}`;
  return JSON.stringify(x === undefined ? null : x);
}
