import { expect, test } from "vitest";
import { notificationFor } from "./message";

test("a push message becomes a text notification tagged by conversation", () => {
  const shown = notificationFor({
    v: 1,
    id: "01930000-0000-7000-8000-000000000001",
    kind: "mention",
    title: "<img src=x onerror=alert(1)>",
    body: "Ana: <b>hi</b>",
    tag: "conversation:c-1",
    renotify: true,
    url: "https://evil.example/",
  });
  expect(shown.title).toBe("<img src=x onerror=alert(1)>");
  expect(shown.options.body).toBe("Ana: <b>hi</b>");
  expect(shown.options.tag).toBe("conversation:c-1");
  expect(shown.options.renotify).toBe(true);
  expect(shown.options.data.url, "clicks stay on this server, whatever the message says").toBe(
    "/?item=01930000-0000-7000-8000-000000000001",
  );
  expect(shown.options.actions).toEqual([
    { action: "read", title: "Mark read" },
    { action: "snooze", title: "Snooze 1 hour" },
  ]);
});

test("a reminder says why it is back", () => {
  const id = "01930000-0000-7000-8000-000000000001";
  expect(notificationFor({ id, title: "Refund", reminder: "snoozed" }).title).toBe("Back from snooze: Refund");
  expect(notificationFor({ id, title: "Refund", reminder: "unanswered" }).title).toBe("Still unread: Refund");
  expect(notificationFor({ id, title: "Refund", reminder: "<b>" }).title, "unknown reasons add nothing").toBe("Refund");
});

test("an unreadable message still shows something, and nothing to act on", () => {
  const shown = notificationFor("not json");
  expect(shown.title).toBe("Herald");
  expect(shown.options.data).toEqual({ id: null, url: "/" });
  expect(shown.options.actions).toEqual([]);
  expect(notificationFor({ id: "../../etc", title: 5 }).options.data.id).toBeNull();
});
