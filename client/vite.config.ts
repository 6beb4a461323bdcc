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
    // Two pages: the meeting client (index.html) and the admin console (console.html).
    rollupOptions: { input: { index: `${here}index.html`, console: `${here}console.html` } },
  },
});
