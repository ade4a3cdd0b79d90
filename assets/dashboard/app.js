// The dashboard: follows a live run through server-sent events
// (/api/live/events: one `snapshot`, then `update`s) and overlays finished
// runs (/api/runs). Everything is drawn here, on canvases, from numbers;
// nothing is fetched from anywhere but this server.

import { drawChart, movingAverage } from "./chart.js";

const TRAIN = "#1f77b4";
const TEST = "#ff7f0e";
const RAW = "#7aa6d6";
const TREND = "#12355b";
// Colours of overlaid runs (Matplotlib's tab10, as the book's figures).
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
// Points kept in the browser for the live loss curve; past it, every other
// one is dropped (the server thins the same way).
const MAX_POINTS = 40000;

const $ = (id) => document.getElementById(id);
const fmtInt = (n) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US"));
const fmt4 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(4));

function fmtTime(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "–";
  if (s < 1) return "< 1 s";
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function bytes(b64) {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function setStatus(status) {
  document.body.dataset.status = status;
  const words = {
    running: "training",
    completed: "finished",
    interrupted: "stopped (Ctrl-C)",
    diverged: "diverged",
    disconnected: "disconnected — retrying",
    loading: "connecting…",
    finished: "finished runs",
  };
  $("status").textContent = words[status] || status;
}

// A window of about 1 % of the run, at least 10 points: smooth enough to
// show the trend, short enough to follow it.
function trendWindow(points) {
  return Math.max(10, Math.round(points.length / 100));
}

// ---------------------------------------------------------------- W1 tiles

// The colour of each weight byte (128 = 0): blue below, white at 0, red
// above, the map of the run folder's weights.png; a table of 256 entries.
const DIVERGING = (() => {
  const table = new Uint8Array(256 * 3);
  for (let b = 0; b < 256; b++) {
    const v = Math.max(-1, Math.min(1, (b - 128) / 127));
    const [end, t] = v < 0 ? [[33, 102, 172], -v] : [[178, 24, 43], v];
    for (let k = 0; k < 3; k++) table[3 * b + k] = Math.round(255 + (end[k] - 255) * t);
  }
  return table;
})();

function drawTiles(canvas, tiles) {
  const { rows, cols, shown, units } = tiles;
  const data = bytes(tiles.data);
  const columns = shown <= 50 ? 10 : 20;
  const gridRows = Math.ceil(shown / columns);
  const gap = 2;
  const w = columns * (cols + gap) - gap;
  const h = gridRows * (rows + gap) - gap;
  const small = document.createElement("canvas");
  small.width = w;
  small.height = h;
  const sctx = small.getContext("2d");
  const img = sctx.createImageData(w, h);
  img.data.fill(255);
  for (let j = 0; j < shown; j++) {
    const ox = (j % columns) * (cols + gap);
    const oy = Math.floor(j / columns) * (rows + gap);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const b = 3 * data[j * rows * cols + r * cols + c];
        const k = ((oy + r) * w + ox + c) * 4;
        img.data[k] = DIVERGING[b];
        img.data[k + 1] = DIVERGING[b + 1];
        img.data[k + 2] = DIVERGING[b + 2];
      }
    }
  }
  sctx.putImageData(img, 0, 0);
  const scale = Math.max(1, Math.min(3, Math.floor((canvas.parentElement.clientWidth - 24) / w)));
  canvas.width = w * scale;
  canvas.height = h * scale;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, w * scale, h * scale);
  canvas.dataset.units = String(shown);
  canvas.title = shown < units ? `the first ${shown} of ${units} hidden units` : `${units} hidden units`;
}

// ---------------------------------------------------------------- live run

const live = {
  snapshot: null, // the description of the run (config, strip, classes)
  loss: [], // [iteration, loss]
  epochs: [], // records
  progress: null,
  net: null,
  status: "loading",
  updates: 0,
};
// What a test (or a curious reader, in the console) can look at.
window.manabi = live;

// The moving average of the live loss, kept up to date point by point
// rather than recomputed at every redraw: over a window of 1 % of the run's
// iterations (at least 10).
const trend = { window: 10, ys: [], sum: 0, points: [] };

function extendTrend([x, y]) {
  if (y === null || !Number.isFinite(y)) return;
  trend.ys.push(y);
  trend.sum += y;
  const n = trend.ys.length;
  if (n > trend.window) trend.sum -= trend.ys[n - 1 - trend.window];
  trend.points.push([x, trend.sum / Math.min(n, trend.window)]);
}

function resetTrend() {
  trend.ys = [];
  trend.sum = 0;
  trend.points = [];
  for (const p of live.loss) extendTrend(p);
}

function mergeLoss(points) {
  for (const p of points) {
    live.loss.push(p);
    extendTrend(p);
  }
  if (live.loss.length > MAX_POINTS) {
    live.loss = live.loss.filter((_, i) => i % 2 === 0);
    resetTrend();
  }
}

function onSnapshot(s) {
  live.snapshot = s;
  live.loss = [];
  live.epochs = [];
  live.net = null;
  trend.window = Math.max(10, Math.round(s.iters / 100));
  resetTrend();
  apply(s);
  const c = s.config;
  const net = c.network;
  const t = c.training;
  $("run-title").textContent =
    `${c.dataset.name} · ${net.sizes.join("-")} ${net.activation} · ${t.gradient} gradient, ${t.precision} · ` +
    `lr ${t.learning_rate}, batch ${t.batch_size}, ${fmtInt(t.iters)} iterations, seed ${t.seed}`;
  buildStrip(s);
}

function apply(u) {
  mergeLoss(u.loss || []);
  for (const r of u.epochs || []) live.epochs.push(r);
  if (u.net) live.net = u.net;
  live.progress = u.progress;
  live.status = u.status;
  live.updates += 1;
  scheduleDraw();
}

let pending = false;
function scheduleDraw() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    drawLive();
  });
}

function drawLive() {
  const s = live.snapshot;
  if (!s) return;
  const p = live.progress || {};
  const last = live.epochs[live.epochs.length - 1];
  $("s-iter").textContent = `${fmtInt(p.iteration)} / ${fmtInt(s.iters)}`;
  $("s-epoch").textContent = fmtInt(p.epoch);
  $("s-loss").textContent = fmt4(p.loss);
  $("s-train").textContent = last ? fmt4(last.train_acc) : "–";
  $("s-test").textContent = last ? fmt4(last.test_acc) : "–";
  $("s-rate").textContent = p.samples_per_s ? fmtInt(p.samples_per_s) : "–";
  $("s-eta").textContent = live.status === "running" ? fmtTime(p.eta_s) : "–";
  $("bar-fill").style.width = `${Math.min(100, (100 * (p.iteration || 0)) / s.iters)}%`;
  setStatus(live.status);

  drawChart($("loss-chart"), {
    xLabel: "iteration",
    yLabel: "loss",
    xMin: 0,
    xMax: Math.max(s.iters, 1),
    yMin: 0,
    yCap: 3,
    series: [
      { points: live.loss, color: RAW, width: 1, alpha: 0.55 },
      { points: trend.points, color: TREND, width: 2 },
    ],
    legend: [
      { text: "batch loss", color: RAW },
      { text: "moving average", color: TREND },
    ],
  });
  // The accuracy changes once an epoch: redraw it only then (or on resize).
  const accKey = `${live.epochs.length} ${$("acc-chart").clientWidth}`;
  if (accKey !== lastAccKey) {
    lastAccKey = accKey;
    drawAccuracy(s);
  }
  if (live.net) {
    if (live.net.tiles && $("tiles").dataset.version !== String(live.net.version)) {
      drawTiles($("tiles"), live.net.tiles);
      $("tiles").dataset.version = String(live.net.version);
      const at = last ? ` after epoch ${last.epoch} (iteration ${fmtInt(last.iteration + 1)})` : "";
      $("tiles-caption").firstChild.textContent = `W1: what each hidden unit looks at${at} `;
    }
    if ($("strip").dataset.version !== String(live.net.version)) updateStrip(live.net.predictions);
  }
}

let lastAccKey = "";
function drawAccuracy(s) {
  drawChart($("acc-chart"), {
    xLabel: "epoch",
    yLabel: "accuracy",
    xMin: 0,
    xMax: Math.max(1, Math.floor((s.iters - 1) / s.iter_per_epoch)),
    yMin: 0,
    yMax: 1,
    series: [
      { points: live.epochs.map((r) => [r.epoch, r.train_acc]), color: TRAIN, width: 2 },
      { points: live.epochs.map((r) => [r.epoch, r.test_acc]), color: TEST, width: 2, dash: [6, 4] },
    ],
    legend: [
      { text: "train acc", color: TRAIN },
      { text: "test acc", color: TEST, dash: [6, 4] },
    ],
    legendBottom: true,
  });
}

// The strip: the test images, drawn once; their predictions, each epoch.
function buildStrip(s) {
  const strip = $("strip");
  strip.textContent = "";
  const { rows, cols, labels } = s.strip;
  const images = bytes(s.strip.images);
  // Digits fit in one row; long class names (clothes) get two rows of ten.
  const longest = Math.max(...s.classes.map((c) => c.length));
  strip.style.gridTemplateColumns = longest > 2 ? "repeat(10, minmax(0, 1fr))" : "";
  labels.forEach((label, i) => {
    const cell = document.createElement("div");
    cell.className = "digit";
    const canvas = document.createElement("canvas");
    canvas.width = cols;
    canvas.height = rows;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(cols, rows);
    for (let k = 0; k < rows * cols; k++) {
      // Dark ink on white paper.
      const v = 255 - images[i * rows * cols + k];
      img.data[4 * k] = v;
      img.data[4 * k + 1] = v;
      img.data[4 * k + 2] = v;
      img.data[4 * k + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    const said = document.createElement("div");
    said.className = "said";
    said.textContent = "?";
    const how = document.createElement("div");
    how.className = "how";
    how.textContent = "\u00a0";
    cell.append(canvas, said, how);
    strip.append(cell);
  });
}

function updateStrip(predictions) {
  const s = live.snapshot;
  const cells = $("strip").children;
  let wrong = 0;
  (predictions || []).forEach(([k, p], i) => {
    const cell = cells[i];
    if (!cell) return;
    const label = s.strip.labels[i];
    const ok = k === label;
    if (!ok) wrong += 1;
    cell.className = `digit ${ok ? "right" : "wrong"}`;
    const pct = p === null ? "?" : `${Math.round(100 * p)}%`;
    cell.children[1].textContent = `${ok ? "" : "✗ "}${s.classes[k]}`;
    cell.children[2].textContent = ok ? pct : `is ${s.classes[label]}`;
    cell.title = `is ${s.classes[label]}; the network says ${s.classes[k]} (${pct})`;
  });
  $("strip").dataset.wrong = String(wrong);
  $("strip").dataset.version = String(live.net ? live.net.version : 0);
}

function followLive() {
  $("live").hidden = false;
  const events = new EventSource("/api/live/events");
  events.addEventListener("snapshot", (e) => onSnapshot(JSON.parse(e.data)));
  events.addEventListener("update", (e) => apply(JSON.parse(e.data)));
  const ended = () => live.status !== "running" && live.status !== "loading" && live.status !== "disconnected";
  const check = () => {
    if (ended()) {
      events.close();
      refreshRuns();
    }
  };
  events.addEventListener("snapshot", check);
  events.addEventListener("update", check);
  events.onerror = () => {
    if (!ended()) {
      live.status = "disconnected";
      setStatus("disconnected");
    }
  };
}

// ---------------------------------------------------------------- finished runs

const runs = {
  list: [],
  chosen: new Map(), // id → { data, colour }
};
window.manabiRuns = runs;

function describe(r) {
  return `${r.sizes.join("-")} ${r.activation}`;
}

// The legend of a run: what sets it apart from the other chosen runs.
function legendText(id) {
  const all = [...runs.chosen.keys()].map((k) => runs.list.find((r) => r.id === k)).filter(Boolean);
  const r = runs.list.find((x) => x.id === id);
  if (!r) return id;
  const fields = [
    ["dataset", (x) => x.dataset],
    ["train_size", (x) => `${fmtInt(x.train_size)} images`],
    ["sizes", (x) => x.sizes.join("-")],
    ["activation", (x) => x.activation],
    ["lr", (x) => `lr ${x.learning_rate}`],
    ["batch", (x) => `batch ${x.batch_size}`],
    ["gradient", (x) => x.gradient],
    ["precision", (x) => x.precision],
    ["sampling", (x) => x.sampling],
    ["seed", (x) => `seed ${x.seed}`],
  ];
  const differing = fields.filter(([, f]) => new Set(all.map(f)).size > 1).map(([, f]) => f(r));
  return differing.length ? differing.join(", ") : id;
}

async function refreshRuns() {
  const info = await (await fetch("/api/info")).json();
  if (!info.runs) return;
  const list = await (await fetch("/api/runs")).json();
  runs.list = list.filter((r) => !r.error);
  $("runs").hidden = false;
  const body = $("run-table").tBodies[0];
  body.textContent = "";
  for (const r of runs.list) {
    const tr = document.createElement("tr");
    tr.dataset.id = r.id;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = runs.chosen.has(r.id);
    box.addEventListener("change", () => toggleRun(r.id, box.checked));
    const cells = [
      box,
      r.id,
      r.train_size === undefined ? r.dataset : `${r.dataset}${r.train_size ? ` (${fmtInt(r.train_size)})` : ""}`,
      describe(r),
      String(r.learning_rate),
      String(r.batch_size),
      r.gradient,
      r.status,
      r.iterations === null ? "–" : fmtInt(r.iterations),
      r.last_epoch ? fmt4(r.last_epoch.train_acc) : "–",
      r.last_epoch ? fmt4(r.last_epoch.test_acc) : "–",
    ];
    cells.forEach((c, i) => {
      const td = document.createElement("td");
      if (c instanceof Node) td.append(c);
      else td.textContent = c;
      if (i >= 8 && i <= 10) td.className = "num";
      tr.append(td);
    });
    const td = document.createElement("td");
    const show = document.createElement("button");
    show.textContent = "W1";
    show.title = "show this run's hidden units";
    show.addEventListener("click", () => showRunTiles(r.id));
    const summary = document.createElement("a");
    summary.href = `/runs/${encodeURIComponent(r.id)}/summary.txt`;
    summary.textContent = "summary";
    summary.target = "_blank";
    td.append(show, " ", summary);
    tr.append(td);
    body.append(tr);
  }
  if (!runs.list.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 12;
    td.textContent = "No finished runs in this folder yet.";
    tr.append(td);
    body.append(tr);
  }
  paintChosen();
}

async function toggleRun(id, on) {
  if (!on) {
    runs.chosen.delete(id);
  } else {
    const data = await (await fetch(`/api/runs/${encodeURIComponent(id)}`)).json();
    const used = new Set([...runs.chosen.values()].map((c) => c.colour));
    const colour = PALETTE.find((c) => !used.has(c)) || PALETTE[runs.chosen.size % PALETTE.length];
    runs.chosen.set(id, { data, colour });
  }
  paintChosen();
  drawOverlay();
}

function paintChosen() {
  for (const tr of $("run-table").tBodies[0].rows) {
    const chosen = runs.chosen.get(tr.dataset.id);
    tr.className = chosen ? "chosen" : "";
    const box = tr.querySelector("input");
    if (box) box.style.accentColor = chosen ? chosen.colour : "";
  }
}

function drawOverlay() {
  $("overlay").hidden = runs.chosen.size === 0;
  if (!runs.chosen.size) return;
  const loss = [];
  const acc = [];
  const legend = [];
  let iters = 1;
  for (const [id, { data, colour }] of runs.chosen) {
    iters = Math.max(iters, data.config.training.iters);
    const points = data.loss;
    const single = runs.chosen.size === 1;
    if (single) loss.push({ points, color: colour, width: 1, alpha: 0.3 });
    loss.push({ points: movingAverage(points, trendWindow(points)), color: colour, width: 2 });
    acc.push({ points: data.epochs.map((r) => [r.epoch, r.train_acc]), color: colour, width: 2 });
    acc.push({ points: data.epochs.map((r) => [r.epoch, r.test_acc]), color: colour, width: 2, dash: [6, 4] });
    legend.push({ text: legendText(id), color: colour });
  }
  drawChart($("runs-loss-chart"), {
    xLabel: "iteration", yLabel: "loss", xMin: 0, xMax: iters, yMin: 0, yCap: 3, series: loss, legend,
  });
  drawChart($("runs-acc-chart"), {
    xLabel: "epoch", yLabel: "accuracy", xMin: 0, yMin: 0, yMax: 1, series: acc, legend, legendBottom: true,
  });
}

async function showRunTiles(id) {
  const res = await fetch(`/api/runs/${encodeURIComponent(id)}/weights`);
  $("run-tiles-figure").hidden = false;
  if (!res.ok) {
    $("run-tiles-caption").textContent = `W1 of ${id}: ${(await res.text()).trim()}`;
    $("run-tiles").width = 0;
    return;
  }
  const tiles = await res.json();
  $("run-tiles-caption").textContent = `W1 of ${id}: ${tiles.units} hidden units`;
  drawTiles($("run-tiles"), tiles);
}

// ---------------------------------------------------------------- start

async function start() {
  let info;
  try {
    info = await (await fetch("/api/info")).json();
  } catch {
    setStatus("disconnected");
    return;
  }
  $("version").textContent = `version ${info.version}`;
  if (info.live) followLive();
  else setStatus(info.runs ? "finished" : "loading");
  if (info.runs) await refreshRuns();
  if (!info.live && !info.runs) $("empty").hidden = false;
  window.addEventListener("resize", () => {
    scheduleDraw();
    drawOverlay();
  });
}

start();
