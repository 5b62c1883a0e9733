// 提交: "正在打印受理通知单" until the event stream says the slip printed, then "请取走您的受理通知单"
// with the filing number, the promised deadline and the progress QR (drawn by kioskd from the same
// URL the slip carries). A printer fault shows the held-slip message the API answers.
import { S } from './strings.js';
import { h, button, screen } from './ui.js';
import { mailing } from './screen-delivery.js';
import { agentLine } from './screen-agent.js';

export function install(act) {
  act.submit = async () => {
    const st = act.state();
    const body = {};
    if (st.delivery.mode === 'mail') body.mailing = mailing(st, act.kiosk);
    if (st.commitment) body.commitmentSigned = true;
    act.set({ screen: 'printing', busy: true });
    const a = await act.call('POST', `/api/v1/filings/${st.draft.id}/submit`, body);
    if (!a) return;
    if (!a.ok) {
      if (a.problem.code === 'commitment-required') return act.go('deferral', { deferred: a.problem.missingMaterials, commitment: false });
      if (['form-incomplete', 'invalid-form-answers'].includes(a.problem.code)) return act.formRefused(a.problem);
      return act.problem(a, 'materials');
    }
    act.state().submitted = a.data;
    if (a.data.slip.state !== 'completed' || act.state().printed.has(a.data.number)) printed(act.state(), act);
  };
}

// The slip is out (or held): show what to take away.
export function printed(state, act) {
  if (state.screen !== 'printing') return;
  act.go('done');
  act.speak(state.submitted.slip.state === 'completed' ? S.voice.takeSlip : state.submitted.slip.message);
}

export function render(state, act) {
  if (state.screen === 'printing' || !state.submitted) {
    return screen('printing', h('div', { class: 'center' },
      h('div', { class: 'spinner', 'aria-hidden': 'true' }),
      h('h1', { id: 'printing' }, S.submit.printing), h('p', { class: 'hint' }, S.submit.printingHint)));
  }
  const f = state.submitted;
  const ok = f.slip.state === 'completed';
  return screen('done',
    h('div', { class: 'done-layout' },
      h('div', {},
        ok ? h('h1', { class: 'ok', id: 'take-slip' }, '✓ ', S.submit.takeSlip)
          : h('div', { class: 'refusal', role: 'alert', id: 'slip-held' }, h('h1', {}, '⚠ ', S.submit.held), h('p', {}, f.slip.message)),
        state.agent && state.agent.view ? agentLine(state.agent.view) : null,
        h('dl', { class: 'facts' },
          h('dt', {}, S.submit.number), h('dd', { id: 'filing-number' }, f.number),
          f.filings.length > 1 ? [h('dt', {}, '其他办件'), h('dd', {}, f.filings.slice(1).map((x) => x.number).join('、'))] : null,
          h('dt', {}, S.submit.deadline), h('dd', { id: 'deadline' }, f.promisedDeadline || '—'),
          state.delivery.mode === 'mail' ? [h('dt', {}, '送达'), h('dd', {}, S.submit.mail)] : null),
        f.missingMaterials.length ? h('div', { class: 'note warn', id: 'done-missing' }, h('h2', {}, S.submit.missing),
          h('ul', {}, f.missingMaterials.map((m) => h('li', {}, `${m.name}：${m.howToSupply}，${S.submit.before(m.deadline)}`)))) : null),
      h('figure', { class: 'qr' },
        h('img', { src: `/api/v1/qr?text=${encodeURIComponent(f.progressUrl)}`, alt: S.submit.qrAlt, id: 'progress-qr', 'data-url': f.progressUrl, width: 320, height: 320 }),
        h('figcaption', {}, S.submit.qr, h('div', { class: 'url', id: 'progress-url' }, f.progressUrl)))),
    h('div', { class: 'actions' },
      button(S.submit.rate, () => act.startRating({ filingNumber: f.number }), { kind: 'primary', id: 'rate' })));
}
