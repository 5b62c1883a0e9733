// 排队取号: the categories with the people waiting; a card read first checks in an appointment
// (its priority ticket) when the category matches. 绿色通道: the grounds the hall offers; a card
// holder old enough gets it from the card, a disabled or pregnant citizen declares it here (the
// window staff verify it, as the ticket says).
import { S } from './strings.js';
import { h, button, screen } from './ui.js';

export function install(act) {
  const goQueue = act.go;
  act.go = (screen, patch = {}) => {
    goQueue(screen, patch);
    if (screen === 'queue') act.loadCategories();
  };
  act.loadCategories = async () => {
    const [a, g] = await Promise.all([act.call('GET', '/api/v1/queue/categories'), act.call('GET', '/api/v1/queue/green-channel')]);
    if (!a || !g) return;
    if (!a.ok) return act.problem(a, 'services');
    act.kiosk.categories = a.data;
    if (g.ok) act.kiosk.greenChannel = g.data;
    if (act.state().screen === 'queue') act.set({});
  };
  act.takeTicket = async (category) => {
    const st = act.state();
    act.set({ busy: true });
    const a = await act.call('POST', '/api/v1/tickets', {
      category, sessionId: st.session ? st.session.id : undefined, greenChannel: st.declared || undefined });
    if (!a) return;
    if (!a.ok) return act.problem(a, 'queue');
    act.go('ticket', { ticket: a.data });
    act.speak(S.voice.ticket);
  };
}

// The ticket's priority: 绿色通道 and its ground (a declared one is verified at the window), or an appointment's.
function greenTag(t) {
  if (!t.priority) return null;
  const reason = t.priorityReason || 'appointment';
  if (reason === 'appointment') return h('p', { class: 'tag', id: 'ticket-priority' }, S.queue.priority);
  return h('div', { id: 'ticket-priority' },
    h('p', { class: 'tag green' }, S.queue.green.tag(S.queue.green.ground[reason])),
    reason !== 'elderly' ? h('p', { class: 'note', id: 'ticket-verify' }, S.queue.green.verify) : null);
}

export function render(state, act, kiosk) {
  if (state.screen === 'ticket') {
    const t = state.ticket;
    return screen('ticket', h('div', { class: 'center' },
      h('p', {}, S.queue.ticket),
      h('div', { class: 'ticket-number', id: 'ticket-number' }, t.ticket),
      greenTag(t),
      h('p', { id: 'ticket-ahead' }, S.queue.ahead(t.waiting)),
      t.slip.state === 'completed' ? h('p', { class: 'note ok' }, '✓ ', S.queue.takeTicket)
        : h('p', { class: 'refusal', role: 'alert', id: 'ticket-held' }, '⚠ ', t.slip.message || ''),
      h('div', { class: 'row' },
        state.session ? button(S.rating.more, () => act.go('services'), { id: 'ticket-more' }) : null,
        state.session ? button(S.rating.end, () => act.end(), { kind: 'primary', id: 'ticket-end' })
          : button(S.queue.done, () => act.wipe(), { kind: 'primary', id: 'ticket-done' }))));
  }
  const green = kiosk.greenChannel || { grounds: [], declarable: [] };
  return screen('queue',
    h('div', { class: 'heading-row' }, h('h1', {}, S.queue.heading),
      button(S.back, () => (state.session ? act.go('services') : act.wipe()), { id: 'back' })),
    h('p', { class: 'hint' }, S.queue.appointment),
    green.grounds.length ? h('div', { class: 'green-channel', id: 'green-channel' },
      h('p', { class: 'hint' }, S.queue.green.intro(green.grounds.includes('elderly') ? green.elderlyAge : null)),
      h('div', { class: 'row' }, green.declarable.map((g) => button((state.declared === g ? '✓ ' : '') + S.queue.green.declare[g],
        () => act.set({ declared: state.declared === g ? null : g }),
        { id: `declare-${g}`, pressed: state.declared === g, kind: state.declared === g ? 'primary' : 'secondary' }))),
      state.declared ? h('p', { class: 'note', id: 'declared-note' }, S.queue.green.verify) : null) : null,
    h('div', { class: 'tiles' }, kiosk.categories.map((c) =>
      h('button', { type: 'button', class: 'tile', id: `category-${c.code}`, disabled: state.busy ? true : undefined, onTap: () => act.takeTicket(c.code) },
        h('span', { class: 'tile-name' }, h('b', { class: 'prefix' }, c.prefix), ' ', c.name),
        h('span', { class: 'tile-meta' }, S.queue.waiting(c.waiting)),
        c.description ? h('span', { class: 'tile-meta' }, c.description) : null))));
}
