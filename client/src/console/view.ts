import type { AdminApi, Scope } from './api.js';

/** What a view gets: the API, the key's scopes, and a way to go elsewhere. */
export interface ViewContext {
  api: AdminApi;
  scopes: Set<Scope>;
  navigate(hash: string): void;
}

/** One screen of the console, rendered into the main region; `dispose` stops its polling. */
export interface View {
  title: string;
  el: HTMLElement;
  dispose?(): void;
}
