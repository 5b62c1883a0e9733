// The kiosk's HTTP API. Every answer is {ok, status, data, problem}; a network failure (kioskd
// restarting or down) throws Unreachable so the app can show the recovery screen.
export class Unreachable extends Error {}

export async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new Unreachable(`${method} ${path}: ${e.message}`);
  }
  const type = response.headers.get('content-type') || '';
  let data = null;
  if (type.includes('json')) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (response.ok) return { ok: true, status: response.status, data };
  const problem = data && data.title ? data : { title: null, status: response.status, type: '' };
  problem.code = (problem.type || '').split('/').pop();
  return { ok: false, status: response.status, data: null, problem };
}
