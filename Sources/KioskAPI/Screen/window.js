// The window caller (窗口叫号, /window): a staff member signs in at the staff door and at a window,
// then calls, recalls, skips, finishes and pauses there. Chinese only from strings.js.
import { S } from './strings.js';

const $ = (id) => document.getElementById(id);
const state = { token: null, window: null };

async function post(path, body) {
  const answer = await fetch(path, {
    method: 'POST',
    headers: { ...(state.token ? { Authorization: 'Bearer ' + state.token } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await answer.text();
  const json = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new Error((json && json.title) || String(answer.status));
  return { status: answer.status, json };
}

function say(text) { $('message').textContent = text; }

async function act(step, body) {
  try {
    const { status, json } = await post(`/api/v1/windows/${encodeURIComponent(state.window)}/${step}`, body);
    if (status === 204) { $('current').textContent = S.caller.nobody; return; }
    if (json && json.ticket) {
      const reason = json.priorityReason && json.priorityReason !== 'appointment' ? json.priorityReason : null;
      $('current').textContent = S.caller.current(json.ticket) + (reason ? ' ' + S.caller.green(S.caller.greenGround[reason]) : '');
    }
    if (json && 'paused' in json) say(json.paused ? S.caller.paused(json.pauseReason || '') : '');
  } catch (e) {
    say(S.caller.failed(e.message));
  }
}

function start() {
  document.title = S.caller.title;
  $('title').textContent = S.caller.title;
  $('l-account').textContent = S.caller.account;
  $('l-pin').textContent = S.caller.pin;
  $('l-window').textContent = S.caller.windowId;
  $('login-button').textContent = S.caller.login;
  $('l-reason').textContent = S.caller.pauseReason;
  for (const [id, text] of [['call-next', S.caller.callNext], ['recall', S.caller.recall], ['skip', S.caller.skip],
    ['finish', S.caller.finish], ['pause', S.caller.pause], ['resume', S.caller.resume]]) {
    $(id).textContent = text;
  }
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const { json } = await post('/api/v1/staff/login', { account: $('account').value, pin: $('pin').value });
      state.token = json.token;
      state.window = $('window').value;
      await post(`/api/v1/windows/${encodeURIComponent(state.window)}/open`);
      $('pin').value = '';
      $('login').hidden = true;
      $('desk').hidden = false;
      say('');
    } catch (err) {
      say(S.caller.failed(err.message));
    }
  });
  $('call-next').addEventListener('click', () => act('call-next'));
  $('recall').addEventListener('click', () => act('recall'));
  $('skip').addEventListener('click', () => act('skip'));
  $('finish').addEventListener('click', () => act('finish'));
  $('pause').addEventListener('click', () => act('pause', { reason: $('reason').value || S.caller.pause }));
  $('resume').addEventListener('click', () => act('resume'));
}
start();
