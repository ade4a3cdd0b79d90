// The panels of a run, shared by the dashboard (fed by server-sent events
// from `manabi train --serve` and by /api/runs) and the lab (fed by its Web
// Worker): the numbers of the moment, figure 4-11 (loss per iteration),
// figure 4-12 (accuracy per epoch), the strip of test digits with the
// network's answers, W1's hidden units as tiles, and finished runs overlaid.
//
// Both feeds speak the same messages:
//   snapshot {config, iters, iter_per_epoch, classes, first,
//             strip: {rows, cols, labels, images}, …then an update's fields}
//   update   {progress: {iteration, epoch, loss, samples_per_s, eta_s},
//             loss: [[iteration, loss], …], epochs: [{epoch, iteration,
//             train_acc, test_acc, elapsed}, …], net: {version, predictions:
//             [[class, p], …], tiles: {rows, cols, units, shown, data}},
//             status, learning_rate_changes: [{iteration, lr}, …]}
// where images and tile data are bytes (base64 text or a Uint8Array).

import { drawChart, movingAverage } from "./chart.js";
import { t, onLanguage } from "./i18n.js";

export const TRAIN = "#1f77b4";
export const TEST = "#ff7f0e";
const RAW = "#7aa6d6";
const TREND = "#12355b";
const LR_MARK = "#9467bd";
// Colours of overlaid runs (Matplotlib's tab10, as the book's figures).
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
// Points kept in the browser for the live loss curve; past it, every other
// one is dropped (the server thins the same way).
const MAX_POINTS = 40000;

export const fmtInt = (n) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US"));
export const fmt4 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(4));

export function fmtTime(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "–";
  if (s < 1) return "< 1 s";
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

// Bytes from base64 text (what the server sends) or as they are.
export function bytes(data) {
  if (data instanceof Uint8Array) return data;
  const text = atob(data);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

// A window of about 1 % of the run, at least 10 points: smooth enough to
// show the trend, short enough to follow it.
function trendWindow(points) {
  return Math.max(10, Math.round(points.length / 100));
}

function el(html) {
  const t = document.createElement("template");
  t.innerHTML = html.trim();
  return t.content;
}

// ---------------------------------------------------------------- W1 tiles

// The colour of each weight byte (128 = 0): blue below, white at 0, red
// above, the map of the run folder's weights.png; a table of 256 entries.
const DIVERGING = (() => {
  const table = new Uint8Array(256 * 3);
  for (let b = 0; b < 256; b++) {
    const v = Math.max(-1, Math.min(1, (b - 128) / 127));
    const [end, f] = v < 0 ? [[33, 102, 172], -v] : [[178, 24, 43], v];
    for (let k = 0; k < 3; k++) table[3 * b + k] = Math.round(255 + (end[k] - 255) * f);
  }
  return table;
})();

export function drawTiles(canvas, tiles) {
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
  canvas.title = shown < units ? t("tiles.some", { shown, units }) : t("tiles.all", { units });
}

// A 28×28 (rows × cols) grey image as dark ink on white paper.
export function paintDigit(canvas, pixels, rows, cols, offset = 0) {
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(cols, rows);
  for (let k = 0; k < rows * cols; k++) {
    const v = 255 - pixels[offset + k];
    img.data[4 * k] = v;
    img.data[4 * k + 1] = v;
    img.data[4 * k + 2] = v;
    img.data[4 * k + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// ---------------------------------------------------------------- live run

const LIVE_HTML = `
<div class="stats">
  <div><span class="label" data-i18n="stat.iteration"></span><span id="s-iter" class="value">–</span></div>
  <div><span class="label" data-i18n="stat.epoch"></span><span id="s-epoch" class="value">–</span></div>
  <div><span class="label" data-i18n="stat.loss"></span><span id="s-loss" class="value">–</span></div>
  <div><span class="label" data-i18n="stat.train"></span><span id="s-train" class="value">–</span></div>
  <div><span class="label" data-i18n="stat.test"></span><span id="s-test" class="value">–</span></div>
  <div><span class="label" data-i18n="stat.lr"></span><span id="s-lr" class="value">–</span></div>
  <div><span class="label" data-i18n="stat.rate"></span><span id="s-rate" class="value">–</span></div>
  <div><span class="label" data-i18n="stat.eta"></span><span id="s-eta" class="value">–</span></div>
</div>
<div class="bar"><div id="bar-fill"></div></div>
<div class="charts">
  <figure>
    <figcaption><span data-i18n="loss.title"></span> <small data-i18n="loss.note"></small></figcaption>
    <canvas id="loss-chart"></canvas>
  </figure>
  <figure>
    <figcaption><span data-i18n="acc.title"></span> <small data-i18n="acc.note"></small></figcaption>
    <canvas id="acc-chart"></canvas>
  </figure>
</div>
<div class="slot-after-charts"></div>
<figure class="wide">
  <figcaption><span data-i18n="strip.title"></span> <small data-i18n="strip.note"></small></figcaption>
  <div id="strip" class="strip"></div>
</figure>
<figure class="wide">
  <figcaption><span id="tiles-caption" data-i18n="tiles.title"></span> <small data-i18n="tiles.refresh"></small></figcaption>
  <canvas id="tiles" class="tiles"></canvas>
  <p class="note" data-i18n="tiles.explain"></p>
</figure>`;

// The live panels in `container`; `onStatus(status)` is told each status.
export class LiveView {
  constructor(container, { onStatus = () => {} } = {}) {
    container.append(el(LIVE_HTML));
    this.root = container;
    this.onStatus = onStatus;
    this.$ = (id) => container.querySelector(`#${id}`);
    this.state = {
      snapshot: null, // the description of the run (config, strip, classes)
      loss: [], // [iteration, loss]
      epochs: [], // records
      lrChanges: [], // [{iteration, lr}]
      progress: null,
      net: null,
      status: "loading",
      updates: 0,
    };
    // The moving average of the live loss, kept up to date point by point
    // rather than recomputed at every redraw.
    this.trend = { window: 10, ys: [], sum: 0, points: [] };
    this.pending = false;
    this.lastAccKey = "";
    onLanguage(() => {
      this.lastAccKey = "";
      if (this.state.net) this.$("strip").dataset.version = "";
      this.$("tiles").dataset.version = "";
      this.scheduleDraw();
    });
    window.addEventListener("resize", () => this.scheduleDraw());
  }

  // The slot between the charts and the strip (the lab puts the drawing there).
  slot() {
    return this.root.querySelector(".slot-after-charts");
  }

  extendTrend([x, y]) {
    const tr = this.trend;
    if (y === null || !Number.isFinite(y)) return;
    tr.ys.push(y);
    tr.sum += y;
    const n = tr.ys.length;
    if (n > tr.window) tr.sum -= tr.ys[n - 1 - tr.window];
    tr.points.push([x, tr.sum / Math.min(n, tr.window)]);
  }

  resetTrend() {
    Object.assign(this.trend, { ys: [], sum: 0, points: [] });
    for (const p of this.state.loss) this.extendTrend(p);
  }

  mergeLoss(points) {
    const s = this.state;
    for (const p of points) {
      s.loss.push(p);
      this.extendTrend(p);
    }
    if (s.loss.length > MAX_POINTS) {
      s.loss = s.loss.filter((_, i) => i % 2 === 0);
      this.resetTrend();
    }
  }

  onSnapshot(snap) {
    const s = this.state;
    s.snapshot = snap;
    s.loss = [];
    s.epochs = [];
    s.lrChanges = [];
    s.net = null;
    this.trend.window = Math.max(10, Math.round(snap.iters / 100));
    this.resetTrend();
    this.$("tiles").dataset.version = "";
    this.$("strip").dataset.version = "";
    this.lastAccKey = "";
    this.buildStrip(snap);
    this.apply(snap);
  }

  apply(u) {
    const s = this.state;
    this.mergeLoss(u.loss || []);
    for (const r of u.epochs || []) s.epochs.push(r);
    if (u.learning_rate_changes) s.lrChanges = u.learning_rate_changes;
    if (u.net) s.net = u.net;
    if (u.progress) s.progress = u.progress;
    if (u.status) s.status = u.status;
    s.updates += 1;
    this.scheduleDraw();
  }

  scheduleDraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  currentLr() {
    const s = this.state;
    const changes = s.lrChanges;
    if (changes.length) return changes[changes.length - 1].lr;
    return s.snapshot ? s.snapshot.config.training.learning_rate : null;
  }

  draw() {
    const s = this.state;
    const snap = s.snapshot;
    if (!snap) return;
    const $ = this.$;
    const p = s.progress || {};
    const last = s.epochs[s.epochs.length - 1];
    $("s-iter").textContent = `${fmtInt(p.iteration)} / ${fmtInt(snap.iters)}`;
    $("s-epoch").textContent = fmtInt(p.epoch);
    $("s-loss").textContent = fmt4(p.loss);
    $("s-train").textContent = last ? fmt4(last.train_acc) : "–";
    $("s-test").textContent = last ? fmt4(last.test_acc) : "–";
    const lr = this.currentLr();
    $("s-lr").textContent = lr === null ? "–" : String(lr);
    $("s-rate").textContent = p.samples_per_s ? fmtInt(p.samples_per_s) : "–";
    $("s-eta").textContent = s.status === "running" ? fmtTime(p.eta_s) : "–";
    $("bar-fill").style.width = `${Math.min(100, (100 * (p.iteration || 0)) / snap.iters)}%`;
    this.onStatus(s.status);

    const marks = s.lrChanges.map((c) => ({
      points: [[c.iteration, 0], [c.iteration, 3]],
      color: LR_MARK,
      width: 1.5,
      dash: [3, 3],
    }));
    const legend = [
      { text: t("legend.batch"), color: RAW },
      { text: t("legend.trend"), color: TREND },
    ];
    if (marks.length) legend.push({ text: t("legend.lr"), color: LR_MARK, dash: [3, 3] });
    drawChart($("loss-chart"), {
      xLabel: t("axis.iteration"),
      yLabel: t("axis.loss"),
      xMin: 0,
      xMax: Math.max(snap.iters, 1),
      yMin: 0,
      yCap: 3,
      series: [
        { points: s.loss, color: RAW, width: 1, alpha: 0.55 },
        { points: this.trend.points, color: TREND, width: 2 },
        ...marks,
      ],
      legend,
    });
    // The loss chart counts only the loss: the marks are not data points.
    $("loss-chart").dataset.points = String(s.loss.length + this.trend.points.length);
    // The accuracy changes once an epoch: redraw it only then (or on resize).
    const accKey = `${s.epochs.length} ${$("acc-chart").clientWidth}`;
    if (accKey !== this.lastAccKey) {
      this.lastAccKey = accKey;
      this.drawAccuracy(snap);
    }
    if (s.net) {
      if (s.net.tiles && $("tiles").dataset.version !== String(s.net.version)) {
        drawTiles($("tiles"), s.net.tiles);
        $("tiles").dataset.version = String(s.net.version);
        $("tiles-caption").textContent = last
          ? t("tiles.after", { epoch: last.epoch, iteration: fmtInt(last.iteration + 1) })
          : t("tiles.title");
      }
      if ($("strip").dataset.version !== String(s.net.version)) this.updateStrip(s.net.predictions);
    }
  }

  drawAccuracy(snap) {
    const s = this.state;
    drawChart(this.$("acc-chart"), {
      xLabel: t("axis.epoch"),
      yLabel: t("axis.accuracy"),
      xMin: 0,
      xMax: Math.max(1, Math.floor((snap.iters - 1) / snap.iter_per_epoch)),
      yMin: 0,
      yMax: 1,
      series: [
        { points: s.epochs.map((r) => [r.epoch, r.train_acc]), color: TRAIN, width: 2 },
        { points: s.epochs.map((r) => [r.epoch, r.test_acc]), color: TEST, width: 2, dash: [6, 4] },
      ],
      legend: [
        { text: t("legend.train"), color: TRAIN },
        { text: t("legend.test"), color: TEST, dash: [6, 4] },
      ],
      legendBottom: true,
    });
  }

  // The strip: the test images, drawn once; their predictions, each epoch.
  buildStrip(snap) {
    const strip = this.$("strip");
    strip.textContent = "";
    const { rows, cols, labels } = snap.strip;
    const images = bytes(snap.strip.images);
    // Digits fit in one row; long class names (clothes) get two rows of ten.
    const longest = Math.max(...snap.classes.map((c) => c.length));
    strip.style.gridTemplateColumns = longest > 2 ? "repeat(10, minmax(0, 1fr))" : "";
    labels.forEach((label, i) => {
      const cell = document.createElement("div");
      cell.className = "digit";
      const canvas = document.createElement("canvas");
      paintDigit(canvas, images, rows, cols, i * rows * cols);
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

  updateStrip(predictions) {
    const s = this.state;
    const snap = s.snapshot;
    const cells = this.$("strip").children;
    let wrong = 0;
    (predictions || []).forEach(([k, p], i) => {
      const cell = cells[i];
      if (!cell) return;
      const label = snap.strip.labels[i];
      const ok = k === label;
      if (!ok) wrong += 1;
      cell.className = `digit ${ok ? "right" : "wrong"}`;
      const pct = p === null ? "?" : `${Math.round(100 * p)}%`;
      cell.children[1].textContent = `${ok ? "" : "✗ "}${snap.classes[k]}`;
      cell.children[2].textContent = ok ? pct : t("strip.is", { label: snap.classes[label] });
      cell.title = t("strip.tooltip", { label: snap.classes[label], said: snap.classes[k], pct });
    });
    this.$("strip").dataset.wrong = String(wrong);
    this.$("strip").dataset.version = String(s.net ? s.net.version : 0);
  }
}

// ---------------------------------------------------------------- finished runs

const RUNS_HTML = `
<h2 class="runs-title" data-i18n="runs.title"></h2>
<p class="hint" data-i18n="runs.hint"></p>
<div class="table-wrap">
  <table id="run-table">
    <thead><tr><th></th><th data-i18n="runs.col.run"></th><th data-i18n="runs.col.data"></th>
      <th data-i18n="runs.col.network"></th><th data-i18n="runs.col.lr"></th><th data-i18n="runs.col.batch"></th>
      <th data-i18n="runs.col.gradient"></th><th data-i18n="runs.col.status"></th><th data-i18n="runs.col.iterations"></th>
      <th data-i18n="runs.col.train"></th><th data-i18n="runs.col.test"></th><th></th></tr></thead>
    <tbody></tbody>
  </table>
</div>
<div class="charts" id="overlay" hidden>
  <figure>
    <figcaption><span data-i18n="runs.overlayLoss"></span> <small data-i18n="runs.overlayLossNote"></small></figcaption>
    <canvas id="runs-loss-chart"></canvas>
  </figure>
  <figure>
    <figcaption><span data-i18n="runs.overlayAcc"></span> <small data-i18n="runs.overlayAccNote"></small></figcaption>
    <canvas id="runs-acc-chart"></canvas>
  </figure>
</div>
<figure class="wide" id="run-tiles-figure" hidden>
  <figcaption id="run-tiles-caption">W1</figcaption>
  <canvas id="run-tiles" class="tiles"></canvas>
</figure>`;

// Finished runs as a table; the ticked ones overlaid. The host gives:
//   load(id)       → {config, loss, epochs}: a run's curves
//   tiles(id)      → W1 tiles, or throws an Error whose message is shown
//   actions(r, td) → fills the last cell of a row (links, buttons)
export class RunsView {
  constructor(container, { title = "runs.title", empty = "runs.none", load, tiles, actions = () => {} }) {
    container.append(el(RUNS_HTML));
    container.querySelector(".runs-title").dataset.i18n = title;
    this.root = container;
    this.$ = (id) => container.querySelector(`#${id}`);
    this.empty = empty;
    this.host = { load, tiles, actions };
    this.list = [];
    this.chosen = new Map(); // id → { data, colour }
    onLanguage(() => {
      this.render();
      this.drawOverlay();
    });
    window.addEventListener("resize", () => this.drawOverlay());
  }

  // `list`: summaries as /api/runs gives them, newest first.
  setList(list) {
    this.list = list.filter((r) => !r.error);
    for (const id of [...this.chosen.keys()]) {
      if (!this.list.some((r) => r.id === id)) this.chosen.delete(id);
    }
    this.render();
    this.drawOverlay();
  }

  render() {
    const body = this.$("run-table").tBodies[0];
    body.textContent = "";
    for (const r of this.list) {
      const tr = document.createElement("tr");
      tr.dataset.id = r.id;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = this.chosen.has(r.id);
      box.addEventListener("change", () => this.toggle(r.id, box.checked));
      const cells = [
        box,
        r.id,
        r.train_size === undefined ? r.dataset : `${r.dataset}${r.train_size ? ` (${fmtInt(r.train_size)})` : ""}`,
        `${r.sizes.join("-")} ${r.activation}`,
        String(r.learning_rate) + (r.learning_rate_changes && r.learning_rate_changes.length
          ? ` → ${r.learning_rate_changes.map((c) => c.lr).join(" → ")}` : ""),
        String(r.batch_size),
        r.gradient,
        t(`status.${r.status}`) === `status.${r.status}` ? r.status : t(`status.${r.status}`),
        r.iterations === null || r.iterations === undefined ? "–" : fmtInt(r.iterations),
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
      show.textContent = t("runs.w1");
      show.title = t("runs.w1Title");
      show.addEventListener("click", () => this.showTiles(r.id));
      td.append(show);
      this.host.actions(r, td);
      tr.append(td);
      body.append(tr);
    }
    if (!this.list.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = 12;
      td.textContent = t(this.empty);
      tr.append(td);
      body.append(tr);
    }
    this.paintChosen();
  }

  async toggle(id, on) {
    if (!on) {
      this.chosen.delete(id);
    } else {
      const data = await this.host.load(id);
      const used = new Set([...this.chosen.values()].map((c) => c.colour));
      const colour = PALETTE.find((c) => !used.has(c)) || PALETTE[this.chosen.size % PALETTE.length];
      this.chosen.set(id, { data, colour });
    }
    this.paintChosen();
    this.drawOverlay();
  }

  paintChosen() {
    for (const tr of this.$("run-table").tBodies[0].rows) {
      const chosen = this.chosen.get(tr.dataset.id);
      tr.className = chosen ? "chosen" : "";
      const box = tr.querySelector("input");
      if (box) box.style.accentColor = chosen ? chosen.colour : "";
    }
  }

  // The legend of a run: what sets it apart from the other chosen runs.
  legendText(id) {
    const all = [...this.chosen.keys()].map((k) => this.list.find((r) => r.id === k)).filter(Boolean);
    const r = this.list.find((x) => x.id === id);
    if (!r) return id;
    const fields = [
      (x) => x.dataset,
      (x) => t("runs.images", { n: fmtInt(x.train_size) }),
      (x) => x.sizes.join("-"),
      (x) => x.activation,
      (x) => `lr ${x.learning_rate}${(x.learning_rate_changes || []).map((c) => `→${c.lr}`).join("")}`,
      (x) => `batch ${x.batch_size}`,
      (x) => x.gradient,
      (x) => x.precision,
      (x) => x.sampling,
      (x) => `seed ${x.seed}`,
    ];
    const differing = fields.filter((f) => new Set(all.map(f)).size > 1).map((f) => f(r));
    return differing.length ? differing.join(", ") : id;
  }

  drawOverlay() {
    const $ = this.$;
    $("overlay").hidden = this.chosen.size === 0;
    if (!this.chosen.size) return;
    const loss = [];
    const acc = [];
    const legend = [];
    let iters = 1;
    for (const [id, { data, colour }] of this.chosen) {
      iters = Math.max(iters, data.config.training.iters);
      const points = data.loss;
      if (this.chosen.size === 1) loss.push({ points, color: colour, width: 1, alpha: 0.3 });
      loss.push({ points: movingAverage(points, trendWindow(points)), color: colour, width: 2 });
      acc.push({ points: data.epochs.map((r) => [r.epoch, r.train_acc]), color: colour, width: 2 });
      acc.push({ points: data.epochs.map((r) => [r.epoch, r.test_acc]), color: colour, width: 2, dash: [6, 4] });
      legend.push({ text: this.legendText(id), color: colour });
    }
    drawChart($("runs-loss-chart"), {
      xLabel: t("axis.iteration"), yLabel: t("axis.loss"), xMin: 0, xMax: iters, yMin: 0, yCap: 3, series: loss, legend,
    });
    drawChart($("runs-acc-chart"), {
      xLabel: t("axis.epoch"), yLabel: t("axis.accuracy"), xMin: 0, yMin: 0, yMax: 1, series: acc, legend, legendBottom: true,
    });
  }

  async showTiles(id) {
    const $ = this.$;
    $("run-tiles-figure").hidden = false;
    try {
      const tiles = await this.host.tiles(id);
      $("run-tiles-caption").textContent = t("runs.w1Of", { id, units: tiles.units });
      drawTiles($("run-tiles"), tiles);
    } catch (e) {
      $("run-tiles-caption").textContent = `W1 of ${id}: ${e.message}`;
      $("run-tiles").width = 0;
    }
  }
}
