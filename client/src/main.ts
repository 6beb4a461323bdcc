import { App } from './app.js';
import { readJoinLink } from './token.js';

const root = document.getElementById('app');
if (root) {
  const link = readJoinLink(window.location, window.history, window.sessionStorage);
  new App(root, link).start();
}
