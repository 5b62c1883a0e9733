// 待机页: the hall, what the kiosk offers, and the one thing to do — place the ID card.
import { S } from './strings.js';
import { h, button, screen } from './ui.js';

export function render(state, act) {
  return screen('attract',
    h('div', { class: 'attract-main' },
      h('div', { class: 'card-art', 'aria-hidden': 'true' }, h('div', { class: 'card-shape' }, '身份证'), h('div', { class: 'reader-shape' }, '读卡区 ▼')),
      h('h1', { class: 'place-card', id: 'place-card' }, S.attract.placeCard),
      h('p', { class: 'hint' }, S.attract.placeCardHint)),
    h('div', { class: 'attract-side' },
      h('h2', {}, S.attract.offers),
      h('ul', { class: 'offers' }, S.attract.offerList.map((o) => h('li', {}, h('span', { class: 'tick', 'aria-hidden': 'true' }, '✓'), o))),
      h('div', { class: 'row' },
        button(S.attract.guideWithoutCard, () => act.go('services'), { id: 'browse' }),
        button(S.attract.queueWithoutCard, () => act.go('queue'), { id: 'queue-no-card' }),
        button(S.attract.supplement, () => act.startSupplement(), { id: 'supplement-start' }))));
}
