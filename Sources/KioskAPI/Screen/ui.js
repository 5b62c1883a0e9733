// Small DOM helpers: elements, buttons with accessible names, the on-screen digit pad.
import { S } from './strings.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'onTap') el.addEventListener('click', v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// A button: its text is its accessible name unless `name` is given.
export function button(label, onTap, { kind = 'secondary', name, id, disabled, pressed } = {}) {
  return h('button', {
    type: 'button', class: `btn ${kind}`, id, 'aria-label': name, disabled: disabled ? true : undefined,
    'aria-pressed': pressed === undefined ? undefined : String(pressed), onTap,
  }, label);
}

export function screen(id, ...children) {
  return h('section', { class: `screen screen-${id}`, id: `screen-${id}`, 'data-screen': id }, ...children);
}

// A digit pad (no IME on the kiosk): `value` is shown, keys edit it up to `max` digits; `extraKey`
// (the ID number's check character X) adds one key. `shown` is what the display shows instead of the value.
export function digitPad({ value, max, onChange, label, id, extraKey, shown }) {
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', S.delivery.clear, '0', S.delivery.del, ...(extraKey ? [extraKey] : [])];
  const display = h('output', { class: 'pad-display', id: id ? `${id}-display` : undefined, 'aria-label': label }, (shown ?? value) || '\u00a0');
  const grid = h('div', { class: 'digit-pad', role: 'group', 'aria-label': label },
    keys.map((k) => button(k, () => {
      let v = value;
      if (k === S.delivery.del) v = v.slice(0, -1);
      else if (k === S.delivery.clear) v = '';
      else if (v.length < max) v += k;
      onChange(v);
    }, { kind: 'key', id: id ? `${id}-key-${/\d/.test(k) ? k : (k === extraKey ? 'x' : (k === S.delivery.del ? 'del' : 'clear'))}` : undefined })));
  return h('div', { class: 'pad' }, display, grid);
}
