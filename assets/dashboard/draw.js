// Draw a digit: a canvas to write on with a mouse, a finger or a pen; the
// drawing prepared as MNIST prepared its digits (and as `manabi predict`
// prepares a picture: `to_mnist` in src/report/digit_image.rs, ported here
// operation for operation, so both give the same 28×28 bytes); and the ten
// probabilities of the network as it is now, asked of the host:
//   predict(pixels) → Promise of ten probabilities, or null (no network yet)
// The lab asks its Web Worker (manabi's own forward pass, in WebAssembly);
// the dashboard computes the forward pass here from the weights it reads.

import { t, onLanguage } from "./i18n.js";
import { paintDigit } from "./panels.js";

export const SIDE = 28;
const BOX = 20;
// The drawing surface, in canvas pixels whatever its size on screen, so the
// same strokes give the same picture on every screen.
export const PAD = 280;
const PEN = 20;

// Rust's f64::round: halves away from zero (Math.round takes -2.5 to -2).
const round = (x) => (x < 0 ? -Math.round(-x) : Math.round(x));
const clamp = (x, lo, hi) => Math.min(Math.max(x, lo), hi);

function median(values) {
  const v = Array.from(values).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : 0;
}

// Ink per pixel in [0, 255], white-on-black: the image as is when its
// border is dark, inverted when the border is light (paper).
function inkLevels(pixels, w, h) {
  const border = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x === 0 || y === 0 || x + 1 === w || y + 1 === h) border.push(pixels[y * w + x]);
    }
  }
  let sum = 0;
  for (const p of border) sum += p;
  const mean = sum / Math.max(border.length, 1);
  const light = mean > 127.5;
  const background = light ? 255 - median(border) : median(border);
  const out = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const v = light ? 255 - pixels[i] : pixels[i];
    out[i] = clamp(((v - background) / Math.max(255 - background, 1)) * 255, 0, 255);
  }
  return out;
}

function toBytes(values) {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = clamp(round(values[i]), 0, 255);
  return out;
}

// Resamples a sw × sh picture to dw × dh: each new pixel is the mean of the
// source area it covers (fractional pixels weighted by their share).
function resizeArea(src, sw, sh, dw, dh) {
  const fx = sw / dw;
  const fy = sh / dh;
  const spans = (d, f, n) => {
    const all = [];
    for (let i = 0; i < d; i++) {
      const a = i * f;
      const b = (i + 1) * f;
      const span = [];
      for (let s = Math.floor(a); s < Math.min(Math.ceil(b), n); s++) {
        span.push([s, Math.max(Math.min(b, s + 1) - Math.max(a, s), 0)]);
      }
      all.push(span);
    }
    return all;
  };
  const xs = spans(dw, fx, sw);
  const ys = spans(dh, fy, sh);
  const out = new Float64Array(dw * dh);
  let k = 0;
  for (const ysp of ys) {
    for (const xsp of xs) {
      let sum = 0;
      let weight = 0;
      for (const [y, wy] of ysp) {
        for (const [x, wx] of xsp) {
          sum += src[y * sw + x] * wx * wy;
          weight += wx * wy;
        }
      }
      out[k++] = weight > 0 ? sum / weight : 0;
    }
  }
  return out;
}

// A grey picture (0 black … 255 white, w × h, row by row) as MNIST would
// have it: 28×28 bytes, white ink on black, fitted into 20×20 and centred
// by its centre of mass; null when there is no ink.
export function toMnist(pixels, w, h) {
  const ink = inkLevels(pixels, w, h);
  if (w === SIDE && h === SIDE) return ink.some((v) => v > 0) ? toBytes(ink) : null;
  let top = 0;
  for (const v of ink) top = Math.max(top, v);
  if (top <= 0) return null;
  // The bounding box of the ink, ignoring faint specks (under 10% of the darkest stroke).
  const threshold = 0.1 * top;
  let y0 = -1;
  let y1 = -1;
  let x0 = w;
  let x1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (ink[y * w + x] > threshold) {
        if (y0 < 0) y0 = y;
        y1 = y;
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
      }
    }
  }
  if (y0 < 0) return null;
  y1 += 1;
  x1 += 1;
  const bw = x1 - x0;
  const bh = y1 - y0;
  const crop = new Float64Array(bw * bh);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) crop[(y - y0) * bw + x - x0] = ink[y * w + x];
  // Fit the longer side to 20 pixels, keeping the proportions.
  const s = BOX / Math.max(bw, bh);
  const tw = clamp(round(bw * s), 1, BOX);
  const th = clamp(round(bh * s), 1, BOX);
  const small = resizeArea(crop, bw, bh, tw, th);
  // Centre of mass of the fitted digit.
  let mass = 0;
  for (const v of small) mass += v;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < small.length; i++) {
    cx += small[i] * ((i % tw) + 0.5);
    cy += small[i] * (Math.floor(i / tw) + 0.5);
  }
  cx /= mass;
  cy /= mass;
  // Put it so its centre of mass lands on (14, 14), staying inside the field.
  const place = (c, len) => clamp(round(SIDE / 2 - c), 0, SIDE - len);
  const ox = place(cx, tw);
  const oy = place(cy, th);
  const out = new Float64Array(SIDE * SIDE);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out[(oy + y) * SIDE + ox + x] = small[y * tw + x];
  return toBytes(out);
}

// The forward pass of a two-layer network in plain JavaScript, for a page
// that has the weights but no engine (the dashboard): x·W1 + b1, the
// activation, ·W2 + b2, softmax. `net`: {sizes: [i, h, o], activation,
// w1, b1, w2, b2} with row-major Float64Arrays as the run's safetensors.
export function forward(net, pixels) {
  const [n, hdn, o] = net.sizes;
  const a1 = Float64Array.from(net.b1);
  for (let i = 0; i < n; i++) {
    const x = pixels[i] / 255;
    if (x === 0) continue;
    const row = i * hdn;
    for (let j = 0; j < hdn; j++) a1[j] += x * net.w1[row + j];
  }
  const z1 = a1.map((a) => (net.activation === "relu" ? Math.max(0, a) : 1 / (1 + Math.exp(-a))));
  const a2 = Float64Array.from(net.b2);
  for (let j = 0; j < hdn; j++) for (let k = 0; k < o; k++) a2[k] += z1[j] * net.w2[j * o + k];
  const top = Math.max(...a2);
  const e = a2.map((a) => Math.exp(a - top));
  const sum = e.reduce((s, v) => s + v, 0);
  return Array.from(e, (v) => v / sum);
}

const HTML = `
<figcaption><span data-i18n="draw.title"></span> <small data-i18n="draw.note"></small></figcaption>
<div class="draw">
  <div class="pad-wrap">
    <canvas class="pad" width="${PAD}" height="${PAD}"></canvas>
    <div class="pad-tools"><button type="button" class="clear" data-i18n="draw.clear"></button>
      <span class="hint" data-i18n="draw.hint"></span></div>
  </div>
  <div class="seen-wrap"><canvas class="seen" width="${SIDE}" height="${SIDE}"></canvas>
    <div class="hint" data-i18n="draw.seen"></div></div>
  <div class="probs"><p class="answer"></p><div class="bars"></div></div>
</div>`;

// The panel, built into `container` (a <figure>). `classes()` names the ten
// classes; `predict(pixels)` is the host's.
export class DrawPanel {
  constructor(container, { predict, classes }) {
    const tpl = document.createElement("template");
    tpl.innerHTML = HTML.trim();
    container.append(tpl.content);
    container.classList.add("wide", "draw-panel");
    container.id = container.id || "draw";
    this.root = container;
    this.host = { predict, classes };
    this.pad = container.querySelector(".pad");
    this.seen = container.querySelector(".seen");
    this.answer = container.querySelector(".answer");
    this.bars = container.querySelector(".bars");
    this.ctx = this.pad.getContext("2d", { willReadFrequently: true });
    // What a test (or a curious reader) can look at: the drawing as grey
    // pixels, what the network sees, and its last answer.
    this.last = { grey: null, pixels: null, probs: null, asked: 0, answered: 0 };
    this.busy = false;
    this.again = false;
    this.clear();
    this.wire();
    onLanguage(() => this.show());
  }

  clear() {
    this.ctx.fillStyle = "#fff";
    this.ctx.fillRect(0, 0, PAD, PAD);
    this.last.grey = null;
    this.last.pixels = null;
    this.last.probs = null;
    this.root.dataset.answer = "";
    paintDigit(this.seen, new Uint8Array(SIDE * SIDE), SIDE, SIDE);
    this.show();
  }

  wire() {
    const pad = this.pad;
    let drawing = false;
    let lastAt = 0;
    const at = (e) => {
      const r = pad.getBoundingClientRect();
      return [((e.clientX - r.left) * PAD) / r.width, ((e.clientY - r.top) * PAD) / r.height];
    };
    const ctx = this.ctx;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    pad.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      pad.setPointerCapture?.(e.pointerId);
      drawing = true;
      const [x, y] = at(e);
      ctx.strokeStyle = "#000";
      ctx.lineWidth = PEN;
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 0.01, y);
      ctx.stroke();
    });
    pad.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const [x, y] = at(e);
      ctx.lineTo(x, y);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(x, y);
      // Live answers while drawing, a few a second.
      if (performance.now() - lastAt > 150) {
        lastAt = performance.now();
        this.refresh();
      }
    });
    const end = () => {
      if (!drawing) return;
      drawing = false;
      this.refresh();
    };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    this.root.querySelector(".clear").addEventListener("click", () => this.clear());
  }

  // Reads the drawing and asks for the network's answer (again when the
  // network has changed). At most one question at a time; the latest wins.
  async refresh() {
    const data = this.ctx.getImageData(0, 0, PAD, PAD).data;
    const grey = new Uint8Array(PAD * PAD);
    for (let i = 0; i < grey.length; i++) grey[i] = data[4 * i];
    const pixels = toMnist(grey, PAD, PAD);
    this.last.grey = pixels ? grey : null;
    this.last.pixels = pixels;
    paintDigit(this.seen, pixels || new Uint8Array(SIDE * SIDE), SIDE, SIDE);
    if (!pixels) {
      this.last.probs = null;
      this.show();
      return;
    }
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        const asked = this.last.pixels;
        this.last.asked += 1;
        const probs = await this.host.predict(asked);
        if (asked === this.last.pixels) {
          this.last.probs = probs;
          this.last.answered += 1;
        }
        this.show();
      } while (this.again && this.last.pixels);
    } finally {
      this.busy = false;
    }
  }

  // The network changed: ask again if there is a drawing.
  networkChanged() {
    if (this.last.pixels) this.refresh();
    else this.show();
  }

  show() {
    const classes = this.host.classes();
    const probs = this.last.probs;
    this.bars.textContent = "";
    if (!this.last.pixels) {
      this.answer.textContent = t("draw.blank");
      this.root.dataset.answer = "";
    } else if (!probs) {
      this.answer.textContent = t("draw.waiting");
      this.root.dataset.answer = "";
    } else {
      let best = 0;
      for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
      this.answer.textContent = t("draw.says", { class: classes[best], pct: `${(100 * probs[best]).toFixed(1)}%` });
      this.root.dataset.answer = String(best);
      this.root.dataset.answered = String(this.last.answered);
    }
    for (let k = 0; k < 10; k++) {
      const p = probs ? probs[k] : 0;
      const row = document.createElement("div");
      row.className = "prob";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = classes[k];
      const bar = document.createElement("span");
      bar.className = "track";
      const fill = document.createElement("span");
      fill.className = "fill";
      fill.style.width = `${(100 * p).toFixed(1)}%`;
      bar.append(fill);
      const pct = document.createElement("span");
      pct.className = "pct";
      pct.textContent = probs ? `${(100 * p).toFixed(1)}%` : "";
      row.append(name, bar, pct);
      if (probs && p === Math.max(...probs)) row.classList.add("top");
      this.bars.append(row);
    }
  }
}
