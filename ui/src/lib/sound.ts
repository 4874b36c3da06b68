// The three tones, synthesised with Web Audio (no sound files to ship or to fetch), at the
// chosen volume. Used for in-app sound while the window is open and for the preview.
import type { Tone } from "./generated/protocol";

type Note = { freq: number; at: number; length: number };

export const TONES: Record<Tone, Note[]> = {
  chime: [
    { freq: 880, at: 0, length: 0.35 },
    { freq: 1318.5, at: 0.12, length: 0.5 },
  ],
  ping: [{ freq: 1568, at: 0, length: 0.25 }],
  knock: [
    { freq: 180, at: 0, length: 0.08 },
    { freq: 180, at: 0.14, length: 0.08 },
  ],
};

let context: AudioContext | undefined;

/** Plays `tone` at `volume` (0–100). Does nothing where there is no audio. */
export function play(tone: Tone, volume: number): void {
  const Ctor = globalThis.AudioContext;
  if (!Ctor) return;
  context ??= new Ctor();
  const ctx = context;
  const gain = Math.max(0, Math.min(100, volume)) / 100;
  for (const note of TONES[tone]) {
    const osc = ctx.createOscillator();
    const amp = ctx.createGain();
    osc.type = tone === "knock" ? "triangle" : "sine";
    osc.frequency.value = note.freq;
    const start = ctx.currentTime + note.at;
    amp.gain.setValueAtTime(0.0001, start);
    amp.gain.exponentialRampToValueAtTime(Math.max(0.0002, 0.4 * gain), start + 0.01);
    amp.gain.exponentialRampToValueAtTime(0.0001, start + note.length);
    osc.connect(amp).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + note.length + 0.05);
  }
}
