// The lab: the chapter's experiment in a page. Settings, then Train, Pause,
// Step one mini-batch, Resume, Stop; a new learning rate mid-run; the
// dashboard's panels (panels.js) fed by the Web Worker that runs manabi's
// engine (worker.js, manabi.wasm); a digit drawn on the page read by the
// network as it is now (draw.js); the runs of the session overlaid, each
// downloadable as a run folder that `manabi eval --run` reads.
//
// The address may carry settings (?iters=2000&lr=0.5…), `lang=ja|en`, and
// `run=1` to start at once (the benchmark and the screenshots use it).

import { LiveView, RunsView, fmtInt } from "./panels.js";
import { DrawPanel } from "./draw.js";
import { initLanguage, languagePicker, onLanguage, setLanguage, t, translate } from "./i18n.js";
import { zip } from "./zip.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const lab = {
  worker: null,
  info: null,
  status: "loading",
  readyMs: null, // from opening the page to the engine being ready
  firstIterationMs: null, // from opening the page to the first iteration
  run: null, // the run being trained: {settings, id}
  runs: [], // finished runs of this session, newest first
  predictions: new Map(), // id → resolve
  nextPrediction: 1,
  lastError: null,
};
// What a test (or a curious reader, in the console) can look at.
window.lab = lab;

// ---------------------------------------------------------------- settings

const FIELDS = [
  // id, key of its label, kind
  ["hidden", "lab.hidden", "int"],
  ["lr", "lab.lr", "float"],
  ["batch", "lab.batch", "int"],
  ["iters", "lab.iters", "int"],
  ["std", "lab.std", "float"],
  ["seed", "lab.seed", "int"],
];

function fill(values) {
  for (const [id] of FIELDS) if (values[id] !== undefined) $(id).value = String(values[id]);
  if (values.activation) $("activation").value = values.activation;
  if (values.gradient) $("gradient").value = values.gradient;
}

// The limits that hold for the chosen gradient: the book's numerical
// gradient runs on a tiny subset only.
function limits(gradient) {
  const l = lab.info.limits;
  if (gradient !== "numerical") return l;
  const n = lab.info.numerical;
  return { ...l, hidden: [1, n.max_hidden], batch: [1, n.max_batch], iters: [1, n.max_iters] };
}

// The settings as the engine takes them, or a message saying what is wrong
// (in the page's language). The engine checks them again.
function readSettings() {
  const gradient = $("gradient").value;
  const lim = limits(gradient);
  const out = { activation: $("activation").value, gradient };
  for (const [id, label, kind] of FIELDS) {
    const input = $(id);
    input.removeAttribute("aria-invalid");
    const text = input.value.trim();
    const field = t(label);
    const bad = (key, vars = {}) => {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return { error: t(key, { field, value: text || "\u2205", ...vars }) };
    };
    const v = Number(text);
    if (text === "" || !Number.isFinite(v)) return bad("err.number");
    if (kind === "int" && !Number.isInteger(v)) return bad("err.whole");
    const range = lim[id];
    if (kind === "float" && !(v > 0)) return bad("err.positive");
    if (range && (v < range[0] || v > range[1])) return bad("err.range", { min: fmtInt(range[0]), max: range[1].toLocaleString("en-US") });
    out[id] = v;
  }
  return { settings: out };
}

function gradientNote() {
  const g = $("gradient").value;
  const n = lab.info && lab.info.numerical;
  if (g === "numerical" && n) {
    const hidden = Math.min(Number($("hidden").value) || n.max_hidden, n.max_hidden);
    const params = 784 * hidden + hidden + hidden * 10 + 10;
    $("gradient-note").textContent = t("lab.numericalNote", {
      params: fmtInt(params),
      passes: fmtInt(2 * params),
      images: fmtInt(n.train_size),
      hidden: n.max_hidden,
      batch: n.max_batch,
    });
  } else if (g === "numerical-fast") {
    $("gradient-note").textContent = t("lab.numericalFastNote");
  } else {
    $("gradient-note").textContent = t("lab.backpropNote");
  }
}

// Choosing the book's numerical gradient brings the settings within its
// limits (and back to the book's when leaving it).
function onGradient() {
  const g = $("gradient").value;
  if (g === "numerical") {
    const d = lab.info.numerical.defaults;
    const lim = limits(g);
    for (const id of ["hidden", "batch", "iters"]) {
      const v = Number($(id).value);
      if (!(v >= lim[id][0] && v <= lim[id][1])) $(id).value = String(d[id]);
    }
  } else {
    const d = lab.info.defaults;
    const n = lab.info.numerical.defaults;
    for (const id of ["hidden", "batch", "iters"]) if (Number($(id).value) === n[id]) $(id).value = String(d[id]);
  }
  gradientNote();
}

// ---------------------------------------------------------------- status

function setStatus(status) {
  lab.status = status;
  document.body.dataset.status = status;
  $("status").textContent = t(`status.${status}`);
  const idle = !["running", "paused"].includes(status);
  const ready = lab.info !== null;
  $("train").disabled = !ready || !idle;
  $("pause").disabled = status !== "running";
  $("resume").disabled = status !== "paused";
  $("step").disabled = !ready || !(idle || status === "paused");
  $("stop").disabled = idle;
  $("lr-now").disabled = idle;
  $("apply-lr").disabled = idle;
  for (const el of $("settings").querySelectorAll("input, select, button")) el.disabled = !ready || !idle;
}

// The line under the buttons: a key of i18n.js with its values (said
// again in the other language when the reader switches), or a plain text
// (the engine's own words).
let said = { text: "", error: false };
function say(text, error = false) {
  said = { text, error };
  show();
}
function sayKey(key, vars = {}, error = false) {
  said = { key, vars, error };
  show();
}
function show() {
  const text = said.key ? t(said.key, said.vars) : said.text;
  $("message").textContent = text;
  $("message").className = said.error ? "error" : "";
  if (said.error) lab.lastError = text;
}

// ---------------------------------------------------------------- the worker

let live;
let drawPanel;

function startWorker() {
  const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
  lab.worker = worker;
  worker.onmessage = (e) => onMessage(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    crashed(e.message || "the worker failed to start");
  };
}

function crashed(message) {
  lab.worker.terminate();
  lab.run = null;
  for (const resolve of lab.predictions.values()) resolve(null);
  lab.predictions.clear();
  sayKey("lab.crashed", { message }, true);
  lab.info = null;
  setStatus("failed");
  startWorker();
}

function onMessage(m) {
  switch (m.type) {
    case "ready": {
      const first = lab.info === null && lab.readyMs === null;
      lab.info = m.info;
      lab.readyMs = performance.now();
      document.body.dataset.readyMs = String(Math.round(lab.readyMs));
      $("engine-line").textContent = t("lab.engine", { version: m.info.version, kernels: m.info.kernels });
      if (first) {
        fill(m.info.defaults);
        fill(fromAddress());
      }
      gradientNote();
      // After a crash, the crash's message stays (it says the engine was
      // restarted).
      const restarted = lab.status === "failed";
      setStatus("ready");
      if (!restarted) sayKey("lab.ready");
      if (first && params.get("run") === "1") train();
      break;
    }
    case "snapshot":
      live.onSnapshot(m.snapshot);
      title(m.snapshot);
      $("lr-now").value = String(m.snapshot.config.training.learning_rate);
      setStatus(m.snapshot.status);
      drawPanel.networkChanged();
      break;
    case "update": {
      const u = m.update;
      const before = live.state.net && live.state.net.version;
      live.apply(u);
      if (u.first_iteration_ms !== undefined && lab.firstIterationMs === null) {
        lab.firstIterationMs = performance.now();
        document.body.dataset.firstIterationMs = String(Math.round(lab.firstIterationMs));
        sayKey("lab.started", { ms: Math.round(u.first_iteration_ms), first: Math.round(lab.firstIterationMs) });
      }
      if (u.status) setStatus(u.status);
      const after = live.state.net && live.state.net.version;
      if (after !== before) drawPanel.networkChanged();
      break;
    }
    case "lr":
      sayKey("lab.lrChanged", { lr: m.lr, iteration: fmtInt(m.iteration) });
      break;
    case "prediction": {
      const resolve = lab.predictions.get(m.id);
      lab.predictions.delete(m.id);
      if (resolve) resolve(m.probs);
      break;
    }
    case "finished":
      finished(m.status, m.run);
      break;
    case "error":
      say(`${t("lab.error")}: ${m.message}`, true);
      if (!live.state.snapshot || ["completed", "stopped", "diverged"].includes(lab.status)) {
        setStatus(lab.info ? "ready" : "failed");
      }
      break;
    case "crashed":
      crashed(m.message);
      break;
    default:
      break;
  }
}

function title(s) {
  const c = s.config;
  const tr = c.training;
  const data = c.dataset.train_size < c.dataset.full_train_size
    ? `${c.dataset.name} (${fmtInt(c.dataset.train_size)})` : c.dataset.name;
  $("run-title").textContent =
    `${data} · ${c.network.sizes.join("-")} ${c.network.activation} · ${tr.gradient} · ` +
    `lr ${tr.learning_rate}, batch ${tr.batch_size}, ${fmtInt(tr.iters)} iterations, seed ${tr.seed} · ${tr.kernels}`;
}

function fromAddress() {
  const out = {};
  for (const [id] of FIELDS) if (params.has(id)) out[id] = params.get(id);
  for (const id of ["activation", "gradient"]) if (params.has(id)) out[id] = params.get(id);
  return out;
}

// ---------------------------------------------------------------- actions

function train(paused = false) {
  const { settings, error } = readSettings();
  if (error) {
    say(error, true);
    return;
  }
  say("");
  lab.run = { settings };
  lab.worker.postMessage(paused ? { type: "step", settings } : { type: "start", settings });
}

function applyLr() {
  const input = $("lr-now");
  const text = input.value.trim();
  const v = Number(text);
  input.removeAttribute("aria-invalid");
  if (text === "" || !Number.isFinite(v) || !(v > 0)) {
    input.setAttribute("aria-invalid", "true");
    say(t(text === "" || !Number.isFinite(v) ? "err.number" : "err.positive", { field: t("lab.lrNow"), value: text || "\u2205" }), true);
    return;
  }
  lab.worker.postMessage({ type: "lr", lr: v });
}

function stamp(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function finished(status, run) {
  let id = `lab-${stamp(new Date())}`;
  while (lab.runs.some((r) => r.id === id)) id += "+";
  const entry = { id, ...run, status };
  entry.summary = { ...run.summary, id, status };
  lab.runs.unshift(entry);
  runsView.setList(lab.runs.map((r) => r.summary));
  document.body.dataset.runs = String(lab.runs.length);
  setStatus(status);
}

function download(id) {
  const run = lab.runs.find((r) => r.id === id);
  const names = ["config.json", "metrics.csv", "epochs.csv", "weights.safetensors", "summary.txt"];
  const blob = zip(id, names.filter((n) => run.files[n]).map((n) => [n, run.files[n]]));
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${id}.zip`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

function predict(pixels) {
  if (!lab.worker || !lab.info) return Promise.resolve(null);
  return new Promise((resolve) => {
    const id = lab.nextPrediction++;
    lab.predictions.set(id, resolve);
    lab.worker.postMessage({ type: "predict", id, pixels });
  });
}

// ---------------------------------------------------------------- start

let runsView;

function main() {
  initLanguage();
  if (params.get("lang")) setLanguage(params.get("lang"), false);
  $("lang-slot").append(languagePicker());
  live = new LiveView($("live"), { onStatus: () => {} });
  window.manabi = live.state;
  const figure = document.createElement("figure");
  live.slot().append(figure);
  drawPanel = new DrawPanel(figure, {
    classes: () => (lab.info ? lab.info.classes : "0123456789".split("")),
    predict,
  });
  window.manabiDraw = drawPanel;
  runsView = new RunsView($("runs"), {
    title: "runs.sessionTitle",
    empty: "runs.noneSession",
    load: async (id) => lab.runs.find((r) => r.id === id).data,
    tiles: async (id) => lab.runs.find((r) => r.id === id).tiles,
    actions: (r, td) => {
      const b = document.createElement("button");
      b.className = "download";
      b.textContent = t("runs.download");
      b.title = t("runs.downloadTitle");
      b.addEventListener("click", () => download(r.id));
      td.append(" ", b);
    },
  });
  window.labRuns = runsView;
  runsView.setList([]);
  translate();
  onLanguage(() => {
    setStatus(lab.status);
    show();
    gradientNote();
    if (lab.info) $("engine-line").textContent = t("lab.engine", { version: lab.info.version, kernels: lab.info.kernels });
  });
  $("engine-line").textContent = t("lab.loadingEngine");
  setStatus("loading");

  $("train").addEventListener("click", () => train());
  $("pause").addEventListener("click", () => lab.worker.postMessage({ type: "pause" }));
  $("resume").addEventListener("click", () => lab.worker.postMessage({ type: "resume" }));
  $("step").addEventListener("click", () => {
    if (lab.status === "paused") lab.worker.postMessage({ type: "step" });
    else train(true);
  });
  $("stop").addEventListener("click", () => lab.worker.postMessage({ type: "stop" }));
  $("apply-lr").addEventListener("click", applyLr);
  $("lr-now").addEventListener("keydown", (e) => {
    if (e.key === "Enter") applyLr();
  });
  $("gradient").addEventListener("change", onGradient);
  for (const id of ["hidden", "batch"]) $(id).addEventListener("input", gradientNote);
  $("defaults").addEventListener("click", () => {
    fill(lab.info.defaults);
    gradientNote();
  });
  $("settings").addEventListener("submit", (e) => {
    e.preventDefault();
    train();
  });
  startWorker();
}

main();
