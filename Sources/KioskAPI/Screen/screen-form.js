// 一表申请: the draft's one application form (a bundle's items merged, each field once). Fields the
// ID card fills are shown for confirmation (an ID number only masked: kioskd keeps the full one);
// the citizen answers the rest with big choice tiles, 是/否, the digit pad, or the hall's own
// town/street/community picker for an address (no Chinese keyboard on the kiosk). Each answer is
// saved at once; a refused one shows its reason under the field.
import { S } from './strings.js';
import { h, button, screen, digitPad } from './ui.js';

// The form step's own state lives on the app state (wiped with it when the session ends).
function fs(state) {
  if (!state.formStep) state.formStep = { editing: null, buffer: '', addr: null, errors: {} };
  return state.formStep;
}

const digitsOf = { phone: 12, date: 8, number: 9, idNumber: 18 };

function shown(f) {
  if (f.value === undefined || f.value === null) return null;
  if (f.type === 'yesNo') return f.value ? S.form.yes : S.form.no;
  return String(f.value);
}

function reasonText(p, field) {
  const make = S.form.reasons[p.reason];
  return make ? make(field ? field.label : p.key) : p.message;
}

export function install(act) {
  // Saves one answer; a refusal marks its field. Returns whether it was saved.
  act.saveAnswer = async (key, value) => {
    const st = act.state();
    const step = fs(st);
    act.set({ busy: true });
    const a = await act.call('PUT', `/api/v1/filings/${st.draft.id}/form`, { answers: { [key]: value } });
    if (!a) return false;
    if (!a.ok) {
      const fields = a.problem.fields || [];
      if (!fields.length) { act.problem(a, 'form'); return false; }
      const errors = { ...step.errors };
      for (const p of fields) errors[p.key] = reasonText(p, st.draft.form.fields.find((f) => f.key === p.key));
      act.set({ busy: false, formStep: { ...step, errors } });
      return false;
    }
    const errors = { ...step.errors };
    delete errors[key];
    act.set({ busy: false, draft: { ...st.draft, form: a.data }, formStep: { editing: null, buffer: '', addr: null, errors } });
    return true;
  };
  // Submit refused the form: back to it with the fields marked.
  act.formRefused = (problem) => {
    const st = act.state();
    const errors = {};
    for (const p of problem.fields || []) errors[p.key] = reasonText(p, st.draft.form && st.draft.form.fields.find((f) => f.key === p.key));
    act.go('form', { formStep: { editing: null, buffer: '', addr: null, errors } });
  };
}

function editor(f, state, act, kiosk) {
  const step = fs(state);
  const upd = (patch) => act.set({ formStep: { ...step, ...patch } });
  const cancel = button(S.back, () => upd({ editing: null, buffer: '', addr: null }), { id: 'form-cancel' });
  const error = step.errors[f.key] ? h('p', { class: 'refusal', role: 'alert', id: `form-error-${f.key}` }, '⚠ ', step.errors[f.key]) : null;
  let body;
  if (f.type === 'choice') {
    body = h('div', { class: 'tiles picker', role: 'group', 'aria-label': f.label },
      f.options.map((o, i) => button(o, () => act.saveAnswer(f.key, o), { kind: 'tile', id: `form-option-${i}`, pressed: f.value === o })));
  } else if (f.type === 'yesNo') {
    body = h('div', { class: 'row form-yesno' },
      button(S.form.yes, () => act.saveAnswer(f.key, true), { kind: 'tile', id: 'form-yes', pressed: f.value === true }),
      button(S.form.no, () => act.saveAnswer(f.key, false), { kind: 'tile', id: 'form-no', pressed: f.value === false }));
  } else if (f.type in digitsOf) {
    const buffer = step.buffer;
    const pad = digitPad({ value: buffer, max: digitsOf[f.type], label: f.label, id: 'form-pad', onChange: (v) => upd({ buffer: v }) });
    const date = f.type === 'date' ? h('p', { class: 'form-date', id: 'form-date-shown' }, S.form.dateAs(dateShown(buffer))) : null;
    const extra = f.type === 'idNumber' && buffer.length === 17 ? button('X', () => upd({ buffer: buffer + 'X' }), { kind: 'key', id: 'form-pad-key-x' }) : null;
    const value = f.type === 'date' ? dateShown(buffer) : f.type === 'number' ? Number(buffer) : buffer;
    body = h('div', { class: 'entry' }, date, pad, extra,
      h('div', { class: 'row' }, button(S.form.save, () => act.saveAnswer(f.key, value), { kind: 'primary', id: 'form-save', disabled: !buffer || state.busy })));
  } else if (f.type === 'address') {
    body = addressPicker(f, state, act, kiosk, upd);
  } else {
    body = h('p', { class: 'note', id: 'form-no-keyboard' }, S.form.noKeyboard);
  }
  return h('div', { class: 'form-editor', id: 'form-editor' },
    h('h2', {}, S.form.editing(f.label)), f.hint ? h('p', { class: 'muted' }, f.hint) : null, error, body, h('div', { class: 'row' }, cancel));
}

function dateShown(digits) {
  if (digits.length <= 4) return digits;
  if (digits.length <= 6) return `${digits.slice(0, 4)}-${digits.slice(4)}`;
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}`;
}

function addressPicker(f, state, act, kiosk, upd) {
  const step = fs(state);
  const a = step.addr || { level: 'town', town: null, street: null, community: null, house: '' };
  const towns = kiosk.settings?.towns || [];
  const set = (patch) => upd({ addr: { ...a, ...patch } });
  const prefix = kiosk.settings?.addressPrefix || '';
  const town = towns.find((t) => t.name === a.town);
  const street = town && town.streets.find((s) => s.name === a.street);
  if (!towns.length) return h('p', { class: 'note' }, S.form.noAddressList);
  if (a.level === 'house') {
    const full = `${prefix}${a.town}${a.street || ''}${a.community || ''}${S.delivery.house(a.house)}`;
    const pad = digitPad({ value: a.house, max: 6, label: S.delivery.house, id: 'form-house', onChange: (house) => set({ house }) });
    return h('div', { class: 'entry' }, h('p', { class: 'muted' }, `${prefix}${a.town}${a.street || ''}${a.community || ''}`), pad,
      h('div', { class: 'row' }, button(S.form.save, () => act.saveAnswer(f.key, full), { kind: 'primary', id: 'form-save', disabled: !a.house || state.busy })));
  }
  const [title, options, pick] = a.level === 'town'
    ? [S.delivery.town, towns.map((t) => t.name), (name) => set({ town: name, level: 'street' })]
    : a.level === 'street'
      ? [S.delivery.street, town.streets.map((s) => s.name), (name) => set({ street: name, level: 'community' })]
      : [S.delivery.community, street.communities, (name) => set({ community: name, level: 'house' })];
  return h('div', { class: 'entry' }, h('h3', {}, title),
    h('p', { class: 'muted' }, [prefix, a.town, a.street].filter(Boolean).join(' › ')),
    h('div', { class: 'tiles picker', role: 'group', 'aria-label': title }, options.map((o, i) => button(o, () => pick(o), { kind: 'tile', id: `form-pick-${i}` }))));
}

function row(f, state, act) {
  const step = fs(state);
  const value = shown(f);
  const error = step.errors[f.key];
  const shared = f.forItems && f.forItems.length > 1 ? h('span', { class: 'form-shared' }, S.form.shared(f.forItems.length)) : null;
  const action = f.locked
    ? h('span', { class: 'form-locked', id: `form-locked-${f.key}` }, S.form.locked)
    : button(value === null ? S.form.fill : S.form.change, () => act.set({ formStep: { ...step, editing: f.key, buffer: '', addr: null } }),
      { id: `form-edit-${f.key}`, name: `${value === null ? S.form.fill : S.form.change}${f.label}` });
  return h('li', { class: `form-field${error ? ' invalid' : ''}`, id: `form-field-${f.key}` },
    h('div', { class: 'form-label' }, f.label, f.required ? h('span', { class: 'form-required', 'aria-label': S.form.requiredName }, ' *') : null, shared),
    h('div', { class: 'form-value', id: `form-value-${f.key}` }, value === null ? h('span', { class: 'muted' }, S.form.empty) : value,
      f.prefilled && !f.locked ? h('span', { class: 'form-from-card' }, S.form.fromCard) : null),
    action,
    error ? h('p', { class: 'refusal', role: 'alert', id: `form-error-${f.key}` }, '⚠ ', error) : null);
}

export function render(state, act, kiosk) {
  const form = state.draft && state.draft.form;
  if (!form) return screen('form', h('p', {}, S.form.none));
  const step = fs(state);
  const editing = step.editing && form.fields.find((f) => f.key === step.editing);
  if (editing) return screen('form', h('h1', {}, S.form.heading), editor(editing, state, act, kiosk));
  const next = () => {
    const latest = act.state().draft.form;
    if (latest.complete) return act.go('delivery');
    const errors = { ...step.errors };
    for (const key of latest.missing) errors[key] = S.form.reasons.required(latest.fields.find((f) => f.key === key).label);
    act.set({ formStep: { ...step, errors } });
  };
  return screen('form',
    h('h1', {}, S.form.heading),
    h('p', { class: 'hint' }, S.form.hint),
    h('ol', { class: 'form-fields', id: 'form-fields' }, form.fields.map((f) => row(f, state, act))),
    h('div', { class: 'actions' },
      button(S.back, () => act.go('materials'), { id: 'back' }),
      button(S.next, next, { kind: 'primary', id: 'form-next', disabled: state.busy })));
}
