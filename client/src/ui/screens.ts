import type { Ending } from '../reconnect-policy.js';
import { messageScreen } from './feedback.js';

/** The whole-page screens other than pre-join and the room. */

export const noLinkScreen = (): HTMLElement =>
  messageScreen({
    title: 'Open your join link',
    text: 'To join a meeting, open the link you were sent by the organiser. It contains your personal invitation.',
    tone: 'error',
  });

export const lobbyScreen = (leave: () => void): HTMLElement =>
  messageScreen({
    title: 'Waiting to be admitted',
    text: 'A host will let you in shortly. Keep this page open.',
    busy: true,
    actions: [{ label: 'Leave', run: leave }],
  });

/** The end of the meeting for this person; Rejoin reloads the page (the token stays in this tab). */
export const endScreen = ({ title, text, canRejoin }: Ending): HTMLElement =>
  messageScreen({
    title,
    text,
    tone: canRejoin ? 'info' : 'error',
    actions: canRejoin
      ? [{ label: 'Rejoin', primary: true, run: () => window.location.reload() }]
      : [],
  });
