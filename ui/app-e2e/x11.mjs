// X11 helpers for the real-app tests and the benchmark (Xvfb has no window manager).
import { execFileSync } from "node:child_process";

/** Closes the windows of `pid` the way a window manager's close button does
 * (WM_DELETE_WINDOW to each of its X windows; only the toplevel reacts). */
export function closeWindows(pid) {
  const ids = execFileSync("xdotool", ["search", "--pid", String(pid)], { encoding: "utf8" })
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  for (const id of ids) {
    execFileSync("python3", [new URL("./close_window.py", import.meta.url).pathname, id]);
  }
  return ids.length;
}
