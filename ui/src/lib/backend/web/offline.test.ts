import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { OfflineWatch } from "./offline";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function watch() {
  const said: string[] = [];
  const w = new OfflineWatch(
    {
      changed: (offline) => said.push(offline ? "banner" : "no banner"),
      notify: (offline, n) => said.push(offline ? "offline" : `back, ${n} caught up`),
    },
    () => 60_000,
  );
  return { w, said };
}

test("a minute without a live stream says offline once, and back once with what was caught up", () => {
  const { w, said } = watch();
  w.state({ state: "live" });
  w.state({ state: "reconnecting", attempt: 1, retry_in_ms: 500 });
  vi.advanceTimersByTime(59_000);
  expect(said).toEqual([]);
  w.state({ state: "connecting", attempt: 1 });
  w.state({ state: "reconnecting", attempt: 2, retry_in_ms: 1000 });
  vi.advanceTimersByTime(1_000);
  expect(said).toEqual(["banner", "offline"]);
  w.state({ state: "reconnecting", attempt: 3, retry_in_ms: 2000 });
  vi.advanceTimersByTime(120_000);
  expect(said, "one notice for the whole outage").toEqual(["banner", "offline"]);
  w.replayed();
  w.replayed();
  w.state({ state: "live" });
  expect(said).toEqual(["banner", "offline", "no banner", "back, 2 caught up"]);
});

test("a blip says nothing, and signing out ends the watch quietly", () => {
  const { w, said } = watch();
  w.state({ state: "reconnecting", attempt: 1, retry_in_ms: 500 });
  vi.advanceTimersByTime(5_000);
  w.state({ state: "live" });
  vi.advanceTimersByTime(120_000);
  expect(said).toEqual([]);
  w.state({ state: "reconnecting", attempt: 1, retry_in_ms: 500 });
  w.state({ state: "signed_out", reason: "session_revoked" });
  vi.advanceTimersByTime(120_000);
  expect(said).toEqual([]);
});
