import { h } from './dom.js';
import type { Arrangement, LayoutMode } from './stage-layout.js';

export interface StageToolbarActions {
  layout(mode: LayoutMode): void;
  /** +1 for the next page, -1 for the previous one. */
  turn(by: 1 | -1): void;
}

/**
 * Above the tiles: the layout switch (grid or speaker, a pair of toggle buttons) and, when there
 * is more than one page, the previous/next buttons with the page number, announced politely.
 */
export class StageToolbar {
  readonly root: HTMLElement;
  private readonly modes: Record<LayoutMode, HTMLButtonElement>;
  private readonly pager: HTMLElement;
  private readonly previous: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly status = h('span', {
    class: 'pager-status',
    role: 'status',
    'aria-live': 'polite',
  });

  constructor(actions: StageToolbarActions) {
    const modeButton = (mode: LayoutMode, label: string) =>
      h(
        'button',
        {
          type: 'button',
          class: 'stage-button',
          'aria-pressed': 'false',
          'data-layout': mode,
          onclick: () => actions.layout(mode),
        },
        label,
      );
    this.modes = { grid: modeButton('grid', 'Grid'), speaker: modeButton('speaker', 'Speaker') };
    const pageButton = (by: 1 | -1, label: string) =>
      h(
        'button',
        { type: 'button', class: 'stage-button', onclick: () => actions.turn(by) },
        label,
      );
    this.previous = pageButton(-1, '‹ Previous page');
    this.next = pageButton(1, 'Next page ›');
    this.pager = h(
      'div',
      { class: 'pager', role: 'group', 'aria-label': 'Pages of videos' },
      this.previous,
      this.status,
      this.next,
    );
    this.root = h(
      'div',
      { class: 'stage-toolbar' },
      h(
        'div',
        { class: 'layout-switch', role: 'group', 'aria-label': 'Layout' },
        this.modes.grid,
        this.modes.speaker,
      ),
      this.pager,
    );
  }

  render(mode: LayoutMode, arrangement: Arrangement): void {
    for (const [name, button] of Object.entries(this.modes))
      button.setAttribute('aria-pressed', String(name === mode));
    const { page, pageCount } = arrangement;
    this.pager.hidden = pageCount <= 1;
    // Empty while there is one page: nothing to announce from a hidden pager.
    const text = pageCount > 1 ? `Page ${page + 1} of ${pageCount}` : '';
    if (this.status.textContent !== text) this.status.textContent = text;
    // aria-disabled, not disabled: the button keeps the focus of someone paging by keyboard.
    this.previous.setAttribute('aria-disabled', String(page === 0));
    this.next.setAttribute('aria-disabled', String(page >= pageCount - 1));
  }
}
