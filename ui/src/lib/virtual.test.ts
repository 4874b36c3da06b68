import { expect, test } from "vitest";
import { visibleWindow } from "./virtual";

test("only the rows on screen, plus a margin, are rendered", () => {
  const w = visibleWindow(10_000, 88, 88 * 5000, 600, 6);
  expect(w.start).toBe(4994);
  expect(w.end).toBe(5000 + 7 + 6);
  expect(w.end - w.start).toBeLessThan(30);
  expect(w.padTop).toBe(4994 * 88);
  expect(w.padTop + (w.end - w.start) * 88 + w.padBottom).toBe(10_000 * 88);
});

test("the ends are clamped", () => {
  expect(visibleWindow(0, 88, 0, 600)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  const top = visibleWindow(3, 88, -50, 600);
  expect([top.start, top.end, top.padBottom]).toEqual([0, 3, 0]);
  const past = visibleWindow(100, 88, 1e9, 600);
  expect(past.end).toBe(100);
  expect(past.start).toBe(99);
});
