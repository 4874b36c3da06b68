import { fireEvent, render, screen } from "@testing-library/svelte";
import { expect, test } from "vitest";
import { FakeBackend } from "../lib/backend/fake";
import { AppState } from "../lib/state.svelte";
import SignIn from "./SignIn.svelte";

async function attempt(server: string, password: string) {
  const app = new AppState(new FakeBackend());
  await app.start();
  render(SignIn, { props: { app } });
  await fireEvent.input(screen.getByLabelText("Server"), { target: { value: server } });
  await fireEvent.input(screen.getByLabelText("Email"), { target: { value: "ana@demo.herald.test" } });
  await fireEvent.input(screen.getByLabelText("Password"), { target: { value: password } });
  await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
  return app;
}

test("a wrong password says so", async () => {
  await attempt("http://127.0.0.1:7878", "nope");
  expect((await screen.findByRole("alert")).textContent).toContain("Wrong email or password");
});

test("plain http to another computer is refused before anything is sent", async () => {
  await attempt("http://herald.example.com", "herald-demo");
  expect((await screen.findByRole("alert")).textContent).toContain("https://");
});

test("the right password signs in", async () => {
  const app = await attempt("http://127.0.0.1:7878", "herald-demo");
  await new Promise((r) => setTimeout(r, 0));
  expect(app.phase).toBe("signed_in");
  expect(app.items.length).toBeGreaterThan(0);
});
