// 维护中: the configured message; the kiosk comes back by itself when the API reopens.
import { S } from './strings.js';
import { h, screen } from './ui.js';

export function render(state, act, kiosk) {
  return screen('maintenance', h('div', { class: 'center' },
    h('div', { class: 'big-icon', 'aria-hidden': 'true' }, '⚙'),
    h('h1', { id: 'maintenance-message' }, state.maintenanceMessage || S.maintenance.heading),
    h('p', { class: 'hint' }, S.maintenance.hint),
    kiosk.settings?.consultationPhone ? h('p', { class: 'muted' }, S.maintenance.phone(kiosk.settings.consultationPhone)) : null));
}
