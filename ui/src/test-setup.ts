// Each component test starts from an empty document.
import { cleanup } from "@testing-library/svelte";
import { afterEach } from "vitest";

afterEach(() => cleanup());

// jsdom has no layout and no ResizeObserver (Svelte's bind:clientHeight uses it): sizes stay
// at their defaults in component tests; the browser tests cover real layout.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
