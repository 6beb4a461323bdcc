import type { AdminApi, LiveParticipant, LobbyEntry, Room, RoomMedia } from './api.js';
import { announce, errorBox, formatTime, h, row, table } from './ui.js';

const POLL_MS = 3000;
const PEOPLE_HEADERS = ['Name', 'Role', 'Microphone', 'Camera', 'Joined', 'Actions'];
const LOBBY_HEADERS = ['Name', 'Waiting since', 'Actions'];

type MediaState = 'on' | 'muted' | 'off';

/** A participant's audio or video as the server forwards it: sending, paused, or not sent. */
function mediaState(media: RoomMedia, participantId: string, kind: 'audio' | 'video'): MediaState {
  const producers = media.participants
    .filter((p) => p.participantId === participantId)
    .flatMap((p) => p.producers)
    .filter((p) => p.kind === kind);
  if (producers.length === 0) return 'off';
  return producers.some((p) => !p.paused) ? 'on' : 'muted';
}

const STATE_WORDS: Record<MediaState, string> = { on: 'On', muted: 'Muted', off: 'Not sending' };

interface Snapshot {
  people: LiveParticipant[];
  lobby: LobbyEntry[];
  media: RoomMedia;
}

/**
 * Who is in the room now (role, microphone, camera) and who waits in the lobby, polled every
 * few seconds; kick, mute, admit and reject. Re-rendered only when something changed, and the
 * focused button keeps focus across a re-render.
 */
export function liveSection(api: AdminApi, room: Room): { el: HTMLElement; dispose(): void } {
  const errors = errorBox();
  /** Polling failures, apart from an action's error (which the next poll must not clear). */
  const pollErrors = errorBox();
  const people = h('div', {});
  const lobby = h('div', {});
  const updated = h('p', { class: 'hint' });
  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'live-title' },
    h('h2', { id: 'live-title' }, 'Live'),
    updated,
    pollErrors.el,
    errors.el,
    room.lobby ? h('h3', {}, 'Lobby') : null,
    room.lobby ? lobby : null,
    h('h3', {}, 'In the room'),
    people,
  );
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const act = (
    label: string,
    ariaLabel: string,
    key: string,
    run: () => Promise<void>,
    done: string,
    cls = 'secondary',
  ) => {
    const button = h(
      'button',
      { type: 'button', class: cls, 'data-key': key, 'aria-label': ariaLabel },
      label,
    );
    button.addEventListener('click', () => {
      button.disabled = true;
      errors.clear();
      run()
        .then(() => {
          announce(done);
          return refresh();
        })
        .catch((error: unknown) => errors.show(error))
        .finally(() => (button.disabled = false));
    });
    return button;
  };

  const render = (snap: Snapshot) => {
    const focusedKey = (document.activeElement as HTMLElement | null)?.dataset?.key;
    people.replaceChildren(
      snap.people.length
        ? table(
            `${snap.people.length} connected`,
            PEOPLE_HEADERS,
            snap.people.map((p) => {
              const audio = mediaState(snap.media, p.participantId, 'audio');
              const video = mediaState(snap.media, p.participantId, 'video');
              const tr = row(PEOPLE_HEADERS, [
                p.displayName,
                p.role,
                STATE_WORDS[audio],
                STATE_WORDS[video],
                formatTime(p.joinedAt),
                h(
                  'div',
                  { class: 'actions' },
                  audio === 'on'
                    ? act(
                        'Mute microphone',
                        `Mute microphone: ${p.displayName}`,
                        `mute-audio-${p.participantId}`,
                        () => api.mute(room.id, p.participantId, 'audio'),
                        `${p.displayName}'s microphone muted`,
                      )
                    : null,
                  video === 'on'
                    ? act(
                        'Stop camera',
                        `Stop camera: ${p.displayName}`,
                        `mute-video-${p.participantId}`,
                        () => api.mute(room.id, p.participantId, 'video'),
                        `${p.displayName}'s camera stopped`,
                      )
                    : null,
                  act(
                    'Remove',
                    `Remove ${p.displayName} from the room`,
                    `kick-${p.participantId}`,
                    () => api.kick(room.id, p.participantId),
                    `${p.displayName} removed`,
                    'danger',
                  ),
                ),
              ]);
              tr.dataset.participantId = p.participantId;
              return tr;
            }),
          )
        : h('p', {}, 'Nobody is connected.'),
    );
    lobby.replaceChildren(
      snap.lobby.length
        ? table(
            `${snap.lobby.length} waiting`,
            LOBBY_HEADERS,
            snap.lobby.map((p) =>
              row(LOBBY_HEADERS, [
                p.displayName,
                formatTime(p.waitingSince),
                h(
                  'div',
                  { class: 'actions' },
                  act(
                    'Admit',
                    `Admit ${p.displayName}`,
                    `admit-${p.participantId}`,
                    () => api.admit(room.id, p.participantId),
                    `${p.displayName} admitted`,
                    'primary',
                  ),
                  act(
                    'Reject',
                    `Reject ${p.displayName}`,
                    `reject-${p.participantId}`,
                    () => api.reject(room.id, p.participantId),
                    `${p.displayName} rejected`,
                    'danger',
                  ),
                ),
              ]),
            ),
          )
        : h('p', {}, 'Nobody is waiting.'),
    );
    if (focusedKey) el.querySelector<HTMLElement>(`[data-key="${focusedKey}"]`)?.focus();
  };

  const refresh = async () => {
    const [list, waiting, media] = await Promise.all([
      api.participants(room.id),
      room.lobby ? api.lobby(room.id) : Promise.resolve([]),
      api.media(room.id),
    ]);
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${POLL_MS / 1000} s.`;
    const snap = { people: list, lobby: waiting, media };
    const signature = JSON.stringify([
      list,
      waiting,
      list.map((p) => [
        mediaState(media, p.participantId, 'audio'),
        mediaState(media, p.participantId, 'video'),
      ]),
    ]);
    if (signature !== last) {
      const waitingBefore = last ? (JSON.parse(last) as unknown[])[1] : [];
      last = signature;
      render(snap);
      if (Array.isArray(waitingBefore) && waiting.length > waitingBefore.length)
        announce(`${waiting.length} waiting in the lobby`);
    }
    pollErrors.clear();
  };

  const loop = () => {
    if (stopped) return;
    refresh()
      .catch((error: unknown) => pollErrors.show(error))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, POLL_MS);
      });
  };
  loop();
  return {
    el,
    dispose: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
