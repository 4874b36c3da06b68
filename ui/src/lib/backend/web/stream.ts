// The web app's live stream: the same protocol herald-core speaks (docs/stream.md). It
// resumes from the highest seq it holds with the epoch it got, so a reconnect loses and
// repeats nothing; it reconnects with backoff and jitter, at once when the network comes
// back or the tab is shown again, and stops for good on the fatal close codes. It tells the
// server whether this tab is in front of the agent, so that the server holds this browser's
// push while the tab shows the items itself.
import type { ClientMessage, CloseReason, ServerMessage } from "../../generated/protocol";
import { browserName } from "./push";
import type { ConnState } from "../types";

/** Close codes after which reconnecting cannot help: sign in again. */
const FATAL: Record<number, CloseReason> = { 4001: "session_revoked", 4003: "agent_disabled" };
/** Too many streams: wait longer before trying again. */
const TOO_MANY = 4029;

export type Position = { after_seq: number; epoch?: string };

export type StreamHooks = {
  /** Where to resume from, asked at every connection. */
  position(): Position;
  message(message: ServerMessage): void;
  state(state: ConnState): void;
  /** After a connection that never opened: whether the session still exists (an ended
   * session is refused before the upgrade, which a browser reports as a plain close). */
  sessionAlive(): Promise<boolean>;
};

/** Milliseconds before attempt `n` (0-based): doubling from half a second, at most 30 s,
 * each with jitter so that a server restart is not met by every tab at once. */
export function backoff(attempt: number, tooMany: boolean, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 10)) * (tooMany ? 4 : 1);
  return Math.round(Math.min(base, 120_000) * (0.5 + random() / 2));
}

export class Stream {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  private live = false;

  constructor(private readonly hooks: StreamHooks) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.now);
    document.addEventListener("visibilitychange", this.onVisible);
    window.addEventListener("focus", this.sendPresence);
    window.addEventListener("blur", this.sendPresence);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.now);
    document.removeEventListener("visibilitychange", this.onVisible);
    window.removeEventListener("focus", this.sendPresence);
    window.removeEventListener("blur", this.sendPresence);
    clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = undefined;
    this.hooks.state({ state: "stopped" });
  }

  /** Reconnect now instead of waiting for the backoff (network back, tab shown). */
  private readonly now = () => {
    if (this.stopped || this.live) return;
    clearTimeout(this.timer);
    this.socket?.close();
    this.connect();
  };

  private readonly onVisible = () => {
    this.sendPresence();
    if (document.visibilityState === "visible") this.now();
  };

  /** Visible and focused: the agent sees this tab. */
  private readonly sendPresence = () => {
    const inFront = document.visibilityState === "visible" && document.hasFocus();
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "presence", in_front: inFront }));
    }
  };

  private connect(): void {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.hooks.state({ state: "connecting", attempt: this.attempt });
    const socket = new WebSocket(`${scheme}//${location.host}/api/v1/stream`);
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      const resume: ClientMessage = {
        type: "resume",
        ...this.hooks.position(),
        client: { kind: "web_app", name: browserName() },
      };
      socket.send(JSON.stringify(resume));
      this.sendPresence();
    };
    socket.onmessage = (event: MessageEvent<string>) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(event.data) as ServerMessage;
      } catch {
        return; // not ours to show; the server only sends JSON
      }
      if (message.type === "live") {
        this.live = true;
        this.attempt = 0;
        this.hooks.state({ state: "live" });
      }
      this.hooks.message(message);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return; // replaced already
      this.socket = undefined;
      this.live = false;
      if (this.stopped) return;
      const fatal = FATAL[event.code];
      if (fatal) {
        this.stopped = true;
        this.hooks.state({ state: "signed_out", reason: fatal });
        return;
      }
      if (!opened) {
        void this.hooks.sessionAlive().then((alive) => {
          if (alive || this.stopped) return;
          this.stopped = true;
          clearTimeout(this.timer);
          this.hooks.state({ state: "signed_out", reason: "session_revoked" });
        });
      }
      const wait = backoff(this.attempt, event.code === TOO_MANY);
      this.attempt += 1;
      this.hooks.state({ state: "reconnecting", attempt: this.attempt, retry_in_ms: wait });
      this.timer = setTimeout(() => this.connect(), wait);
    };
  }
}
