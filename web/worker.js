// The lab's Web Worker: manabi's engine (manabi.wasm) trains here, off the
// page's thread, so the page never freezes. It runs iterations in slices of
// about SLICE_MS, posting the news after each, and between slices reads the
// page's messages (pause, step, a new learning rate, a drawing to read).
//
// The page sends                    the worker answers
//   {type: "start", settings}         snapshot, then updates; error if refused
//   {type: "pause"} / "resume"        update (status paused / running)
//   {type: "step"}                    one mini-batch (starting a paused run if none)
//   {type: "stop"}                    finished (status stopped)
//   {type: "lr", lr}                  lr {iteration, lr}, or error
//   {type: "predict", id, pixels}     prediction {id, probs} (probs null: no run yet)
// and, unasked: {type: "ready", info, ms} once the engine is loaded;
// {type: "finished", status, run} when a run ends (with its files);
// {type: "crashed", message} if the engine died (the page starts a new worker).
//
// snapshot and update are the messages `manabi train --serve` streams to the
// dashboard (see assets/dashboard/panels.js), so both pages draw alike.

import { Engine, EngineCrash, EngineError } from "./engine.js";

const SLICE_MS = 40;
const started = performance.now();
let engine = null;
// idle (no run), running, paused
let state = "idle";
let run = null; // {iters, batch, first: time of the first iteration, busy: ms}
let sliceIters = 1;
let scheduled = false;
// Messages that came while the engine was loading.
const waiting = [];

const post = (m, transfer) => self.postMessage(m, transfer || []);

function fail(e) {
  if (e instanceof EngineCrash) {
    post({ type: "crashed", message: e.message });
    state = "idle";
    run = null;
    self.close();
    return;
  }
  post({ type: "error", message: e instanceof EngineError ? e.message : String(e && e.message ? e.message : e) });
}

// A zero-delay yield: lets the page's messages in between two slices.
const channel = new MessageChannel();
channel.port1.onmessage = () => {
  scheduled = false;
  slice();
};
function schedule() {
  if (scheduled) return;
  scheduled = true;
  channel.port2.postMessage(null);
}

// The progress numbers the dashboard shows, timed here (the engine has no clock).
function progress(p) {
  const seconds = run.busy / 1000;
  const perSecond = seconds > 0 ? p.iteration / seconds : 0;
  return {
    ...p,
    samples_per_s: perSecond * run.batch,
    eta_s: state === "running" && perSecond > 0 ? (run.iters - p.iteration) / perSecond : null,
    elapsed_s: seconds,
  };
}

// Runs `n` iterations (fewer at the end), evaluating when due; posts the news.
function advance(n) {
  const t0 = performance.now();
  const u = engine.call({ op: "run", iters: n, elapsed_ms: run.busy });
  const took = performance.now() - t0;
  run.busy += took;
  if (run.firstAt === null && u.progress.iteration > 0) run.firstAt = performance.now();
  const ended = u.status !== "running";
  if (ended) state = "idle";
  u.progress = progress(u.progress);
  if (run.firstAt !== null && !run.told) {
    run.told = true;
    u.first_iteration_ms = run.firstAt - run.startedAt;
  }
  post({ type: "update", update: u });
  if (ended) finish(u.status);
  return took;
}

function slice() {
  if (state !== "running") return;
  try {
    const took = advance(sliceIters);
    // Aim each slice at SLICE_MS: long enough to cost nothing, short enough
    // that a pause or a drawing is answered at once.
    const per = took / sliceIters;
    sliceIters = Math.max(1, Math.min(100000, Math.round(SLICE_MS / Math.max(per, 1e-3))));
  } catch (e) {
    fail(e);
    return;
  }
  if (state === "running") schedule();
}

function finish(status) {
  try {
    const files = engine.call({ op: "files", status });
    const bytes = {};
    const transfer = [];
    for (const [name, b64] of Object.entries(files.files)) {
      const text = atob(b64);
      const b = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
      bytes[name] = b;
      transfer.push(b.buffer);
    }
    post({ type: "finished", status, run: { ...files, files: bytes, busy_ms: run.busy, wall_ms: performance.now() - run.startedAt } }, transfer);
  } catch (e) {
    fail(e);
  }
  state = "idle";
}

function start(settings, paused) {
  const snapshot = engine.call({ op: "start", settings });
  run = { iters: snapshot.iters, batch: snapshot.batch_size, busy: 0, startedAt: performance.now(), firstAt: null, told: false };
  sliceIters = 1;
  state = paused ? "paused" : "running";
  snapshot.status = state;
  post({ type: "snapshot", snapshot });
  if (!paused) schedule();
}

function handle(m) {
  try {
    switch (m.type) {
      case "start":
        if (state !== "idle") {
          state = "idle";
          engine.call({ op: "stop" });
          finish("stopped");
        }
        start(m.settings, false);
        break;
      case "pause":
        if (state === "running") {
          state = "paused";
          post({ type: "update", update: { status: "paused", progress: progress(engine.call({ op: "progress" })) } });
        }
        break;
      case "resume":
        if (state === "paused") {
          state = "running";
          post({ type: "update", update: { status: "running" } });
          schedule();
        }
        break;
      case "step":
        if (state === "idle") start(m.settings, true);
        if (state === "paused") {
          advance(1);
          if (state !== "idle") post({ type: "update", update: { status: "paused" } });
        }
        break;
      case "stop":
        if (state !== "idle") {
          state = "idle";
          engine.call({ op: "stop" });
          post({ type: "update", update: { status: "stopped", progress: progress(engine.call({ op: "progress" })) } });
          finish("stopped");
        }
        break;
      case "lr": {
        const r = engine.call({ op: "set_lr", lr: m.lr });
        post({ type: "lr", ...r });
        break;
      }
      case "predict": {
        const r = engine.call({ op: "predict", pixels: Array.from(m.pixels) });
        post({ type: "prediction", id: m.id, probs: r.probs });
        break;
      }
      default:
        post({ type: "error", message: `unknown message ${JSON.stringify(m.type)}` });
    }
  } catch (e) {
    fail(e);
  }
}

self.onmessage = (e) => {
  if (!engine) waiting.push(e.data);
  else handle(e.data);
};

(async () => {
  try {
    engine = await Engine.load(new URL("manabi.wasm", import.meta.url));
    const info = engine.call({ op: "info" });
    post({ type: "ready", info, ms: performance.now() - started });
    for (const m of waiting.splice(0)) handle(m);
  } catch (e) {
    post({ type: "crashed", message: String(e && e.message ? e.message : e) });
  }
})();
