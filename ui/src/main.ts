import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { pickBackend } from "./lib/backend";
import { AppState } from "./lib/state.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("no #app element");

const state = new AppState(await pickBackend());
mount(App, { target, props: { app: state } });
void state.start().catch((error: unknown) => {
  state.error = { kind: "server", message: String(error) };
  state.phase = "signed_out";
});
