// The one place the console talks to the JSON admin API (docs/admin-api.md). Every
// state-changing request carries the session's CSRF token in X-CSRF-Token; the session itself is
// an HttpOnly cookie the page never sees.

let csrfToken = '';
let onUnauthorized = () => {};

export function setCsrfToken(t) { csrfToken = t || ''; }
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export class ApiError extends Error {
  constructor(status, body) {
    const err = body && body.error;
    super((err && typeof err === 'object' ? err.message : err) || (body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = err && typeof err === 'object' ? err.code : '';
    this.body = body || {};
  }
}

async function call(method, path, body) {
  const headers = {'Accept': 'application/json'};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  const text = await resp.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = {message: text}; }
  }
  if (resp.status === 401 && !path.startsWith('/api/session') && !path.startsWith('/api/login')) onUnauthorized();
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

export const get = (p) => call('GET', p);
export const post = (p, b) => call('POST', p, b === undefined ? {} : b);
export const put = (p, b) => call('PUT', p, b);
export const del = (p) => call('DELETE', p);
export const enc = encodeURIComponent;
