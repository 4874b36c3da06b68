// "Never silently offline", in the web app: the same rule as herald-core's
// (crates/core/src/client/offline.rs) for a tab. After a minute without a live stream the
// tab says so once (the banner, and a browser notification where notifications are
// allowed); when the stream is live again it says so once, with how many items the replay
// caught up. A short blip says nothing.
import type { ConnState } from "../types";

/** A minute, as in the desktop app; a test may shorten it for one browser profile. */
export const OFFLINE_AFTER_KEY = "herald.offline_after_ms";

export function offlineAfter(): number {
  const chosen = Number(localStorage.getItem(OFFLINE_AFTER_KEY));
  return Number.isFinite(chosen) && chosen > 0 ? chosen : 60_000;
}

export type OfflineHooks = {
  /** The banner: offline (true) or back (false). */
  changed(offline: boolean): void;
  /** One notification for the whole outage, and one when back with `caughtUp` items. */
  notify(offline: boolean, caughtUp: number): void;
};

export class OfflineWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private offline = false;
  private caughtUp = 0;

  constructor(
    private readonly hooks: OfflineHooks,
    private readonly after: () => number = offlineAfter,
  ) {}

  /** Follows the connection; `stopped` and `signed_out` end the watch without a notice. */
  state(state: ConnState): void {
    if (state.state === "live") {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (this.offline) {
        this.offline = false;
        this.hooks.changed(false);
        this.hooks.notify(false, this.caughtUp);
      }
      return;
    }
    if (state.state === "stopped" || state.state === "signed_out") {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (this.offline) {
        this.offline = false;
        this.hooks.changed(false);
      }
      return;
    }
    if (this.timer === undefined && !this.offline) {
      this.caughtUp = 0;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.offline = true;
        this.hooks.changed(true);
        this.hooks.notify(true, 0);
      }, this.after());
    }
  }

  /** An item replayed after the outage. */
  replayed(): void {
    if (this.offline) this.caughtUp += 1;
  }
}
