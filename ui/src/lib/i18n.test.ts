import { expect, test } from "vitest";
import { allDictionaries, locale, setLanguage, systemLanguage, t, testSentText, unreadText } from "./i18n.svelte";

test("both languages have every text, and the same placeholders", () => {
  const en = allDictionaries.en;
  const pt = allDictionaries["pt-BR"];
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    expect(pt[key], key).toBeTruthy();
    expect(placeholders(pt[key]), key).toEqual(placeholders(en[key]));
  }
});

test("the system language picks Portuguese for any pt locale", () => {
  expect(systemLanguage(["pt-BR"])).toBe("pt-BR");
  expect(systemLanguage(["pt-PT", "en"])).toBe("pt-BR");
  expect(systemLanguage(["de-DE", "en-US"])).toBe("en");
  expect(systemLanguage([])).toBe("en");
});

test("t fills parameters and follows the language", () => {
  setLanguage("en");
  expect(t("unread_count", { n: 3 })).toBe("3 unread");
  setLanguage("pt-BR");
  expect(locale.language).toBe("pt-BR");
  expect(t("unread_count", { n: 3 })).toBe("3 não lidas");
  expect(unreadText(1)).toBe("1 não lida");
  setLanguage("en");
});

test("a test notification's result names the channels that delivered it, or says none did", () => {
  setLanguage("en");
  expect(testSentText(["dashboard", "push"])).toBe("Test sent. Delivered to: Dashboard, Push.");
  expect(testSentText([])).toContain("no channel delivered it");
  setLanguage("pt-BR");
  expect(testSentText(["email"])).toBe("Teste enviado. Entregue em: E-mail.");
  setLanguage("en");
});
