import { expect, test } from "vitest";
import type { Diagnostics } from "./generated/core";
import golden from "../../../crates/core/tests/golden/diagnostics.json";
import { sayFinding } from "./diagnostics";
import { setLanguage } from "./i18n.svelte";

const push = (golden as unknown as Diagnostics).cards.find((c) => c.topic === "push")!;

test("a phone not registered says why, and what to do on the phone", () => {
  setLanguage("en");
  const finding = push.findings.find((f) => f.finding === "phone_not_registered")!;
  const said = sayFinding(finding, "ios");
  expect(said.text).toContain("This phone is not registered");
  expect(said.text).toContain("(Firebase is not configured in this build)");
  expect(said.fix).toContain("phone's settings");
  expect(said.tone).toBe("bad");
  expect(sayFinding({ finding: "phone_not_registered" }).text).not.toContain("(");
});

test("a failing push's fix is the phone's for a phone, the browser's for a browser", () => {
  setLanguage("en");
  const phone = push.findings.find((f) => f.finding === "push_failing")!;
  expect(sayFinding(phone).text).toBe("Push to Ana's iPhone failed: BadDeviceToken");
  expect(sayFinding(phone).fix).toContain("Open Herald on that phone");
  const browser = { finding: "push_failing" as const, device: "Firefox", platform: "web" as const, error: "gone" };
  expect(sayFinding(browser).fix).toContain("Enable browser notifications");
});
