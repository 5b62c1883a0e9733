// 问题: every problem answer of the API (its Chinese title) with what to do next.
import { S } from './strings.js';
import { h, button, screen } from './ui.js';

export function render(state, act, kiosk) {
  const p = state.problem || {};
  const next = S.problem.next[p.code] || S.problem.generic;
  const ended = p.code === 'session-ended' || p.code === 'draft-closed';
  const back = !ended && p.back && (p.back !== 'materials' || state.draft) ? p.back : null;
  return screen('problem', h('div', { class: 'center' },
    h('h1', { id: 'problem-title' }, 'ⓘ ', p.title || S.problem.heading),
    h('p', { class: 'what-next' }, `${S.problem.whatNext}${next}`),
    Array.isArray(p.missingMaterials) && p.missingMaterials.length ? h('div', { class: 'note warn' }, h('p', {}, S.problem.missingList),
      h('ul', {}, p.missingMaterials.map((m) => h('li', {}, m.name)))) : null,
    kiosk.settings?.consultationPhone ? h('p', { class: 'muted' }, S.problem.phone(kiosk.settings.consultationPhone)) : null,
    h('div', { class: 'row' },
      back ? button(S.back, () => act.go(back), { id: 'problem-back' }) : null,
      button(S.home, () => (state.session && !ended ? act.go('services') : act.end()), { kind: 'primary', id: 'problem-home' }))));
}
