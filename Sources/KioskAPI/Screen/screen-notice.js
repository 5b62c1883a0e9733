// 一次性告知: everything about an item or bundle, told once, readable here and printable as the slip.
import { S } from './strings.js';
import { h, button, screen } from './ui.js';

export function install(act) {
  act.openGuide = async (kind, code) => {
    act.set({ busy: true });
    const a = await act.call('GET', `/api/v1/catalog/${kind === 'item' ? 'items' : 'bundles'}/${encodeURIComponent(code)}`);
    if (!a) return;
    if (!a.ok) return act.problem(a, 'services');
    act.go('notice', { guide: { kind, code, data: a.data }, noticeSlip: null });
  };
  act.printNotice = async () => {
    const g = act.state().guide;
    act.set({ noticeSlip: { state: 'printing' } });
    const a = await act.call('POST', `/api/v1/catalog/${g.kind === 'item' ? 'items' : 'bundles'}/${encodeURIComponent(g.code)}/notice/print`);
    if (!a) return;
    if (!a.ok) return act.problem(a, 'notice');
    act.set({ noticeSlip: a.data });
  };
  act.startFiling = async () => {
    const st = act.state();
    if (!st.session) return act.set({ noticeSlip: { state: 'needCard' } });
    act.set({ busy: true });
    const body = st.guide.kind === 'item' ? { itemCode: st.guide.code } : { bundleCode: st.guide.code };
    const a = await act.call('POST', `/api/v1/sessions/${st.session.id}/filings`, body);
    if (!a) return;
    if (!a.ok) return act.problem(a, 'notice');
    const first = a.data.materials.find((m) => !m.held && m.pages.length < m.pagesExpected) || a.data.materials[0];
    act.go('materials', { draft: a.data, selected: first && first.code, refusal: null });
    act.speak(S.voice.materials);
  };
}

function section(title, ...content) {
  return h('section', { class: 'notice-part' }, h('h3', {}, title), ...content);
}

export function render(state, act) {
  const g = state.guide.data;
  const items = g.items;
  const slip = state.noticeSlip;
  let slipNote = null;
  if (slip) {
    const text = slip.state === 'printing' ? S.notice.printing : slip.state === 'needCard' ? S.notice.needCard
      : slip.state === 'completed' ? S.notice.printed : (slip.message || S.notice.printed);
    slipNote = h('p', { class: `note ${slip.state === 'completed' ? 'ok' : 'warn'}`, role: 'status', id: 'notice-status' },
      slip.state === 'completed' ? '✓ ' : 'ⓘ ', text);
  }
  const fees = [...new Set(items.flatMap((i) => i.fees))];
  return screen('notice',
    h('div', { class: 'heading-row' }, h('h1', {}, `${S.notice.heading}：${g.title}`)),
    h('div', { class: 'notice-body', id: 'notice-body' },
      items.length > 1 ? section(S.notice.items, h('ul', {}, items.map((i) => h('li', {}, `${i.name}（${i.implementingBody}）`)))) : null,
      section(S.notice.department, h('p', {}, [...new Set(items.map((i) => i.implementingBody))].join('、'))),
      section(S.notice.conditions, h('ul', {}, items.flatMap((i) => i.acceptanceConditions.map((c) => h('li', {}, c))))),
      section(S.notice.materials, h('table', { class: 'materials-table' },
        h('thead', {}, h('tr', {}, h('th', {}, '材料'), h('th', {}, '要求'), h('th', {}, S.notice.source))),
        h('tbody', {}, g.materials.map((m) => h('tr', {},
          h('td', {}, m.name, h('span', { class: 'muted' }, ` · ${S.notice.pages(m.pages)}`)),
          h('td', {}, h('span', { class: `need need-${m.needCode}` }, S.notice.need[m.needCode] || m.need)),
          h('td', {}, m.source, m.electronicLicence ? h('div', { class: 'muted' }, `可用${m.electronicLicence}电子证照免交`) : null)))))),
      section(S.notice.timeLimit, h('ul', {}, items.map((i) => h('li', {},
        `${items.length > 1 ? i.name + '：' : ''}${i.promisedTimeLimit === '即办' ? '即办' : `承诺${i.promisedTimeLimit}（法定${i.statutoryTimeLimit}）`}；${S.notice.visits(i.maxOnSiteVisits)}`)))),
      section(S.notice.fees, h('p', {}, fees.length ? fees.join('；') : S.notice.noFee)),
      section(S.notice.flow, h('ol', {}, items.flatMap((i) => i.processFlow.map((f) => h('li', {}, f))))),
      section(S.notice.phone, h('p', {}, [...new Set(items.map((i) => i.consultationPhone))].join('、')))),
    slipNote,
    h('div', { class: 'actions' },
      button(S.back, () => act.go('services'), { id: 'back' }),
      button(S.notice.print, () => act.printNotice(), { id: 'print-notice', disabled: slip && slip.state === 'printing' }),
      state.session && state.session.name && !(state.agent && state.agent.view)
        ? button(S.agent.start, () => act.startAgent(), { id: 'agent-start' }) : null,
      button(S.notice.start, () => act.startFiling(), { kind: 'primary', id: 'start', disabled: state.busy })));
}
