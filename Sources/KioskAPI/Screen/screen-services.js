// 事项选择: by department, the 一件事 bundles, or a search by tapped keywords (no IME).
import { S } from './strings.js';
import { h, button, screen } from './ui.js';

function itemButton(item, act) {
  const limit = item.caseType === 'immediate' ? S.services.immediate : S.services.promised(item.promisedTimeLimit);
  return h('button', { type: 'button', class: 'tile', id: `item-${item.code}`, 'data-code': item.code,
    onTap: () => act.openGuide('item', item.code) },
    h('span', { class: 'tile-name' }, item.name),
    h('span', { class: 'tile-meta' }, `${item.department} · ${limit}`));
}

export function render(state, act, kiosk) {
  const tabs = [['categories', S.services.tabCategories], ['bundles', S.services.tabBundles], ['search', S.services.tabSearch]];
  const tabBar = h('div', { class: 'tabs', role: 'tablist' }, tabs.map(([id, label]) =>
    h('button', { type: 'button', role: 'tab', class: `tab${state.tab === id ? ' active' : ''}`, id: `tab-${id}`,
      'aria-selected': String(state.tab === id), onTap: () => act.set({ tab: id }) }, state.tab === id ? `▶ ${label}` : label)));
  let body;
  if (state.tab === 'bundles') {
    body = h('div', { class: 'tiles' }, kiosk.bundles.map((b) =>
      h('button', { type: 'button', class: 'tile bundle', id: `bundle-${b.code}`, onTap: () => act.openGuide('bundle', b.code) },
        h('span', { class: 'tag' }, S.services.bundleTag), h('span', { class: 'tile-name' }, b.name),
        h('span', { class: 'tile-meta' }, b.description || ''))));
  } else if (state.tab === 'search') {
    const found = state.keyword ? kiosk.items.filter((i) => i.name.includes(state.keyword) || i.department.includes(state.keyword)) : [];
    body = h('div', {},
      h('p', { class: 'hint' }, S.services.searchHint),
      h('div', { class: 'chips', role: 'group', 'aria-label': S.services.searchHint }, S.services.searchKeywords.map((k) =>
        button(state.keyword === k ? `✓ ${k}` : k, () => act.set({ keyword: k }), { kind: 'chip', pressed: state.keyword === k, id: `kw-${k}` })),
        state.keyword ? button(S.services.clear, () => act.set({ keyword: null }), { kind: 'chip' }) : null),
      state.keyword ? (found.length ? h('div', { class: 'tiles' }, found.map((i) => itemButton(i, act)))
        : h('p', { class: 'hint', role: 'status' }, S.services.searchNone)) : null);
  } else {
    const departments = [...new Set(kiosk.items.map((i) => i.department))];
    const shown = state.department ? kiosk.items.filter((i) => i.department === state.department) : kiosk.items;
    body = h('div', { class: 'split' },
      h('div', { class: 'departments', role: 'group', 'aria-label': S.services.tabCategories },
        [null, ...departments].map((d) => button((state.department === d ? '▶ ' : '') + (d || S.services.all),
          () => act.set({ department: d }), { kind: 'list', pressed: state.department === d }))),
      h('div', {}, h('p', { class: 'count' }, S.services.items(shown.length)),
        h('div', { class: 'tiles' }, shown.map((i) => itemButton(i, act)))));
  }
  return screen('services',
    h('div', { class: 'heading-row' }, h('h1', {}, S.services.heading),
      button(S.services.queue, () => act.go('queue'), { id: 'go-queue' }),
      state.session && state.session.name ? button(S.services.supplement, () => act.startSupplement(), { id: 'go-supplement' }) : null,
      state.session ? null : button(S.back, () => act.wipe(), { id: 'back' })),
    tabBar, body);
}
