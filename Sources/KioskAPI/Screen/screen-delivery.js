// 送达方式: collect at the window, or mail by EMS — the phone from a digit pad, the address picked
// from the hall's own towns/streets/communities (screen.yaml) and a digit pad for the house number.
import { S } from './strings.js';
import { h, button, screen, digitPad } from './ui.js';

function d(state) { return state.delivery; }

// The address as the API takes it: its parts and the phone (邮寄送达).
export function mailing(state, kiosk) {
  const v = d(state);
  return { phone: v.phone, region: kiosk.settings?.addressPrefix || '', town: v.town, street: v.street || undefined,
    community: v.community || undefined, detail: S.delivery.house(v.house) };
}

export function render(state, act, kiosk) {
  const v = d(state);
  const towns = kiosk.settings?.towns || [];
  const upd = (patch) => act.set({ delivery: { ...v, ...patch } });
  let body;
  if (v.mode === 'window' || v.step === 'choose') {
    body = h('div', { class: 'choices' },
      h('button', { type: 'button', class: `choice${v.mode === 'window' ? ' chosen' : ''}`, id: 'deliver-window', 'aria-pressed': String(v.mode === 'window'),
        onTap: () => upd({ mode: 'window', step: 'choose' }) },
        h('span', { class: 'choice-title' }, (v.mode === 'window' ? '● ' : '○ ') + S.delivery.window), h('span', {}, S.delivery.windowHint)),
      h('button', { type: 'button', class: `choice${v.mode === 'mail' ? ' chosen' : ''}`, id: 'deliver-mail', 'aria-pressed': String(v.mode === 'mail'),
        disabled: towns.length ? undefined : true, onTap: () => upd({ mode: 'mail', step: 'phone' }) },
        h('span', { class: 'choice-title' }, (v.mode === 'mail' ? '● ' : '○ ') + S.delivery.mail), h('span', {}, towns.length ? S.delivery.mailHint : S.delivery.noMail)));
  } else if (v.step === 'phone') {
    const valid = /^1\d{10}$/.test(v.phone);
    body = h('div', { class: 'entry' }, h('h2', {}, S.delivery.phone),
      digitPad({ value: v.phone, max: 11, label: S.delivery.phone, id: 'phone', onChange: (phone) => upd({ phone }) }),
      v.phone.length === 11 && !valid ? h('p', { class: 'refusal', role: 'alert' }, '⚠ ', S.delivery.phoneInvalid) : null,
      h('div', { class: 'row' }, button(S.back, () => upd({ mode: 'window', step: 'choose' })),
        button(S.next, () => upd({ step: 'town' }), { kind: 'primary', id: 'phone-next', disabled: !valid })));
  } else if (v.step === 'town' || v.step === 'street' || v.step === 'community') {
    const town = towns.find((t) => t.name === v.town);
    const street = town && town.streets.find((s) => s.name === v.street);
    const [title, options, pick, backStep] = v.step === 'town'
      ? [S.delivery.town, towns.map((t) => t.name), (name) => upd({ town: name, street: null, community: null, step: 'street' }), 'phone']
      : v.step === 'street'
        ? [S.delivery.street, town.streets.map((s) => s.name), (name) => upd({ street: name, community: null, step: 'community' }), 'town']
        : [S.delivery.community, street.communities, (name) => upd({ community: name, step: 'house' }), 'street'];
    body = h('div', { class: 'entry' }, h('h2', {}, title),
      h('p', { class: 'muted' }, [kiosk.settings?.addressPrefix, v.town, v.street].filter(Boolean).join(' › ')),
      h('div', { class: 'tiles picker', role: 'group', 'aria-label': title }, options.map((o) => button(o, () => pick(o), { kind: 'tile', id: `pick-${o}` }))),
      h('div', { class: 'row' }, button(S.back, () => upd({ step: backStep }))));
  } else if (v.step === 'house') {
    body = h('div', { class: 'entry' }, h('h2', {}, S.delivery.house),
      h('p', { class: 'muted' }, `${kiosk.settings?.addressPrefix || ''}${v.town}${v.street}${v.community}`),
      digitPad({ value: v.house, max: 6, label: S.delivery.house, id: 'house', onChange: (house) => upd({ house }) }),
      h('div', { class: 'row' }, button(S.back, () => upd({ step: 'community' })),
        button(S.delivery.confirm, () => upd({ step: 'confirm' }), { kind: 'primary', id: 'house-next', disabled: !v.house })));
  } else {
    body = h('div', { class: 'entry' },
      h('dl', { class: 'facts', id: 'mail-address' }, h('dt', {}, S.delivery.modeLabel), h('dd', {}, `● ${S.delivery.mail}`),
        h('dt', {}, S.delivery.address), h('dd', {}, `${kiosk.settings?.addressPrefix || ''}${v.town}${v.street}${v.community}${S.delivery.house(v.house)}`),
        h('dt', {}, S.delivery.phoneLabel), h('dd', {}, v.phone)),
      h('div', { class: 'row' }, button(S.delivery.change, () => upd({ step: 'phone' }), { id: 'change-address' })));
  }
  const ready = v.mode === 'window' || v.step === 'confirm';
  return screen('delivery',
    h('h1', {}, S.delivery.heading),
    body,
    h('div', { class: 'actions' },
      button(S.back, () => act.go(state.draft && state.draft.form ? 'form' : 'materials'), { id: 'back' }),
      button(S.delivery.submit, () => act.submit(), { kind: 'primary', id: 'submit', disabled: !ready || state.busy })));
}
