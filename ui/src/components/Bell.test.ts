import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { tick } from "svelte";
import { expect, test } from "vitest";
import { FakeBackend } from "../lib/backend/fake";
import { AppState } from "../lib/state.svelte";
import Bell from "./Bell.svelte";

async function signedIn(items = 6) {
  const fake = new FakeBackend({ items });
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  return { fake, app };
}

test("hostile text in a notification is rendered as text", async () => {
  const { fake, app } = await signedIn();
  fake.push({ title: '<img src=x onerror="alert(1)">', body: "<b>bold</b>" });
  const { container } = render(Bell, { props: { app } });
  expect(container.querySelector("img")).toBeNull();
  expect(container.querySelector("b")).toBeNull();
  expect(screen.getAllByTestId("item-title")[0]?.textContent).toContain('<img src=x onerror="alert(1)">');
});

test("thousands of items: only a screenful is in the DOM", async () => {
  const { app } = await signedIn(5000);
  const { container } = render(Bell, { props: { app } });
  const rows = container.querySelectorAll("li");
  expect(app.items.length).toBe(5000);
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.length).toBeLessThan(40);
  expect(rows[0]?.getAttribute("aria-setsize")).toBe("5000");
});

test("an empty bell says what will appear there", async () => {
  const { app } = await signedIn(0);
  render(Bell, { props: { app } });
  expect(screen.getByTestId("bell-empty").textContent).toContain("No notifications yet");
});

test("snoozing takes an item out of the count until it comes back, with the reason shown", async () => {
  const { fake, app } = await signedIn(3);
  render(Bell, { props: { app } });
  const before = app.unread;
  const first = app.items[0]!;
  await fireEvent.click(screen.getAllByTestId("snooze")[0]!);
  await fireEvent.click(await screen.findByTestId("snooze-hour"));
  expect(fake.calls).toContain(`snooze:${first.id}:hour`);
  expect(screen.queryByTestId("snooze-dialog"), "the dialog closes").toBeNull();
  await waitFor(() => expect(app.unread).toBe(before - 1));
  expect((await screen.findByTestId("snoozed-until")).textContent).toContain("Snoozed until");

  fake.comeBack(first.id, { kind: "snoozed" });
  expect(app.items[0]?.id).toBe(first.id);
  expect(app.items.filter((n) => n.id === first.id)).toHaveLength(1);
  expect((await screen.findByTestId("came-back")).textContent).toBe("Back from snooze");
  expect(app.unread).toBe(before);
});

test("a snoozed item can be brought back by hand, and a reminder says which one it is", async () => {
  const { fake, app } = await signedIn(2);
  render(Bell, { props: { app } });
  const item = app.items[1]!;
  await app.snooze({ scope: "items", ids: [item.id] }, { choice: "quarter_hour" });
  await fireEvent.click(await screen.findByTestId("unsnooze"));
  expect(fake.calls).toContain(`snooze:${item.id}:back`);
  await waitFor(() => expect(app.items.find((n) => n.id === item.id)?.snoozed_until).toBeUndefined());

  fake.comeBack(item.id, { kind: "unanswered", count: 1, limit: 2 });
  expect((await screen.findByTestId("came-back")).textContent).toBe("Still unread: reminder 1 of 2");
});

test("a quiet summary opens the bell filtered to what it sums up", async () => {
  const { fake, app } = await signedIn(5);
  const seqs = app.items.map((n) => n.seq).sort((a, b) => a - b);
  // The summary of the three newest items.
  const digest = { since: new Date().toISOString(), after_seq: seqs[1]!, up_to_seq: seqs[4]!, total: 3, kinds: [] };
  const summary = fake.push({ kind: "quiet_summary", title: "While you were quiet: 3 notifications", digest, read_at: new Date().toISOString() });
  render(Bell, { props: { app } });
  expect(screen.getAllByTestId("bell-item")).toHaveLength(6);
  await fireEvent.click(screen.getByTestId("show-quiet"));
  expect(screen.getByTestId("quiet-filter").textContent).toContain("What arrived while you were quiet (3)");
  expect(screen.getAllByTestId("bell-item")).toHaveLength(3);
  await fireEvent.click(screen.getByTestId("show-all"));
  expect(screen.getAllByTestId("bell-item")).toHaveLength(6);

  // A click on its OS notification (or browser push) focuses it: the same filter.
  app.focusId = summary.id;
  await waitFor(() => expect(screen.getAllByTestId("bell-item")).toHaveLength(3));
});

test("a focused item is scrolled to once; items arriving later leave the list where the agent put it", async () => {
  const { fake, app } = await signedIn(30);
  render(Bell, { props: { app } });
  const list = await screen.findByTestId("bell-list");
  app.focusId = app.items[20]!.id;
  await waitFor(() => expect(list.scrollTop).toBe(20 * 88));
  list.scrollTop = 5 * 88; // the agent scrolls on
  fake.push({ title: "Arrived later" });
  await waitFor(() => expect(app.items[0]?.title).toBe("Arrived later"));
  await tick(); // the effects of the new item have run
  expect(list.scrollTop, "not pulled back to the focused item").toBe(5 * 88);
});
