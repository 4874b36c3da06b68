import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// The UI is served by Tauri from ui/dist, by herald-server at / (the web app, with the
// service worker at /sw.js), or by `vite preview` for the browser tests, where the fake
// backend answers. No remote resources: everything is bundled.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: "es2022",
    // Inline nothing: the CSP allows scripts and styles from 'self' only.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      // The service worker (src/sw/sw.ts) is built beside the page at a fixed URL, /sw.js,
      // so that its scope is the whole app; everything else gets hashed names.
      input: { main: "index.html", sw: "src/sw/sw.ts" },
      output: {
        entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
      },
    },
  },
  resolve: process.env.VITEST ? { conditions: ["browser"] } : {},
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/test-setup.ts"],
  },
});
