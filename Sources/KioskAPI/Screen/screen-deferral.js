// 容缺受理: the materials that may follow (as the server says), and the commitment (告知承诺) the
// citizen accepts before the filing is submitted.
import { S } from './strings.js';
import { h, button, screen } from './ui.js';

export function render(state, act) {
  return screen('deferral',
    h('h1', {}, S.deferral.heading),
    h('p', {}, S.deferral.intro),
    h('table', { class: 'materials-table', id: 'deferred' },
      h('thead', {}, h('tr', {}, h('th', {}, '材料'), h('th', {}, S.deferral.howTo), h('th', {}, S.deferral.deadline))),
      h('tbody', {}, state.deferred.map((m) => h('tr', {}, h('td', {}, m.name), h('td', {}, m.howToSupply), h('td', {}, m.deadline))))),
    h('div', { class: 'commitment', id: 'commitment' }, h('h2', {}, S.deferral.commitmentTitle), h('p', {}, S.deferral.commitment)),
    h('div', { class: 'actions' },
      button(S.deferral.decline, () => act.go('materials'), { id: 'decline' }),
      button(S.deferral.accept, () => { act.set({ commitment: true }); act.submit(); }, { kind: 'primary', id: 'accept-commitment', disabled: state.busy })));
}
