// The IPC contract seen from the UI: every UiEvent the Rust side pins in its golden files
// (crates/core/tests/golden/event_*.json) is one the UI's generated types describe and its
// state applies. With the Rust golden test and the TypeScript staleness test, neither side
// can drift from the other.
import { expect, test, vi } from "vitest";
import type { UiEvent } from "../generated/core";
import { AppState } from "../state.svelte";
import { FakeBackend } from "./fake";

vi.mock("../sound", () => ({ play: vi.fn() }));

const golden = import.meta.glob<UiEvent>("../../../../crates/core/tests/golden/event_*.json", {
  eager: true,
  import: "default",
});

const EVERY_TYPE: UiEvent["type"][] = [
  "item",
  "read_changed",
  "reset",
  "unread",
  "preferences",
  "connection",
  "save",
  "focus_item",
  "offline",
  "signed_out",
  "restored",
  "accounts",
];

test("every event type Rust sends has a golden sample", () => {
  const types = Object.values(golden).map((event) => event.type);
  expect(new Set(types)).toEqual(new Set(EVERY_TYPE));
});

test("the UI applies every golden event", async () => {
  const app = new AppState(new FakeBackend({ items: 0 }));
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  for (const [file, event] of Object.entries(golden)) {
    expect(() => app.apply(event), file).not.toThrow();
  }
  expect(app.items.some((n) => n.event_id === "evt-77"), "the golden item is in the bell").toBe(true);
  expect(app.items.find((n) => n.event_id === "evt-77")?.account, "with its account").toBe("a1b2c3d4");
  expect(app.accounts?.accounts.map((a) => a.label)).toEqual(["Acme", "herald.beta.example"]);
  expect(app.unread).toBe(7);
  expect(app.save).toEqual({ state: "failed", kind: "offline", message: "cannot reach the server" });
  expect(app.phase, "the golden signed_out event signs out").toBe("signed_out");
});
