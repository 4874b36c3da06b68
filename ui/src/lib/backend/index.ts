// Picks the backend: the Tauri shell inside the app, the in-memory fake anywhere else (the
// browser tests, `npm run dev` in a plain browser). The fake is a separate chunk, loaded only
// when there is no shell.
import { tauriBackend } from "./tauri";
import type { Backend } from "./types";

export function insideTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

export async function pickBackend(): Promise<Backend> {
  if (insideTauri()) return tauriBackend();
  const { FakeBackend } = await import("./fake");
  const fake = new FakeBackend();
  (window as unknown as { heraldFake: unknown }).heraldFake = fake;
  return fake;
}

export type * from "./types";
