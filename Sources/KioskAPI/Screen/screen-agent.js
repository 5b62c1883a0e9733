// 帮办代办: the card read is the agent's (家属、代办员); the principal comes from their own card
// (read next, into the same session) or is entered — the name, and the ID number on a pad with X —
// and then the item's 授权委托书 is required. Once entered the number is sent once and shown only
// masked; the rest is the normal flow, the screens showing both identities masked.
import { S } from './strings.js';
import { h, button, screen, digitPad } from './ui.js';

const blank = () => ({ step: 'choose', name: '', digits: '', view: null });

function ag(state) { return state.agent || blank(); }

// 申请人（被代办人）and 代办人, masked (as the API answers them): on the materials and done screens.
export function agentLine(view) {
  const who = (m) => (m ? `${m.name} ${m.idNumber}` : '');
  return h('dl', { class: 'facts agent-facts', id: 'agent-facts' },
    h('dt', {}, S.agent.principal), h('dd', { id: 'agent-principal' }, who(view.principal)),
    h('dt', {}, S.agent.agent), h('dd', { id: 'agent-agent' }, who(view.agent)));
}

// The principal's card joined the agent's session: read who it is (masked) and go on.
export async function cardRead(state, act) {
  if (ag(state).step !== 'card') return;
  const a = await act.call('GET', `/api/v1/sessions/${state.session.id}/principal`);
  if (!a) return;
  if (!a.ok) return act.problem(a, 'agent');
  if (a.data.principal) act.set({ agent: { ...ag(act.state()), step: 'ready', view: a.data } });
}

export function install(act) {
  const upd = (patch) => act.set({ agent: { ...ag(act.state()), ...patch } });

  act.startAgent = () => act.go('agent', { agent: blank() });

  act.principalByCard = async () => {
    const st = act.state();
    act.set({ busy: true });
    const a = await act.call('POST', `/api/v1/sessions/${st.session.id}/principal`);
    if (!a) return;
    if (!a.ok) return act.problem(a, 'agent');
    act.set({ busy: false });
    upd({ step: 'card', view: a.data });
    act.speak(S.agent.waitCard);
  };

  act.principalEntered = async () => {
    const st = act.state();
    const v = ag(st);
    act.set({ busy: true });
    const a = await act.call('POST', `/api/v1/sessions/${st.session.id}/principal`, { name: v.name.trim(), idNumber: v.digits });
    if (!a) return;
    // Whatever the answer, the full number leaves the page's state: a wrong one is typed again.
    if (!a.ok) {
      upd({ digits: '' });
      return act.problem(a, 'agent');
    }
    act.set({ busy: false });
    upd({ step: 'ready', view: a.data, name: '', digits: '' });
  };
}

export function render(state, act) {
  const v = ag(state);
  const upd = (patch) => act.set({ agent: { ...v, ...patch } });
  let body;
  if (v.step === 'choose') {
    body = h('div', {},
      h('p', { class: 'hint' }, S.agent.intro),
      h('div', { class: 'choices' },
        h('button', { type: 'button', class: 'choice', id: 'agent-by-card', disabled: state.busy ? true : undefined, onTap: () => act.principalByCard() },
          h('span', { class: 'choice-title' }, S.agent.byCard), h('span', {}, S.agent.byCardHint)),
        h('button', { type: 'button', class: 'choice', id: 'agent-enter', onTap: () => upd({ step: 'enter' }) },
          h('span', { class: 'choice-title' }, S.agent.enter), h('span', {}, S.agent.enterHint))),
      h('div', { class: 'actions' }, button(S.back, () => act.go('notice'), { id: 'back' })));
  } else if (v.step === 'card') {
    body = h('div', { class: 'center' },
      h('div', { class: 'card-art', 'aria-hidden': 'true' }, h('div', { class: 'reader-shape' }, '▼')),
      h('h2', { class: 'place-card', id: 'agent-wait-card' }, S.agent.waitCard));
  } else if (v.step === 'enter') {
    const valid = (x) => x.name.trim().length >= 2 && /^\d{17}[\dX]$/.test(x.digits);
    const name = h('input', { type: 'text', class: 'text-entry', id: 'principal-name', value: v.name, maxlength: '15',
      autocomplete: 'off', 'aria-label': S.agent.name });
    // Typed (with the system's input method) without redrawing the page under the composition.
    name.addEventListener('input', () => {
      const current = ag(act.state());
      current.name = name.value;
      const confirm = document.getElementById('principal-confirm');
      if (confirm) confirm.disabled = !valid(current) || act.state().busy;
    });
    body = h('div', { class: 'entry' },
      h('div', { class: 'pads' },
        h('div', {}, h('h2', {}, S.agent.name), name),
        h('div', {}, h('h2', {}, S.agent.idNumber),
          digitPad({ value: v.digits, max: 18, onChange: (x) => upd({ digits: x }), label: S.agent.idNumber, id: 'principal', extraKey: S.agent.idKeyX }))),
      h('p', { class: 'note' }, 'ⓘ ', S.agent.attorney),
      h('div', { class: 'actions' },
        button(S.back, () => upd({ step: 'choose', name: '', digits: '' }), { id: 'agent-enter-back' }),
        button(S.agent.confirm, () => act.principalEntered(), { kind: 'primary', id: 'principal-confirm', disabled: !valid(v) || state.busy })));
  } else {
    const entered = v.view && v.view.principalReadFromCard === false;
    body = h('div', {},
      agentLine(v.view),
      h('p', { class: `note ${entered ? 'warn' : 'ok'}`, id: 'agent-attorney' }, entered ? `ⓘ ${S.agent.attorney}` : `✓ ${S.agent.readFromCard}`),
      h('div', { class: 'actions' },
        button(S.agent.continue, () => act.startFiling(), { kind: 'primary', id: 'agent-continue', disabled: state.busy })));
  }
  return screen('agent', h('div', { class: 'heading-row' }, h('h1', {}, S.agent.heading)), body);
}
