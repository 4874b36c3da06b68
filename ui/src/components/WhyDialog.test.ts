import { render, screen } from "@testing-library/svelte";
import { expect, test } from "vitest";
import { FakeBackend } from "../lib/backend/fake";
import { AppState } from "../lib/state.svelte";
import WhyDialog from "./WhyDialog.svelte";

async function signedIn() {
  const fake = new FakeBackend({ items: 1 });
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  return app;
}

test("a link the server withheld is shown as text, never as a link", async () => {
  const app = await signedIn();
  const item = { ...app.items[0]!, withheld_link: 'javascript:alert(1)"><a href="x">' };
  const { container } = render(WhyDialog, { props: { app, item, onclose: () => {} } });
  const shown = screen.getByTestId("why-link");
  expect(shown.textContent).toContain('javascript:alert(1)"><a href="x">');
  expect(container.querySelector("a")).toBeNull();
});

test("an item with its link kept says nothing about links", async () => {
  const app = await signedIn();
  render(WhyDialog, { props: { app, item: app.items[0]!, onclose: () => {} } });
  expect(screen.queryByTestId("why-link")).toBeNull();
});
