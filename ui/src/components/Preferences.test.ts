import { fireEvent, render, screen } from "@testing-library/svelte";
import { expect, test } from "vitest";
import { FakeBackend } from "../lib/backend/fake";
import { AppState } from "../lib/state.svelte";
import Preferences from "./Preferences.svelte";

test("a toggle is applied at once and the saving state is visible until saved", async () => {
  const fake = new FakeBackend();
  fake.saveDelayMs = 30;
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  render(Preferences, { props: { app } });
  const box = screen.getByTestId("pref-new_conversation-push") as HTMLInputElement;
  expect(box.checked).toBe(false);
  await fireEvent.click(box);
  expect(fake.calls).toContain("edit:channel");
  expect(app.prefs?.events.new_conversation.push).toBe(true);
  expect(screen.getByTestId("save-status").dataset.state).toBe("saving");
  await new Promise((r) => setTimeout(r, 60));
  expect(screen.getByTestId("save-status").dataset.state).toBe("saved");
});
