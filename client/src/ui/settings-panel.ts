import type { MediaKind } from '../../../src/protocol/events.js';
import type { Devices } from '../devices.js';
import type { DeviceChoice } from '../local-media.js';
import { h, icon } from './dom.js';

export interface SettingsActions {
  choose(kind: MediaKind, deviceId: string): void;
  chooseSpeaker(deviceId: string): void;
  retry(kind: MediaKind): void;
  close(): void;
}

interface DeviceField {
  select: HTMLSelectElement;
  problem: HTMLElement;
  problemText: HTMLElement;
  retry: HTMLButtonElement;
  /** What the options were made from (re-made only when it changes: the select may have focus). */
  signature: string;
}

const LABELS: Record<MediaKind, string> = { video: 'Camera', audio: 'Microphone' };

/**
 * Camera, microphone and speaker during the call, and what is wrong with a device that does not
 * work, with "Try again". Its elements live as long as the room: a re-render updates them in
 * place, so a person choosing in a select keeps their focus.
 */
export class SettingsPanel {
  readonly root: HTMLElement;
  private readonly fields: Record<MediaKind, DeviceField>;
  private readonly speaker?: { select: HTMLSelectElement; signature: string };

  constructor(
    private readonly devices: Devices,
    private readonly actions: SettingsActions,
  ) {
    this.fields = { video: this.field('video'), audio: this.field('audio') };
    if (devices.canChooseSpeaker)
      this.speaker = {
        select: h('select', {
          id: 'settings-speaker',
          onchange: () => this.actions.chooseSpeaker(this.speaker?.select.value ?? ''),
        }),
        signature: '',
      };
    this.root = h(
      'section',
      { class: 'panel settings-panel', 'aria-labelledby': 'settings-title' },
      h(
        'header',
        { class: 'panel-header' },
        h('h2', { id: 'settings-title', tabindex: '-1' }, 'Settings'),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-button',
            'aria-label': 'Close settings',
            onclick: () => this.actions.close(),
          },
          icon('close'),
        ),
      ),
      h(
        'div',
        { class: 'panel-body' },
        this.fieldElement('video'),
        this.fieldElement('audio'),
        h(
          'div',
          { class: 'field' },
          this.speaker
            ? [h('label', { for: 'settings-speaker' }, 'Speaker'), this.speaker.select]
            : [
                h('span', { class: 'field-label' }, 'Speaker'),
                h(
                  'p',
                  { class: 'muted' },
                  'This browser plays the meeting on your system’s sound output; change it in your system settings.',
                ),
              ],
        ),
      ),
    );
  }

  focusHeading(): void {
    this.root.querySelector<HTMLElement>('#settings-title')?.focus();
  }

  /** How many devices are not working (the Settings button shows it). */
  problems(): number {
    return (['video', 'audio'] as const).filter((k) => this.devices.problem(k) !== undefined)
      .length;
  }

  render(): void {
    for (const kind of ['video', 'audio'] as const) this.renderField(kind);
    if (this.speaker) {
      const { select } = this.speaker;
      this.speaker.signature = fill(
        select,
        this.speaker.signature,
        this.devices.lists.speaker,
        this.devices.speakerId || (this.devices.lists.speaker[0]?.deviceId ?? ''),
        'No speaker found',
      );
      select.disabled = this.devices.lists.speaker.length === 0;
    }
  }

  private renderField(kind: MediaKind): void {
    const field = this.fields[kind];
    const list = this.devices.lists[kind];
    const problem = this.devices.problem(kind);
    const busy = this.devices.busy.has(kind);
    field.signature = fill(
      field.select,
      field.signature,
      list,
      this.devices.current(kind) ?? '',
      kind === 'video' ? 'No camera found' : 'No microphone found',
    );
    field.select.disabled = list.length === 0 || busy;
    field.problem.hidden = problem === undefined;
    field.problemText.textContent = problem ?? '';
    field.retry.disabled = busy;
  }

  private field(kind: MediaKind): DeviceField {
    const id = `settings-${kind === 'video' ? 'camera' : 'microphone'}`;
    const select = h('select', {
      id,
      'aria-describedby': `${id}-problem`,
      onchange: () => this.actions.choose(kind, select.value),
    });
    const problemText = h('span', {});
    const retry = h(
      'button',
      {
        type: 'button',
        class: 'small-button primary',
        'aria-label': `Try again: ${LABELS[kind].toLowerCase()}`,
        onclick: () => this.actions.retry(kind),
      },
      'Try again',
    );
    const problem = h(
      'div',
      { class: 'notice notice-error device-problem', id: `${id}-problem`, hidden: true },
      problemText,
      retry,
    );
    return { select, problem, problemText, retry, signature: '' };
  }

  private fieldElement(kind: MediaKind): HTMLElement {
    const field = this.fields[kind];
    return h(
      'div',
      { class: 'field' },
      h('label', { for: field.select.id }, LABELS[kind]),
      field.select,
      field.problem,
    );
  }
}

/** Re-makes a select's options if the list changed, selects `current`; returns the new signature. */
function fill(
  select: HTMLSelectElement,
  signature: string,
  list: DeviceChoice[],
  current: string,
  none: string,
): string {
  const next = JSON.stringify(list);
  if (next !== signature)
    select.replaceChildren(
      ...(list.length > 0
        ? list.map((d) => h('option', { value: d.deviceId }, d.label))
        : [h('option', { value: '' }, none)]),
    );
  if (list.some((d) => d.deviceId === current)) select.value = current;
  return next;
}
