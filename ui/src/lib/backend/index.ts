// Picks the backend: the Tauri shell inside the app; herald-server's API when the page is
// served by herald-server (it marks index.html); the in-memory fake anywhere else (the
// browser tests, `npm run dev` in a plain browser). The web and fake backends are separate
// chunks, loaded only where they are used.
import { tauriBackend } from "./tauri";
import type { Backend } from "./types";

export function insideTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

/** herald-server adds `<meta name="herald-backend" content="server">` to the page it serves. */
export function servedByHerald(): boolean {
  return document.querySelector('meta[name="herald-backend"]')?.getAttribute("content") === "server";
}

export async function pickBackend(): Promise<Backend> {
  if (insideTauri()) return tauriBackend();
  if (servedByHerald()) {
    const { WebBackend } = await import("./web");
    return new WebBackend();
  }
  const { FakeBackend } = await import("./fake");
  const fake = new FakeBackend();
  (window as unknown as { heraldFake: unknown }).heraldFake = fake;
  return fake;
}

export type * from "./types";
