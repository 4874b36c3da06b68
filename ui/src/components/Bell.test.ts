import { render, screen } from "@testing-library/svelte";
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
