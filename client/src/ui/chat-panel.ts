import {
  type ChatEntry,
  type ChatState,
  type Conversation,
  type ConversationKey,
  PUBLIC,
} from '../chat.js';
import { h, icon, replaceChildren } from './dom.js';
import { nameOf, presentPeople, type RoomModel } from './model.js';

export interface ChatActions {
  send(text: string): void;
  retry(clientMessageId: string): void;
  open(key: ConversationKey): void;
  openPrivate(participantId: string): void;
  close(): void;
}

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** The chat: conversation tabs (public + one private per person), the message log and the composer. */
export class ChatPanel {
  readonly root: HTMLElement;
  private readonly tabs = h('div', {
    class: 'conversation-tabs',
    role: 'tablist',
    'aria-label': 'Conversations',
  });
  private readonly newPrivate: HTMLSelectElement;
  private readonly banner = h('div', { class: 'conversation-banner' });
  private readonly log: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly inputLabel = h('label', { for: 'chat-input', class: 'visually-hidden' });
  private readonly sendButton: HTMLButtonElement;
  private readonly form: HTMLFormElement;
  private renderedKey: ConversationKey | null = null;
  private pickerChoices = '';
  private tabsSignature = '';

  constructor(
    private readonly chat: ChatState,
    private readonly model: RoomModel,
    private readonly actions: ChatActions,
  ) {
    // Choosing does not open: arrow keys change a select's value, so opening on change would
    // open the first person's conversation on the first ArrowDown.
    this.newPrivate = h('select', {
      id: 'new-private',
      class: 'new-private',
      onkeydown: (event: Event) => {
        if ((event as KeyboardEvent).key !== 'Enter') return;
        event.preventDefault();
        this.openChosen();
      },
    });
    // Not live: it re-renders with the room; the app's Announcer says each new message once.
    this.log = h('div', {
      class: 'message-log',
      role: 'log',
      'aria-live': 'off',
      'aria-label': 'Messages',
      tabindex: '0',
      id: 'chat-log',
    });
    this.input = h('textarea', {
      id: 'chat-input',
      rows: 1,
      maxlength: 2000,
      autocomplete: 'off',
      onkeydown: (event: Event) => {
        const key = event as KeyboardEvent;
        if (key.key === 'Enter' && !key.shiftKey && !key.isComposing) {
          key.preventDefault();
          this.form.requestSubmit();
        }
      },
    });
    this.sendButton = h(
      'button',
      { type: 'submit', class: 'icon-button send-button', 'aria-label': 'Send message' },
      icon('send'),
    );
    this.form = h(
      'form',
      {
        class: 'composer',
        onsubmit: (event: Event) => {
          event.preventDefault();
          const text = this.input.value.trim();
          if (!text || this.sendButton.disabled) return;
          this.input.value = '';
          this.actions.send(text);
        },
      },
      this.inputLabel,
      this.input,
      this.sendButton,
    );
    this.root = h(
      'section',
      { class: 'panel chat-panel', 'aria-labelledby': 'chat-title' },
      h(
        'header',
        { class: 'panel-header' },
        h('h2', { id: 'chat-title' }, 'Chat'),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-button',
            'aria-label': 'Close chat',
            onclick: () => this.actions.close(),
          },
          icon('close'),
        ),
      ),
      this.tabs,
      h(
        'form',
        {
          class: 'field-compact new-private-form',
          onsubmit: (event: Event) => {
            event.preventDefault();
            this.openChosen();
          },
        },
        h(
          'label',
          { for: 'new-private', class: 'visually-hidden' },
          'Start a private conversation',
        ),
        this.newPrivate,
        h(
          'button',
          { type: 'submit', class: 'small-button', 'aria-label': 'Open private conversation' },
          'Open',
        ),
      ),
      this.banner,
      this.log,
      this.form,
    );
  }

  private openChosen(): void {
    const id = this.newPrivate.value;
    this.newPrivate.value = '';
    if (id) this.actions.openPrivate(id);
  }

  focusInput(): void {
    this.input.focus();
  }

  render(): void {
    const active = this.chat.get(this.chat.active);
    if (!active) return;
    this.renderTabs();
    this.renderPicker();
    this.renderBanner(active);
    this.renderLog(active);
  }

  private renderTabs(): void {
    const conversations = this.chat.list();
    const labelOf = (c: Conversation) =>
      c.peerId === null ? 'Everyone' : nameOf(this.model, c.peerId);
    // The room re-renders often; re-creating the focused tab would make screen readers repeat it.
    const signature = JSON.stringify(
      conversations.map((c) => [c.key, labelOf(c), c.key === this.chat.active, c.unread]),
    );
    if (signature === this.tabsSignature) return;
    this.tabsSignature = signature;
    const focusedKey = (document.activeElement as HTMLElement | null)?.dataset.conversation;
    this.tabs.replaceChildren(
      ...conversations.map((c) => {
        const isPrivate = c.peerId !== null;
        const selected = c.key === this.chat.active;
        const label = labelOf(c);
        const tab = h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: `conversation-tab${isPrivate ? ' is-private' : ''}`,
            'aria-selected': String(selected),
            'aria-controls': 'chat-log',
            tabindex: selected ? '0' : '-1',
            'data-conversation': c.key,
            'aria-label': isPrivate
              ? `Private conversation with ${label}${c.unread ? `, ${c.unread} unread` : ''}`
              : `Everyone${c.unread ? `, ${c.unread} unread` : ''}`,
            onclick: () => this.actions.open(c.key),
            onkeydown: (event: Event) =>
              this.onTabKey(event as KeyboardEvent, conversations, c.key),
          },
          icon(isPrivate ? 'lock' : 'globe', 'icon icon-small'),
          h('span', { class: 'tab-label' }, label),
          c.unread > 0
            ? h('span', { class: 'unread', 'aria-hidden': 'true' }, String(c.unread))
            : null,
        );
        return tab;
      }),
    );
    if (focusedKey)
      this.tabs
        .querySelector<HTMLElement>(`[data-conversation="${CSS.escape(focusedKey)}"]`)
        ?.focus();
  }

  private onTabKey(
    event: KeyboardEvent,
    conversations: Conversation[],
    key: ConversationKey,
  ): void {
    const index = conversations.findIndex((c) => c.key === key);
    const count = conversations.length;
    const target: Record<string, number> = {
      ArrowRight: (index + 1) % count,
      ArrowLeft: (index - 1 + count) % count,
      Home: 0,
      End: count - 1,
    };
    const to = target[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = conversations[to];
    if (next) {
      this.actions.open(next.key);
      this.tabs
        .querySelector<HTMLElement>(`[data-conversation="${CSS.escape(next.key)}"]`)
        ?.focus();
    }
  }

  private renderPicker(): void {
    const others = presentPeople(this.model).filter((p) => !p.isSelf);
    // The room re-renders often (e.g. on every active-speaker change): keep the person chosen.
    const choices = JSON.stringify(others.map((p) => [p.participantId, p.displayName]));
    if (choices === this.pickerChoices) return;
    this.pickerChoices = choices;
    const chosen = this.newPrivate.value;
    this.newPrivate.replaceChildren(
      h(
        'option',
        { value: '' },
        others.length ? 'Message someone privately…' : 'No one else is here yet',
      ),
      ...others.map((p) =>
        h(
          'option',
          { value: p.participantId, selected: p.participantId === chosen },
          p.displayName,
        ),
      ),
    );
    this.newPrivate.disabled = others.length === 0;
  }

  private renderBanner(active: Conversation): void {
    const peerId = active.peerId;
    this.root.classList.toggle('is-private', peerId !== null);
    if (peerId === null) {
      this.banner.className = 'conversation-banner';
      this.banner.replaceChildren(
        icon('globe', 'icon icon-small'),
        h('span', {}, 'Everyone in the meeting can see these messages'),
      );
      this.setComposer(true, 'Message everyone');
      return;
    }
    const name = nameOf(this.model, peerId);
    const present = this.model.people.get(peerId)?.present ?? false;
    this.banner.className = 'conversation-banner is-private';
    replaceChildren(
      this.banner,
      icon('lock', 'icon icon-small'),
      h('span', {}, h('strong', {}, 'Private'), ` — only you and ${name} can see these messages`),
      present
        ? null
        : h(
            'span',
            { class: 'banner-note' },
            `${name} has left the meeting. You can send again when they are back.`,
          ),
    );
    this.setComposer(present, `Private message to ${name}`);
  }

  private setComposer(enabled: boolean, label: string): void {
    this.inputLabel.textContent = label;
    this.input.placeholder = label;
    this.input.disabled = !enabled;
    this.sendButton.disabled = !enabled;
  }

  private renderLog(active: Conversation): void {
    const stick =
      this.renderedKey !== active.key ||
      this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    this.renderedKey = active.key;
    if (active.messages.length === 0) {
      this.log.replaceChildren(
        h(
          'p',
          { class: 'empty' },
          active.peerId === null ? 'No messages yet. Say hello!' : 'No private messages yet.',
        ),
      );
    } else {
      this.log.replaceChildren(...active.messages.map((m) => this.renderEntry(m)));
    }
    if (stick) this.log.scrollTop = this.log.scrollHeight;
  }

  private renderEntry(entry: ChatEntry): HTMLElement {
    if (entry.state === 'sent') {
      const m = entry.message;
      const mine = m.from.participantId === this.model.selfId;
      return h(
        'article',
        {
          class: `message${mine ? ' is-mine' : ''}${m.kind === 'private' ? ' is-private' : ''}`,
          'data-message-id': m.id,
          'data-kind': m.kind,
        },
        h(
          'header',
          { class: 'message-meta' },
          h('span', { class: 'message-author' }, mine ? 'You' : m.from.displayName),
          h('time', { datetime: m.sentAt }, time.format(new Date(m.sentAt))),
        ),
        h('p', { class: 'message-text' }, m.text),
      );
    }
    return h(
      'article',
      {
        class: `message is-mine is-${entry.state}${this.chat.active === PUBLIC ? '' : ' is-private'}`,
      },
      h(
        'header',
        { class: 'message-meta' },
        h('span', { class: 'message-author' }, 'You'),
        h('span', {}, entry.state === 'pending' ? 'Sending…' : 'Not sent'),
      ),
      h('p', { class: 'message-text' }, entry.text),
      entry.state === 'failed'
        ? h(
            'p',
            // Not an alert: this re-renders; the app announces the failure once.
            { class: 'message-error' },
            entry.error ?? 'Not sent.',
            // Like the composer: no retry while the recipient is away.
            this.input.disabled
              ? null
              : [
                  ' ',
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'link-button',
                      onclick: () => this.actions.retry(entry.clientMessageId),
                    },
                    'Try again',
                  ),
                ],
          )
        : null,
    );
  }
}
