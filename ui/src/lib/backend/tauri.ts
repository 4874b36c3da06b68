// The Tauri implementation of the seam: each call is one command of the shell.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { PrefEdit } from "../generated/protocol";
import { asBackendError, type Backend, type UiEvent } from "./types";

/** The event the shell emits every UiEvent on. */
export const EVENT = "herald://ui";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw asBackendError(error);
  }
}

export function tauriBackend(): Backend {
  return {
    sessionState: () => call("session_state"),
    signIn: (server, email, password) => call("sign_in", { server, email, password }),
    signOut: (accountId) => call("sign_out", { accountId: accountId ?? null }),
    switchAccount: (accountId) => call("switch_account", { accountId }),
    bell: () => call("bell"),
    loadOlder: (limit) => call("load_older", { limit }),
    mark: (ids, read) => call("mark", { ids, read }),
    markAll: () => call("mark_all"),
    snooze: (target, until, accountId) =>
      call("snooze", { target, until: until ?? null, accountId: accountId ?? null }),
    openItem: (id) => call("open_item", { id }),
    why: (id) => call("why", { id }),
    preferences: () => call("preferences"),
    previewRules: () => call("preview_rules"),
    editPreferences: (edit: PrefEdit) => call("edit_preferences", { edit }),
    pause: (preset) => call("pause", { preset }),
    retrySave: () => call("retry_save"),
    sendTest: (mention) => call("send_test", { mention: mention ?? false }),
    diagnostics: () => call("diagnostics"),
    setDeviceMuted: (muted) => call("set_device_muted", { muted }),
    autostart: () => call("autostart"),
    setAutostart: (on) => call("set_autostart", { on }),
    subscribe: async (handler) => listen<UiEvent>(EVENT, (event) => handler(event.payload)),
  };
}
