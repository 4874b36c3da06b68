import { fireEvent, render, screen } from "@testing-library/svelte";
import { expect, test, vi } from "vitest";
import { FakeBackend } from "../lib/backend/fake";
import { AppState } from "../lib/state.svelte";
import SetPassword from "./SetPassword.svelte";

function setUp(setPassword: (token: string, password: string) => Promise<string>) {
  const backend = Object.assign(new FakeBackend(), { setPassword });
  const app = new AppState(backend);
  const ondone = vi.fn();
  render(SetPassword, { props: { app, token: "hrld_p_ab12", ondone } });
  const fill = async (password: string, repeat: string) => {
    await fireEvent.input(screen.getByLabelText("New password"), { target: { value: password } });
    await fireEvent.input(screen.getByLabelText("The same password again"), { target: { value: repeat } });
    await fireEvent.click(screen.getByRole("button", { name: "Set my password" }));
  };
  return { ondone, fill };
}

test("the password is checked here before the link is used", async () => {
  const setPassword = vi.fn(async () => "dora@acme.test");
  const { ondone, fill } = setUp(setPassword);
  await fill("short", "short");
  expect((await screen.findByRole("alert")).textContent).toContain("at least 8");
  await fill("a fine password", "a fine passw0rd");
  expect((await screen.findByRole("alert")).textContent).toContain("differ");
  expect(setPassword).not.toHaveBeenCalled();
  await fill("a fine password", "a fine password");
  await vi.waitFor(() => expect(ondone).toHaveBeenCalledWith("dora@acme.test"));
  expect(setPassword).toHaveBeenCalledWith("hrld_p_ab12", "a fine password");
});

test("a link that no longer works says why", async () => {
  const { ondone, fill } = setUp(async () => {
    throw { kind: "signed_out", message: "this link does not work: it was used, it expired or a newer one was sent" };
  });
  await fill("a fine password", "a fine password");
  expect((await screen.findByRole("alert")).textContent).toContain("it was used, it expired");
  expect(ondone).not.toHaveBeenCalled();
});
