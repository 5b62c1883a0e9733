// The screen's one state machine. The server is the source of truth: a session exists when the
// event stream says a card was read into it (cardInserted) and ends when it says so
// (sessionEnded: the citizen, a timeout or another card). The page keeps nothing personal once a
// session ends: the state is reset, the DOM redrawn, storage and resource timings cleared.
import { S } from './strings.js';
import { api, Unreachable } from './api.js';
import { h, button } from './ui.js';
import * as attract from './screen-attract.js';
import * as services from './screen-services.js';
import * as notice from './screen-notice.js';
import * as materials from './screen-materials.js';
import * as deferral from './screen-deferral.js';
import * as delivery from './screen-delivery.js';
import * as form from './screen-form.js';
import * as submit from './screen-submit.js';
import * as rating from './screen-rating.js';
import * as queue from './screen-queue.js';
import * as problem from './screen-problem.js';
import * as maintenance from './screen-maintenance.js';
import * as recovery from './screen-recovery.js';
import * as supplement from './screen-supplement.js';
import * as agent from './screen-agent.js';

const screens = { attract, services, notice, materials, deferral, form, delivery, printing: submit, done: submit, rating, thanks: rating,
  queue, ticket: queue, problem, maintenance, recovery, supplement, agent };

// Not personal: the catalogue and the kiosk's settings.
const kiosk = { settings: null, items: [], bundles: [], categories: [], greenChannel: { grounds: [], declarable: [] } };

function fresh() {
  return {
    screen: 'attract',
    session: null,          // { id, name } — the masked name only
    guide: null,            // { kind: 'item'|'bundle', code, data }
    draft: null,            // the draft as the API answers it
    selected: null,         // the material being photographed
    refusal: null,          // the quality check's Chinese reason
    busy: false,
    deferred: null,         // 容缺: the materials that may follow
    commitment: false,
    delivery: { mode: 'window', step: 'choose', phone: '', town: null, street: null, community: null, house: '' },
    submitted: null,
    printed: new Map(),     // slipPrinted events by reference
    rating: null,           // { filingNumber|ticket, pad: bool, level, rectification }
    ticket: null,
    declared: null,         // 绿色通道 ground the citizen declared at the ticket screen (disabled|pregnant)
    supplement: null,       // 补交: { step, digits, tail, filings, opened, submitted }
    agent: null,            // 帮办代办: { step, name, digits, view } — the full number only while typed
    problem: null,
    expiring: null,         // sessionExpiring's expiresAt (ms)
    noticeSlip: null,
    tab: 'categories', department: null, keyword: null,
    maintenanceMessage: null,
  };
}

let state = fresh();
let large = false;
let before = null;          // the screen under maintenance/recovery, to resume
let lastTap = 0, lastKeepAlive = 0;
const main = document.getElementById('main');

export function current() { return state; }
export function kioskInfo() { return kiosk; }

export function set(patch) {
  Object.assign(state, patch);
  render();
}

// Forget the citizen: state, page, storage, timings.
export function wipe(screen = 'attract') {
  const keep = { tab: 'categories' };
  state = Object.assign(fresh(), keep, { screen });
  large = false;
  try { localStorage.clear(); sessionStorage.clear(); } catch (e) { console.warn('storage', e); }
  performance.clearResourceTimings();
  render();
  if (screen === 'attract') speak(S.voice.placeCard);
}

// ---- rendering

function render() {
  document.documentElement.classList.toggle('large', large);
  const module = screens[state.screen] || attract;
  if (state.screen !== 'materials') materials.leave();
  const node = module.render(state, actions, kiosk);
  main.replaceChildren(node);
  renderBar();
  renderCountdown();
  document.body.dataset.screen = state.screen;
}

function renderBar() {
  const bar = document.getElementById('bar');
  const now = new Date();
  const clock = `${S.date(now, S.weekdays[now.getDay()])} ${String(now.getHours()).padStart(2, '0')}:${String(now.getMinutes()).padStart(2, '0')}`;
  bar.replaceChildren(...[
    h('div', { class: 'hall' }, h('span', { class: 'emblem', 'aria-hidden': 'true' }, '★'), kiosk.settings?.hallName || S.title),
    h('div', { class: 'clock', id: 'clock' }, clock),
    state.session && state.session.name ? h('div', { class: 'who', id: 'citizen-name' }, S.citizen(state.session.name)) : null,
    button(large ? S.largeOff : S.largeOn, () => { large = !large; render(); },
      { kind: 'toggle', id: 'large-toggle', name: large ? S.largeOffName : S.largeOnName, pressed: large }),
    state.session ? button(S.endSession, () => actions.end(), { kind: 'danger', id: 'end-session' }) : null,
  ].filter(Boolean));
}

function renderCountdown() {
  const overlay = document.getElementById('overlay');
  if (!state.expiring || !state.session) {
    overlay.replaceChildren();
    overlay.hidden = true;
    return;
  }
  const seconds = Math.max(0, Math.ceil((state.expiring - Date.now()) / 1000));
  overlay.hidden = false;
  // Each second only the number changes: the 继续办理 button stays the same element under the finger.
  const shown = document.getElementById('countdown-seconds');
  if (shown) {
    shown.textContent = S.countdown.body(seconds);
    return;
  }
  overlay.replaceChildren(h('div', { class: 'dialog', role: 'alertdialog', 'aria-labelledby': 'countdown-heading', id: 'countdown' },
    h('h2', { id: 'countdown-heading' }, S.countdown.heading),
    h('p', { class: 'countdown-seconds', id: 'countdown-seconds' }, S.countdown.body(seconds)),
    button(S.countdown.stay, () => actions.stay(), { kind: 'primary', id: 'stay' })));
}

setInterval(() => {
  if (state.expiring) renderCountdown();
  const clock = document.getElementById('clock');
  if (clock) {
    const now = new Date();
    clock.textContent = `${S.date(now, S.weekdays[now.getDay()])} ${String(now.getHours()).padStart(2, '0')}:${String(now.getMinutes()).padStart(2, '0')}`;
  }
  // Browsing without a card: back to the attract screen after a minute without a tap.
  if (!state.session && !['attract', 'maintenance', 'recovery'].includes(state.screen) && Date.now() - lastTap > 60000) wipe();
}, 1000);

// ---- voice

let audio = null;
export function speak(text) {
  if (!kiosk.settings?.voicePrompts || !text) return;
  if (!audio) {
    audio = new Audio();
    // How many prompts arrived ready to play (the browser test's probe; headless has no speaker).
    window.__voiceLoaded = 0;
    window.__voiceNotPlayed = 0;
    audio.addEventListener('loadeddata', () => { window.__voiceLoaded += 1; });
  }
  audio.src = `/api/v1/voice?text=${encodeURIComponent(text)}`;
  // A prompt the browser would not play (no speaker, a newer prompt cut it short) is counted, not
  // logged: a console line per prompt, all day, would pile up wherever the console is kept.
  audio.play().catch(() => { window.__voiceNotPlayed += 1; });
}

// ---- talking to kioskd

// Calls the API; network failures go to the recovery screen, maintenance to its screen. Returns
// the answer, or null when the app has moved to one of those screens.
export async function call(method, path, body) {
  try {
    const answer = await api(method, path, body);
    if (!answer.ok && answer.status === 503 && answer.problem.code === 'maintenance') {
      enterMaintenance(answer.problem.title);
      return null;
    }
    return answer;
  } catch (e) {
    if (e instanceof Unreachable) {
      console.warn(e.message);
      enterRecovery();
      return null;
    }
    throw e;
  }
}

function showProblem(p, back) {
  set({ screen: 'problem', problem: { ...p, back }, busy: false });
}

function enterMaintenance(message) {
  if (state.screen !== 'maintenance' && state.screen !== 'recovery') before = state.screen;
  set({ screen: 'maintenance', maintenanceMessage: message || state.maintenanceMessage, expiring: null });
  pollHealth();
}

function enterRecovery() {
  if (state.screen === 'recovery') return;
  if (state.screen !== 'maintenance') before = state.screen;
  set({ screen: 'recovery', expiring: null });
  pollHealth();
}

let polling = false;
async function pollHealth() {
  if (polling) return;
  polling = true;
  while (state.screen === 'maintenance' || state.screen === 'recovery') {
    await new Promise((r) => setTimeout(r, 1000));
    let health = null;
    try {
      const r = await fetch('/api/v1/health', { cache: 'no-store' });
      health = await r.json();
    } catch { health = null; }
    if (!health || health.status === 'starting') continue;
    if (health.maintenance) {
      if (state.screen !== 'maintenance') set({ screen: 'maintenance' });
      continue;
    }
    // EventSource gives up on an answer that is not a stream (e.g. while kioskd starts): reopen it.
    if (!events || events.readyState === EventSource.CLOSED) { if (events) events.close(); connect(); continue; }
    if (events.readyState !== EventSource.OPEN) continue;
    await resume();
  }
  polling = false;
}

// kioskd answers again: reload the catalogue, and carry on with the citizen's session if kioskd
// still has it (a blip), else start over (kioskd restarted: its sessions are gone).
async function resume() {
  if (!(await loadCatalogue())) return;
  if (state.session) {
    const alive = await api('POST', `/api/v1/sessions/${state.session.id}/keepalive`).catch(() => null);
    if (alive && alive.ok) {
      set({ screen: before && !['maintenance', 'recovery'].includes(before) ? before : 'services' });
      return;
    }
  }
  wipe();
}

async function loadCatalogue() {
  const [settings, items, bundles] = await Promise.all([
    call('GET', '/api/v1/screen/settings'), call('GET', '/api/v1/catalog/items'), call('GET', '/api/v1/catalog/bundles')]);
  if (!settings || !items || !bundles) return false;
  if (!settings.ok || !items.ok || !bundles.ok) return false;
  kiosk.settings = settings.data;
  kiosk.items = items.data.filter((i) => i.supportsKiosk);
  kiosk.bundles = bundles.data;
  return true;
}

// ---- the event stream

let events = null;
function connect() {
  events = new EventSource('/api/v1/events');
  const on = (type, f) => events.addEventListener(type, (e) => { try { f(JSON.parse(e.data)); } catch (err) { console.error(type, err); } });
  events.onerror = () => {
    // EventSource retries by itself; if kioskd itself is gone, say so calmly.
    if (state.screen === 'recovery') return;
    fetch('/api/v1/health', { cache: 'no-store' }).then(() => {}, () => enterRecovery());
  };
  on('cardInserted', (d) => {
    if (state.screen === 'maintenance' || state.screen === 'recovery') return;
    markCardSeen();
    if (state.session && state.session.id === d.sessionId) {
      // The card joined this session: its holder's (a session opened for 补交 by number had none), or
      // 帮办代办 the principal's, whom the agent screen reads in.
      if (state.screen === 'agent') return agent.cardRead(state, actions);
      if (!state.session.name) set({ session: { ...state.session, name: d.name } });
      if (state.screen === 'supplement' && (!state.supplement || state.supplement.step === 'identify')) actions.listOwed();
      return;
    }
    // A new citizen (or the first): nothing of the previous one stays.
    const keepGuide = !state.session && state.screen === 'notice' ? state.guide : null;
    const keepSupplement = !state.session && state.screen === 'supplement';
    wipe(keepGuide ? 'notice' : keepSupplement ? 'supplement' : 'services');
    set({ session: { id: d.sessionId, name: d.name }, guide: keepGuide });
    if (keepSupplement) actions.listOwed();
    else speak(S.voice.welcome);
  });
  on('sessionEnded', (d) => {
    if (state.session && state.session.id === d.sessionId) wipe();
  });
  on('sessionExpiring', (d) => {
    if (state.session && state.session.id === d.sessionId) {
      set({ expiring: Date.parse(d.expiresAt) });
      speak(S.voice.countdown);
    }
  });
  on('maintenance', (d) => {
    if (d.on) enterMaintenance(d.message);
    else if (state.screen === 'maintenance') pollHealth();
  });
  on('slipPrinted', (d) => {
    state.printed.set(d.reference, d);
    if (state.screen === 'printing' && state.submitted && state.submitted.number === d.reference) submit.printed(state, actions);
  });
  on('padPressed', (d) => rating.padPressed(state, actions, d));
  on('padPromptEnded', (d) => rating.padEnded(state, actions, d));
  on('resync', () => { if (state.session) resume(); });
}

// The benchmark's probe: when the masked name was painted after the event arrived.
function markCardSeen() {
  const t = performance.now();
  requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__cardPaint = { eventAt: t, paintedAt: performance.now(), wallPaintedAt: Date.now() };
  }));
}

// ---- what the citizen's taps do

const actions = {
  set, wipe, speak, call, showProblem,
  go(screen, patch = {}) { set({ ...patch, screen, busy: false }); },
  async end() {
    const id = state.session && state.session.id;
    wipe();
    if (id) await call('DELETE', `/api/v1/sessions/${id}`);
  },
  async stay() {
    if (!state.session) return;
    const a = await call('POST', `/api/v1/sessions/${state.session.id}/keepalive`);
    if (a && a.ok) set({ expiring: null });
    else if (a) wipe();
  },
  problem(answer, back) { showProblem(answer.problem, back); },
  state: () => state,
  kiosk,
};
for (const m of new Set(Object.values(screens))) if (m.install) m.install(actions);

// Inactivity is the citizen's: a tap (and only a tap) keeps the session alive.
document.addEventListener('pointerdown', () => {
  lastTap = Date.now();
  if (state.session && Date.now() - lastKeepAlive > 2000) {
    lastKeepAlive = Date.now();
    api('POST', `/api/v1/sessions/${state.session.id}/keepalive`).then((a) => {
      if (a.ok && state.expiring) set({ expiring: null });
    }, () => {});
  }
}, { capture: true });
document.addEventListener('contextmenu', (e) => e.preventDefault());
document.addEventListener('gesturestart', (e) => e.preventDefault());
window.addEventListener('wheel', (e) => { if (e.ctrlKey) e.preventDefault(); }, { passive: false });

// ---- start

async function boot() {
  window.__screenBoot = performance.now();
  render();
  connect();
  const ok = await loadCatalogue();
  if (!ok && state.screen !== 'maintenance' && state.screen !== 'recovery') enterRecovery();
  else if (ok) render();
  window.__screenReady = performance.now();
  if (state.screen === 'attract') speak(S.voice.placeCard);
}
boot();
