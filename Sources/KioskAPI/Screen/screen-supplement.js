// 补交: a citizen with a 容缺 filing comes back. Identified by the card read in the session (the
// filings owing materials are listed) or, without the card, by the slip's filing number and the
// ID number's last four characters; then what is still owed and by when, the pages captured with
// the same camera step as a filing (screen-materials), and the supplement slip (补交凭证).
import { S } from './strings.js';
import { h, button, screen, digitPad } from './ui.js';

const blank = () => ({ step: 'identify', digits: '', tail: '', filings: null, opened: null, submitted: null });

function sup(state) { return state.supplement || blank(); }

export function install(act) {
  const upd = (patch) => act.set({ supplement: { ...sup(act.state()), ...patch } });

  // From the home screen or the services screen: by the card when one was read, else identify.
  act.startSupplement = async () => {
    const st = act.state();
    act.go('supplement', { supplement: blank() });
    if (st.session && st.session.name) await act.listOwed();
  };

  act.listOwed = async () => {
    const st = act.state();
    act.set({ busy: true });
    const a = await act.call('GET', `/api/v1/sessions/${st.session.id}/supplements`);
    if (!a) return;
    if (!a.ok) return act.problem(a, 'supplement');
    act.set({ busy: false });
    upd({ step: 'list', filings: a.data });
  };

  // Opens one filing's supplement: by the card in the session, or by the number and the ID's ending.
  act.openSupplement = async (filingNumber, tail) => {
    let st = act.state();
    act.set({ busy: true });
    if (!st.session) {
      // No card: a session of its own holds the supplement's pages (wiped if it ends first).
      const s = await act.call('POST', '/api/v1/sessions');
      if (!s) return;
      if (!s.ok) return act.problem(s, 'supplement');
      act.set({ session: { id: s.data.id, name: null } });
      st = act.state();
    }
    const body = tail ? { filingNumber, idNumberTail: tail } : { filingNumber };
    const a = await act.call('POST', `/api/v1/sessions/${st.session.id}/supplements`, body);
    if (!a) return;
    if (!a.ok) return act.problem(a, 'supplement');
    act.set({ busy: false });
    // The digits and the ID's ending are not kept once the filing is open.
    upd({ step: 'owed', opened: a.data, digits: '', tail: '' });
  };

  act.captureSupplement = () => {
    const o = sup(act.state()).opened;
    const first = o.materials.find((m) => m.pages.length < m.pagesExpected) || o.materials[0];
    act.go('materials', { draft: { id: o.id, title: o.title, materials: o.materials }, selected: first && first.code, refusal: null });
    act.speak(S.voice.materials);
  };

  act.submitSupplement = async () => {
    const st = act.state();
    act.go('supplement', { supplement: { ...sup(st), step: 'submitting' } });
    const a = await act.call('POST', `/api/v1/supplements/${st.draft.id}/submit`);
    if (!a) return;
    if (!a.ok) return act.problem(a, 'materials');
    upd({ step: 'done', submitted: a.data });
    act.speak(a.data.slip.state === 'completed' ? S.voice.supplementSlip : a.data.slip.message);
  };
}

function owedTable(owed) {
  return h('table', { class: 'materials-table', id: 'owed' },
    h('thead', {}, h('tr', {}, h('th', {}, S.supplement.material), h('th', {}, S.supplement.howTo), h('th', {}, S.supplement.deadline))),
    h('tbody', {}, owed.map((m) => h('tr', {}, h('td', {}, m.name), h('td', {}, m.howToSupply),
      h('td', {}, m.deadline, h('div', { class: 'muted' }, S.supplement.consequence(m.consequenceName)))))));
}

export function render(state, act, kiosk) {
  const v = sup(state);
  const upd = (patch) => act.set({ supplement: { ...v, ...patch } });
  const prefix = kiosk.settings?.filingNumberPrefix || '';
  const heading = h('div', { class: 'heading-row' }, h('h1', {}, S.supplement.heading),
    ['identify', 'list'].includes(v.step) ? button(S.back, () => (state.session && state.session.name ? act.go('services') : act.end()), { id: 'back' }) : null);
  let body;
  if (v.step === 'identify') {
    const ready = v.digits.length === 13 && v.tail.length === 4;
    body = h('div', { class: 'entry' },
      h('p', { class: 'hint', id: 'supplement-place-card' }, S.supplement.placeCard),
      h('div', { class: 'pads' },
        h('div', {}, h('h2', {}, S.supplement.number),
          digitPad({ value: v.digits, max: 13, onChange: (x) => upd({ digits: x }), label: S.supplement.number, id: 'filing',
            shown: v.digits ? S.supplement.numberShown(prefix, v.digits) : '' })),
        h('div', {}, h('h2', {}, S.supplement.tail),
          digitPad({ value: v.tail, max: 4, onChange: (x) => upd({ tail: x }), label: S.supplement.tail, id: 'tail', extraKey: S.agent.idKeyX }))),
      h('div', { class: 'actions' },
        button(S.supplement.find, () => act.openSupplement(`${prefix}${v.digits.slice(0, 8)}-${v.digits.slice(8)}`, v.tail),
          { kind: 'primary', id: 'supplement-find', disabled: !ready || state.busy })));
  } else if (v.step === 'list') {
    const filings = v.filings || [];
    body = filings.length ? h('div', { class: 'tiles', id: 'owed-filings' }, filings.map((f) =>
      h('button', { type: 'button', class: 'tile', id: `owed-${f.number}`, disabled: f.lapsed || state.busy ? true : undefined,
        onTap: () => act.openSupplement(f.number) },
        h('span', { class: 'tile-name' }, f.itemName),
        h('span', { class: 'tile-meta' }, f.number),
        h('span', { class: 'tile-meta' }, f.lapsed ? S.supplement.lapsed : f.owed.map((m) => S.supplement.owedItem(m.name, m.deadline)).join(S.supplement.separator)))))
      : h('p', { class: 'note', id: 'nothing-owed' }, S.supplement.none);
  } else if (v.step === 'owed') {
    const o = v.opened;
    body = h('div', {},
      h('h2', { id: 'owed-heading' }, S.supplement.owedHeading(o.filingNumber)),
      owedTable(o.owed),
      h('div', { class: 'actions' }, button(S.supplement.capture, () => act.captureSupplement(), { kind: 'primary', id: 'supplement-capture' })));
  } else if (v.step === 'submitting') {
    body = h('div', { class: 'center' }, h('div', { class: 'spinner', 'aria-hidden': 'true' }), h('h2', { id: 'supplement-printing' }, S.supplement.submitting));
  } else {
    const d = v.submitted;
    const ok = d.slip.state === 'completed';
    body = h('div', { class: 'done-layout' },
      h('div', {},
        ok ? h('h2', { class: 'ok', id: 'supplement-slip' }, '✓ ', S.supplement.takeSlip)
          : h('div', { class: 'refusal', role: 'alert', id: 'supplement-slip-held' }, h('h2', {}, '⚠ ', S.supplement.held), h('p', {}, d.slip.message || '')),
        h('p', { id: 'supplement-number' }, d.filingNumber),
        d.complete ? h('p', { class: 'note ok', id: 'supplement-complete' }, '✓ ', S.supplement.complete)
          : h('div', { class: 'note warn', id: 'supplement-still-owed' }, h('h3', {}, S.supplement.stillOwed), owedTable(d.stillOwed))),
      h('figure', { class: 'qr' },
        h('img', { src: `/api/v1/qr?text=${encodeURIComponent(d.progressUrl)}`, alt: S.supplement.qr, id: 'supplement-qr', width: 320, height: 320 }),
        h('figcaption', {}, S.supplement.qr)));
    body = [body, h('div', { class: 'actions' }, button(S.supplement.done, () => act.end(), { kind: 'primary', id: 'supplement-done' }))];
  }
  return screen('supplement', heading, body);
}
