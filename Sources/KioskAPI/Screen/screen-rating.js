// 好差评: the evaluation pad is asked for this service's rating, with five on-screen buttons as the
// fallback; then the thank-you (a 差评 is followed up).
import { S } from './strings.js';
import { h, button, screen } from './ui.js';

const subjectOf = (r) => (r.filingNumber ? { filingNumber: r.filingNumber } : { ticket: r.ticket });
const matches = (r, d) => r && ((r.filingNumber && r.filingNumber === d.filingNumber) || (r.ticket && r.ticket === d.ticket));

export function install(act) {
  act.startRating = async (subject) => {
    act.go('rating', { rating: { ...subject, pad: false, asking: true } });
    act.speak(S.voice.rate);
    // The pad is asked on behalf of this session, which received the service (the API's rating gate).
    const st = act.state();
    const a = await act.call('POST', '/api/v1/evaluations/prompt', { ...subjectOf(subject), sessionId: st.session ? st.session.id : undefined });
    if (!a) return;
    const r = act.state().rating;
    if (!r || r.level) return;
    act.set({ rating: { ...r, pad: a.ok, padProblem: a.ok ? null : a.problem.title } });
  };
  act.skipRating = async () => {
    const r = act.state().rating;
    if (r.pad) await act.call('DELETE', '/api/v1/evaluations/prompt');
    act.go('thanks', { rating: { ...r, level: null } });
  };
  act.rate = async (level) => {
    const st = act.state();
    const r = st.rating;
    if (r.pad) await act.call('DELETE', '/api/v1/evaluations/prompt');
    const a = await act.call('POST', '/api/v1/evaluations', { ...subjectOf(r), level, sessionId: st.session ? st.session.id : undefined });
    if (!a) return;
    if (!a.ok) return act.problem(a, 'thanks');
    thank(act, { ...r, level, rectification: a.data.rectification });
  };
}

function thank(act, rating) {
  act.go('thanks', { rating });
  act.speak(S.voice.thanks);
}

export function padPressed(state, act, d) {
  if (state.screen !== 'rating' || !matches(state.rating, d)) return;
  thank(act, { ...state.rating, level: d.level, rectification: d.rectification });
}

export function padEnded(state, act, d) {
  if (state.screen !== 'rating' || !matches(state.rating, d) || d.outcome === 'rated') return;
  act.set({ rating: { ...state.rating, pad: false } });
}

export function render(state, act) {
  const r = state.rating;
  if (state.screen === 'thanks') {
    const poor = r.level && r.level <= 2;
    return screen('thanks', h('div', { class: 'center' },
      h('h1', { id: 'thanks' }, '✓ ', S.rating.thanks),
      r.level ? h('p', { id: 'rated-level' }, S.rating.recorded(S.rating.levels[r.level])) : null,
      poor ? h('p', { class: 'note warn', id: 'follow-up' }, 'ⓘ ', S.rating.followUp) : null,
      h('div', { class: 'row' },
        state.session ? button(S.rating.more, () => act.go('services'), { id: 'more' }) : null,
        button(S.rating.queue, () => act.go('queue'), { id: 'thanks-queue' }),
        state.session ? button(S.rating.end, () => act.end(), { kind: 'primary', id: 'thanks-end' })
          : button(S.home, () => act.wipe(), { kind: 'primary', id: 'thanks-home' }))));
  }
  return screen('rating',
    h('h1', {}, S.rating.heading),
    h('p', { class: 'hint', id: 'rating-hint' }, r.pad ? S.rating.pad : (r.padProblem || S.rating.padOff)),
    h('div', { class: 'levels', role: 'group', 'aria-label': S.rating.heading },
      [5, 4, 3, 2, 1].map((l) => button(h('span', {}, h('b', {}, `${l}`), ' ', S.rating.levels[l]), () => act.rate(l),
        { kind: `level level-${l}`, id: `level-${l}`, name: S.rating.levels[l] }))),
    h('div', { class: 'actions' }, button(S.rating.skip, () => act.skipRating(), { id: 'skip-rating' })));
}
