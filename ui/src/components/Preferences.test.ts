import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { expect, test } from "vitest";
import { FakeBackend } from "../lib/backend/fake";
import { AppState } from "../lib/state.svelte";
import Preferences from "./Preferences.svelte";

/** The app signed in to `fake`. */
async function signedIn(fake: FakeBackend): Promise<AppState> {
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  return app;
}

test("a toggle is applied at once and the saving state is visible until saved", async () => {
  const fake = new FakeBackend();
  fake.saveDelayMs = 30;
  const app = await signedIn(fake);
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

test("a test mention shows what was observed and, per channel, what the rules decided", async () => {
  const fake = new FakeBackend();
  fake.saveDelayMs = 0;
  const app = await signedIn(fake);
  render(Preferences, { props: { app } });
  await fireEvent.click(screen.getByTestId("test-mention"));
  const result = await screen.findByTestId("test-result");
  expect(app.items[0]?.kind).toBe("mention");
  const lines = [...result.querySelectorAll("p")].map((p) => p.textContent ?? "");
  expect(lines.some((l) => l.startsWith("Bell:"))).toBe(true);
  // The fake's decision: bell and push on (channel on), email off (channel off).
  expect(lines).toContain("The rules for mentions, Push: send (the channel is on for this event).");
  expect(lines).toContain("The rules for mentions, Email: do not send (the channel is off for this event).");
  expect(lines.join(" ")).not.toMatch(/delivered/i);
});

test("settings the workspace's admin locked show as locked, with who locked them", async () => {
  const fake = new FakeBackend();
  const app = await signedIn(fake);
  const prefs = app.prefs;
  if (!prefs) throw new Error("signed in without preferences");
  app.prefs = {
    ...prefs,
    locks: [
      { setting: "channel", kind: "assignment", channel: "push", on: true },
      { setting: "mentions_always_alert", on: true },
    ],
    locked_by: "Acme leads",
  };
  render(Preferences, { props: { app } });
  const locked = screen.getByTestId("pref-assignment-push") as HTMLInputElement;
  expect(locked.disabled).toBe(true);
  expect(locked.title).toBe("Locked by Acme leads");
  expect(locked.getAttribute("aria-label")).toContain("Locked by Acme leads");
  expect((screen.getByTestId("pref-mentions-always") as HTMLInputElement).disabled).toBe(true);
  expect((screen.getByTestId("pref-assignment-email") as HTMLInputElement).disabled).toBe(false);
  expect(screen.getByTestId("locked-note").textContent).toContain("Locked by Acme leads");
});

test("each inbox and team of the agent can be muted or always pushed", async () => {
  const fake = new FakeBackend();
  fake.saveDelayMs = 0;
  const app = await signedIn(fake);
  if (!app.agent) throw new Error("signed in without a profile");
  app.agent = { ...app.agent, groups: ["inbox:support", "team:billing"] };
  render(Preferences, { props: { app } });
  const inbox = screen.getByTestId("group-rule-inbox:support") as HTMLSelectElement;
  expect(inbox.value).toBe("follow");
  expect(screen.getByTestId("group-rules").textContent).toContain("Team billing");
  await fireEvent.change(inbox, { target: { value: "mute" } });
  expect(fake.calls).toContain("edit:group_rule");
  expect(app.prefs?.group_rules).toEqual([{ group: "inbox:support", action: "mute" }]);
  await fireEvent.change(inbox, { target: { value: "follow" } });
  expect(app.prefs?.group_rules).toEqual([]);
});

test("the preview of the rules shows what reaches the agent per event and moment", async () => {
  const fake = new FakeBackend();
  const app = await signedIn(fake);
  render(Preferences, { props: { app } });
  const paused = await screen.findByTestId("preview-mention-paused");
  // The policy's preview of the defaults: mentions always alert, even paused.
  expect(paused.textContent).toBe("Dashboard, Email, Push, Sound");
  expect(screen.getByTestId("preview-reply-paused").textContent).toBe("Dashboard");
  expect(screen.getByTestId("preview-assignment-app_in_front").textContent).not.toContain("Push");
});

test("reminders of unread assignments are switched on and tuned as edits", async () => {
  const fake = new FakeBackend();
  fake.saveDelayMs = 0;
  const app = await signedIn(fake);
  render(Preferences, { props: { app } });
  const after = screen.getByTestId("escalation-after") as HTMLSelectElement;
  expect(after.disabled, "off by default").toBe(true);
  await fireEvent.click(screen.getByTestId("escalation-enabled"));
  expect(app.prefs?.escalation.enabled).toBe(true);
  await fireEvent.change(screen.getByTestId("escalation-after"), { target: { value: "30" } });
  expect(app.prefs?.escalation).toEqual({ enabled: true, after_minutes: 30, repeat: 2 });
  expect(fake.calls.filter((c) => c === "edit:escalation")).toHaveLength(2);
  const quiet = screen.getByTestId("quiet-summary") as HTMLInputElement;
  expect(quiet.checked, "while you were quiet: on by default").toBe(true);
  await fireEvent.click(quiet);
  expect(app.prefs?.quiet_summary).toBe(false);
});

test("the desktop app's start-at-login switch reads and sets the shell's state", async () => {
  const fake = new FakeBackend();
  fake.autostartOn = true;
  const app = await signedIn(fake);
  render(Preferences, { props: { app } });
  const box = (await screen.findByTestId("autostart")) as HTMLInputElement;
  expect(box.checked).toBe(true);
  await fireEvent.click(box);
  expect(fake.calls).toContain("autostart:false");
  await waitFor(() => expect((screen.getByTestId("autostart") as HTMLInputElement).checked).toBe(false));
});
