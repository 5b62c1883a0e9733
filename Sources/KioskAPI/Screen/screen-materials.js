// 材料拍摄: per material the pages it needs; the document camera's live preview (≥ 4 frames/s);
// take, retake and delete a page; the quality check's Chinese reason shown at once; materials
// already held are marked and need nothing.
import { S } from './strings.js';
import { h, button, screen } from './ui.js';
import { agentLine } from './screen-agent.js';

// Each frame needs its own URL (the same URL again would be answered from the image cache), but
// not by turning an ever larger number into a string: V8 keeps a small number→string cache that
// it replaces, the first time two numbers meet in one slot, by a full-size one (64 KB of the
// page's JS heap from then on), which a frame counter in the URL does after a few hundred frames,
// at a moment that depends on when the GC last emptied the cache. The frame's tag is a decimal
// string counted on as a string: no number is converted.
let tag = '0';
function nextTag(t) {
  let i = t.length - 1;
  while (i >= 0 && t[i] === '9') i--;
  if (i < 0) return '1' + '0'.repeat(t.length);
  return t.slice(0, i) + '0123456789'['0123456789'.indexOf(t[i]) + 1] + '0'.repeat(t.length - 1 - i);
}

// One preview element for the page's life: re-rendering keeps it (and its frame loop) as is.
const preview = new Image();
preview.alt = S.materials.previewAlt;
preview.id = 'preview';
preview.className = 'preview';
preview.decoding = 'async';
let running = false, frames = 0, timer = null, perSecond = 4, limit = 4;
const answered = [];   // when the last `limit` previews were answered

function nextFrame() {
  if (!running) return;
  const started = performance.now();
  // Previews carry no session: they never keep a session alive.
  const url = '/api/v1/camera/preview?f=' + (tag = nextTag(tag)); frames++;
  const done = () => {
    if (!running) return;
    const now = performance.now();
    // kioskd admits `limit` previews in any sliding second, counted when it handles each
    // one, which on a busy kiosk is later than it was sent. A request starts no sooner than a
    // second after the answer `limit` answers back: then no second can ever see more.
    answered.push(now);
    if (answered.length > limit) answered.shift();
    const windowWait = answered.length >= limit ? answered[0] + 1010 - now : 0;
    const spacing = 1000 / (perSecond - 0.25) - (now - started);
    timer = setTimeout(nextFrame, Math.max(0, spacing, windowWait));
  };
  preview.onload = done;
  preview.onerror = done;
  preview.src = url;
}

export function leave() {
  running = false;
  clearTimeout(timer);
  answered.length = 0;
  if (preview.getAttribute('src')) preview.removeAttribute('src');
}

export function previewFrames() { return frames; }
window.__previewFrames = () => frames;

function slot(state, code) { return state.draft.materials.find((m) => m.code === code); }

function missingRequired(draft) {
  return draft.materials.filter((m) => m.need === 'required' && !m.held && m.pages.length < m.pagesExpected);
}

export function install(act) {
  act.select = (code) => act.set({ selected: code, refusal: null });
  act.takePage = async (replace) => {
    const st = act.state();
    const code = st.selected;
    act.set({ busy: true, refusal: null });
    if (replace) {
      const d = await act.call('DELETE', `/api/v1/filings/${st.draft.id}/materials/${code}/pages/${replace}`);
      if (!d) return;
      if (!d.ok && d.status !== 404) return act.problem(d, 'materials');
      const s = slot(act.state(), code);
      s.pages = s.pages.filter((p) => p !== replace);
    }
    const a = await act.call('POST', `/api/v1/filings/${st.draft.id}/materials/${code}/pages`);
    if (!a) return;
    if (!a.ok) {
      if (a.problem.code === 'page-quality' || a.problem.code === 'capture-failed' || a.problem.code === 'camera-queue-full') {
        act.set({ busy: false, refusal: a.problem.title });
        act.speak(a.problem.title);
        return;
      }
      return act.problem(a, 'materials');
    }
    const s = slot(act.state(), code);
    if (!s.pages.includes(a.data.sha256)) s.pages.push(a.data.sha256);
    // Full: move on to the next material that still needs pages.
    let selected = code;
    if (s.pages.length >= s.pagesExpected) {
      const next = act.state().draft.materials.find((m) => !m.held && m.need !== 'optional' && m.pages.length < m.pagesExpected);
      if (next) selected = next.code;
    }
    act.set({ busy: false, selected });
  };
  act.deletePage = async (sha) => {
    const st = act.state();
    const a = await act.call('DELETE', `/api/v1/filings/${st.draft.id}/materials/${st.selected}/pages/${sha}`);
    if (!a) return;
    if (!a.ok && a.status !== 404) return act.problem(a, 'materials');
    const s = slot(act.state(), st.selected);
    s.pages = s.pages.filter((p) => p !== sha);
    act.set({ refusal: null });
  };
  act.materialsDone = () => {
    const st = act.state();
    if (st.supplement) return act.submitSupplement();
    if (missingRequired(st.draft).length) return;
    act.go(st.draft.form ? 'form' : 'delivery');   // 一表申请: the form step when the items have one
  };
}

export function render(state, act, kiosk) {
  const draft = state.draft;
  perSecond = Math.max(4.5, kiosk.settings?.previewsPerSecond || 4);
  limit = Math.max(1, Math.floor(kiosk.settings?.previewsPerSecond || 4));
  const current = slot(state, state.selected) || draft.materials[0];
  const list = h('ol', { class: 'material-list', 'aria-label': S.materials.heading }, draft.materials.map((m) => {
    const full = m.held || m.pages.length >= m.pagesExpected;
    const isCurrent = m.code === current.code;
    return h('li', {}, h('button', { type: 'button', class: `material${isCurrent ? ' current' : ''}${full ? ' full' : ''}`, id: `material-${m.code}`,
      'aria-pressed': String(isCurrent), 'data-need': m.need, 'data-held': m.held ? 'true' : 'false', 'data-pages': m.pages.length,
      'data-expected': m.pagesExpected, onTap: () => act.select(m.code) },
      h('span', { class: 'material-name' }, isCurrent ? `▶ ${m.name}` : m.name),
      h('span', { class: `need need-${m.need}` }, S.materials.need[m.need] || m.need),
      h('span', { class: 'material-state' }, m.held ? `✓ ${S.materials.held(m.held)}`
        : full ? `✓ ${S.materials.done}（${m.pages.length}页）` : S.materials.progress(m.pages.length, m.pagesExpected))));
  }));
  // 补交: any owed material with all its pages may be handed in (the rest stays owed).
  const forSupplement = !!state.supplement;
  const missing = forSupplement ? [] : missingRequired(draft);
  const supplementReady = draft.materials.some((m) => m.pages.length >= m.pagesExpected);
  const deferrable = draft.materials.filter((m) => m.need === 'deferrable' && !m.held && m.pages.length < m.pagesExpected);
  const pages = current.pages.map((sha, i) => h('li', { class: 'page', 'data-sha': sha },
    h('span', {}, `✓ ${S.materials.page(i + 1)}`),
    button(S.materials.retake, () => act.takePage(sha), { kind: 'small', name: `${S.materials.retake}${S.materials.page(i + 1)}`, disabled: state.busy }),
    button(S.materials.delete, () => act.deletePage(sha), { kind: 'small', name: `${S.materials.delete}${S.materials.page(i + 1)}`, disabled: state.busy })));
  const camera = h('div', { class: 'camera' },
    h('p', { class: 'hint' }, S.materials.previewHint),
    h('div', { class: 'preview-frame' }, preview),
    h('p', { class: 'current-material' }, `${S.materials.selected}：${current.name}`, h('span', { class: 'muted' }, ` · ${current.acceptanceStandard}`)),
    state.refusal ? h('p', { class: 'refusal', role: 'alert', id: 'refusal' }, '⚠ ', S.materials.refused, state.refusal) : null,
    current.held ? h('p', { class: 'note ok' }, `✓ ${S.materials.held(current.held)}`) : h('div', { class: 'row' },
      button(state.busy ? S.materials.taking : (state.refusal ? S.materials.retake : S.materials.take), () => act.takePage(),
        { kind: 'primary', id: 'take', disabled: state.busy }),
      h('ul', { class: 'pages', id: 'pages' }, pages)));
  if (!running) { running = true; nextFrame(); }
  return screen('materials',
    h('div', { class: 'heading-row' }, h('h1', {}, `${S.materials.heading}：${draft.title}`)),
    state.agent && state.agent.view ? agentLine(state.agent.view) : null,
    h('div', { class: 'materials-layout' }, list, camera),
    h('div', { class: 'actions' },
      missing.length ? h('p', { class: 'note warn', id: 'missing' }, 'ⓘ ', S.materials.missing(missing.map((m) => m.name).join('、')))
        : deferrable.length ? h('p', { class: 'note', id: 'deferrable' }, 'ⓘ ', S.materials.deferrableLeft) : null,
      button(S.back, () => act.go(forSupplement ? 'supplement' : 'notice'), { id: 'back' }),
      forSupplement
        ? button(S.supplement.submit, () => act.materialsDone(), { kind: 'primary', id: 'materials-next', disabled: !supplementReady || state.busy })
        : button(S.next, () => act.materialsDone(), { kind: 'primary', id: 'materials-next', disabled: missing.length > 0 || state.busy })));
}
