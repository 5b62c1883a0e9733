// The fleet view (终端运行状态, /fleet): every kiosk of the hall, red first, with its last
// heartbeat, problems, paper and predicted restock. Staff sign in at the staff door; the list
// refreshes every 10 s. Chinese only from strings.js.
import { S } from './strings.js';

const $ = (id) => document.getElementById(id);
const state = { token: null, timer: null };

function say(text) { $('message').textContent = text; }

function cell(row, content) {
  const td = document.createElement('td');
  if (Array.isArray(content)) {
    const ul = document.createElement('ul');
    for (const line of content) { const li = document.createElement('li'); li.textContent = line; ul.append(li); }
    td.append(ul);
  } else {
    td.textContent = content;
  }
  row.append(td);
}

function time(iso) { return iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : '—'; }

function render(view) {
  const body = $('kiosks');
  body.replaceChildren();
  for (const k of view.kiosks) {
    const row = document.createElement('tr');
    row.className = k.level;
    cell(row, k.kioskID);
    cell(row, S.fleet.level[k.level] + ' · ' + S.fleet.state[k.state]);
    cell(row, k.state === 'never' ? S.fleet.neverSent : S.fleet.ago(time(k.lastHeartbeatAt), Math.round(k.secondsSinceHeartbeat || 0)));
    cell(row, k.problems.length ? k.problems : [S.fleet.fine]);
    cell(row, k.printers.map((p) => `${p.id}：${p.estimate}`));
    cell(row, k.outboxDepth == null ? '—' : S.fleet.outbox(k.outboxDepth, k.outboxOldestAgeSeconds));
    cell(row, time(k.lastFilingAt));
    cell(row, k.version || '—');
    body.append(row);
  }
  $('updated').textContent = S.fleet.updated(time(view.generatedAt), view.kiosks.length);
}

async function refresh() {
  try {
    const answer = await fetch('/api/v1/staff/hall/fleet', { headers: { Authorization: 'Bearer ' + state.token } });
    const json = await answer.json();
    if (!answer.ok) throw new Error(json.title || String(answer.status));
    render(json);
    say('');
  } catch (e) {
    say(S.fleet.failed(e.message));
  }
}

function start() {
  document.title = S.fleet.title;
  $('title').textContent = S.fleet.title;
  $('l-account').textContent = S.caller.account;
  $('l-pin').textContent = S.caller.pin;
  $('login-button').textContent = S.fleet.login;
  for (const [id, text] of Object.entries(S.fleet.headers)) $(id).textContent = text;
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const answer = await fetch('/api/v1/staff/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ account: $('account').value, pin: $('pin').value }) });
      const json = await answer.json();
      if (!answer.ok) throw new Error(json.title || String(answer.status));
      state.token = json.token;
      $('pin').value = '';
      $('login').hidden = true;
      $('view').hidden = false;
      await refresh();
      state.timer = setInterval(refresh, 10000);
    } catch (err) {
      say(S.fleet.failed(err.message));
    }
  });
}
start();
