// The hall display (叫号屏): the tickets being called, per window, and the waiting counts, driven
// by the event stream's `ticketCalled`; each call is spoken in Mandarin (the kiosk's voice route,
// espeak-ng) as many times as the hall's `callRepeat` says. Chinese only from strings.js.
import { S } from './strings.js';

const state = { settings: null, recent: [], spoken: [], queue: Promise.resolve() };
const $ = (id) => document.getElementById(id);

/** The ticket and window as Mandarin says them: 请A零零七号到三号窗口办理. */
export function spokenCall(ticket, window) {
  const digits = '零一二三四五六七八九';
  const ticketWords = [...ticket].map((c) => (c >= '0' && c <= '9' ? digits[Number(c)] : c)).join('');
  const n = Number(window);
  let windowWords = window;
  if (Number.isInteger(n) && n >= 0 && n < 100) {
    windowWords = n < 10 ? digits[n] : (n < 20 ? '十' : digits[Math.floor(n / 10)] + '十') + (n % 10 ? digits[n % 10] : '');
  }
  return S.hall.spoken(ticketWords, windowWords);
}

function show(call) {
  const current = $('current');
  current.dataset.ticket = call.ticket;
  current.dataset.window = call.window;
  $('current-label').textContent = call.recall ? S.hall.recallLabel : S.hall.currentLabel;
  $('current-text').textContent = S.hall.announce(call.ticket, call.window);
  current.classList.remove('flash');
  void current.offsetWidth;
  current.classList.add('flash');
  state.recent = [call, ...state.recent.filter((c) => c.window !== call.window)].slice(0, 8);
  const list = $('recent');
  list.replaceChildren(...state.recent.map((c) => {
    const li = document.createElement('li');
    li.dataset.ticket = c.ticket;
    li.innerHTML = '';
    const t = document.createElement('span'); t.textContent = c.ticket;
    const w = document.createElement('span'); w.textContent = S.hall.window(c.window);
    li.append(t, w);
    return li;
  }));
}

function play(url) {
  return new Promise((resolve) => {
    const audio = new Audio(url);
    audio.addEventListener('ended', resolve, { once: true });
    audio.addEventListener('error', resolve, { once: true });
    audio.play().catch((e) => { console.log('voice not played', e && e.name); resolve(); });
  });
}

function speak(call) {
  if (!state.settings || !state.settings.voicePrompts) return;
  const url = '/api/v1/voice?text=' + encodeURIComponent(spokenCall(call.ticket, call.window));
  state.spoken.push(url);
  const times = Math.max(1, state.settings.callRepeat || 1);
  state.queue = state.queue.then(async () => { for (let i = 0; i < times; i++) await play(url); });
}

async function refreshWaiting() {
  try {
    const answer = await fetch('/api/v1/queue/categories', { cache: 'no-store' });
    if (!answer.ok) throw new Error('status ' + answer.status);
    const categories = await answer.json();
    $('waiting').replaceChildren(...categories.map((c) => {
      const li = document.createElement('li');
      const n = document.createElement('span'); n.textContent = c.name;
      const w = document.createElement('span'); w.textContent = S.hall.waitingCount(c.waiting);
      li.append(n, w);
      return li;
    }));
  } catch (e) {
    console.log('waiting counts not read', String(e));
  }
}

function tick() {
  const d = new Date();
  $('clock').textContent = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

async function start() {
  $('recent-title').textContent = S.hall.recentTitle;
  $('waiting-title').textContent = S.hall.waitingTitle;
  $('current-label').textContent = S.hall.idle;
  try {
    state.settings = await (await fetch('/api/v1/screen/settings', { cache: 'no-store' })).json();
    $('hall-name').textContent = state.settings.hallName;
  } catch (e) {
    console.log('settings not read', String(e));
  }
  const events = new EventSource('/api/v1/events');
  events.addEventListener('ticketCalled', (e) => {
    const call = JSON.parse(e.data);
    show(call);
    speak(call);
  });
  events.addEventListener('open', () => { $('status').textContent = S.hall.connected; $('status').classList.remove('bad'); });
  events.addEventListener('error', () => { $('status').textContent = S.hall.reconnecting; $('status').classList.add('bad'); });
  tick();
  setInterval(tick, 10000);
  refreshWaiting();
  setInterval(refreshWaiting, 5000);
  document.body.dataset.ready = 'true';
}

// For the browser test: the voice URLs this page asked for.
window.hallDisplay = { spoken: () => [...state.spoken] };
start();
