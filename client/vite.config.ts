import { defineConfig } from 'vite';

// Built from the repository root (`vite build --config client/vite.config.ts`); paths are
// relative to this file so it also works from elsewhere.
const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  build: {
    outDir: `${here}dist`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    assetsInlineLimit: 0,
  },
});
