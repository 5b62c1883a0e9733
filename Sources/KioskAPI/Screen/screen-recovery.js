// 恢复中: kioskd does not answer (restarting, crashed): a calm screen that retries by itself.
import { S } from './strings.js';
import { h, screen } from './ui.js';

export function render() {
  return screen('recovery', h('div', { class: 'center' },
    h('div', { class: 'spinner', 'aria-hidden': 'true' }),
    h('h1', { id: 'recovery' }, S.recovery.heading),
    h('p', { class: 'hint' }, S.recovery.hint)));
}
