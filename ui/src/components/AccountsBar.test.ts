import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { expect, test } from "vitest";
import type { AccountsView } from "../lib/backend/types";
import type { SnoozeTarget, SnoozeUntil } from "../lib/generated/protocol";
import { FakeBackend, fakeNotification } from "../lib/backend/fake";
import { AppState } from "../lib/state.svelte";
import AccountsBar from "./AccountsBar.svelte";
import Bell from "./Bell.svelte";

// The list, the labels and the counters are Rust's (herald-core's `accounts`, tested there
// and in the real app against two servers); here: that the UI shows what it is sent and
// calls back with the right account.

const two: AccountsView = {
  active: "a1b2c3d4",
  accounts: [
    { id: "a1b2c3d4", label: "Acme", server: "https://acme.example/", email: "ana@acme.test", signed_in: true, connection: { state: "live" }, unread: 2, offline: false },
    { id: "e5f6a7b8", label: "Beta", server: "https://beta.example/", email: "ana@beta.test", signed_in: true, connection: { state: "reconnecting", attempt: 1, retry_in_ms: 900 }, unread: 0, offline: true },
  ],
};

/** The fake with the desktop app's account calls, recorded, and the list as Rust sent it. */
class Desktop extends FakeBackend {
  view: AccountsView = two;
  override async sessionState() {
    return { ...(await super.sessionState()), accounts: this.view };
  }
  async switchAccount(accountId: string): Promise<AccountsView> {
    this.calls.push(`switch:${accountId}`);
    this.view = { ...this.view, active: accountId };
    return this.view;
  }
  override async snooze(target: SnoozeTarget, until?: SnoozeUntil, accountId?: string) {
    this.calls.push(`snooze-in:${accountId ?? "shown"}`);
    return super.snooze(target, until);
  }
  override async signOut(accountId?: string): Promise<void> {
    this.calls.push(`sign_out:${accountId ?? "shown"}`);
  }
}

async function signedIn() {
  const fake = new Desktop({ items: 0 });
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@acme.test", "herald-demo");
  app.apply({ type: "accounts", accounts: two });
  return { fake, app };
}

test("each account shows its label, connection and own counter; a click shows it", async () => {
  const { fake, app } = await signedIn();
  render(AccountsBar, { props: { app } });
  const buttons = screen.getAllByTestId("account");
  expect(buttons.map((b) => b.getAttribute("aria-pressed"))).toEqual(["true", "false"]);
  expect(screen.getAllByTestId("account-label").map((l) => l.textContent)).toEqual(["Acme", "Beta"]);
  expect(screen.getAllByTestId("account-unread").map((n) => n.textContent)).toEqual(["2"]);
  expect(buttons.map((b) => b.querySelector(".dot")?.classList.contains("down"))).toEqual([false, true]);
  await fireEvent.click(buttons[1]!);
  expect(fake.calls).toContain("switch:e5f6a7b8");
  await waitFor(() => expect(app.accounts?.active).toBe("e5f6a7b8"));
});

test("an ended account says why and offers signing in again or removing it", async () => {
  const { fake, app } = await signedIn();
  const ended: AccountsView = {
    active: "a1b2c3d4",
    accounts: [
      two.accounts[0]!,
      { ...two.accounts[1]!, signed_in: false, connection: { state: "stopped" }, ended: "your session was revoked" },
    ],
  };
  fake.view = ended;
  app.apply({ type: "accounts", accounts: ended });
  render(AccountsBar, { props: { app } });
  const row = await screen.findByTestId("account-ended");
  expect(row.textContent).toContain("Beta: signed out (your session was revoked)");
  await fireEvent.click(screen.getByText("Sign in again"));
  expect(app.addingAccount).toBe(true);
  expect(app.lastServer).toBe("https://beta.example/");
  expect(app.lastEmail).toBe("ana@beta.test");
  await fireEvent.click(screen.getByText("Remove"));
  await waitFor(() => expect(fake.calls).toContain("sign_out:e5f6a7b8"));
});

test("the bell labels each item with its account and snoozes a conversation in it", async () => {
  const { fake, app } = await signedIn();
  app.apply({
    type: "item",
    notification: fakeNotification(1, { title: "From Beta", conversation: { id: "c-9" } }),
    local: fakeNotification(1).decision,
    account: "e5f6a7b8",
  });
  render(Bell, { props: { app } });
  expect(screen.getAllByTestId("item-account").map((l) => l.textContent)).toEqual(["Beta"]);
  await fireEvent.click(screen.getAllByTestId("snooze")[0]!);
  await fireEvent.click(await screen.findByLabelText(/whole conversation/i));
  await fireEvent.click(await screen.findByTestId("snooze-hour"));
  await waitFor(() => expect(fake.calls.some((c) => c.startsWith("snooze:c-9:hour"))).toBe(true));
  expect(fake.calls).toContain("snooze-in:e5f6a7b8");
});

test("one account: no labels, only the way to add another", async () => {
  const fake = new Desktop({ items: 1 });
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@acme.test", "herald-demo");
  fake.view = { active: "a1b2c3d4", accounts: [two.accounts[0]!] };
  app.apply({ type: "accounts", accounts: fake.view });
  render(Bell, { props: { app } });
  render(AccountsBar, { props: { app } });
  expect(screen.queryAllByTestId("item-account")).toHaveLength(0);
  expect(screen.queryAllByTestId("account")).toHaveLength(0);
  await fireEvent.click(screen.getByTestId("add-account"));
  expect(app.addingAccount).toBe(true);
});
