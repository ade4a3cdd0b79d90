// Line charts on a <canvas>, small enough to read in one sitting: axes with
// round-numbered ticks, any number of series (solid or dashed, faint or
// strong), a legend. Used for the loss per iteration (figure 4-11) and the
// accuracy per epoch (figure 4-12), live and overlaid.

const MARGIN = { left: 54, right: 22, top: 14, bottom: 40 };

// Round tick values between lo and hi, about `count` of them: steps of
// 1, 2 or 5 times a power of ten.
export function ticks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const rough = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const norm = rough / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

function label(v) {
  if (Math.abs(v) >= 10000) return v.toLocaleString("en-US");
  return String(Number(v.toPrecision(6)));
}

// The moving average of `points` ([x, y] pairs, y may be null) over
// `window` points: the trend under the noise of random mini-batches.
export function movingAverage(points, window) {
  const ys = [];
  const xs = [];
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y)) continue;
    xs.push(x);
    ys.push(y);
  }
  const out = new Array(ys.length);
  let sum = 0;
  for (let i = 0; i < ys.length; i++) {
    sum += ys[i];
    if (i >= window) sum -= ys[i - window];
    out[i] = [xs[i], sum / Math.min(i + 1, window)];
  }
  return out;
}

// At most two points per pixel column — the lowest and the highest, in
// their order — so a curve of 20,000 iterations on a 500-pixel chart
// draws the same band with 1,000 segments instead of 20,000.
function envelope(points, px) {
  if (points.length < 4) return points;
  const out = [];
  let column = null;
  let lo = null;
  let hi = null;
  const flush = () => {
    if (lo === null) return;
    if (lo === hi) out.push(lo);
    else if (lo[0] <= hi[0]) out.push(lo, hi);
    else out.push(hi, lo);
  };
  for (const p of points) {
    if (p[1] === null || !Number.isFinite(p[1])) {
      flush();
      out.push(p);
      column = null;
      lo = hi = null;
      continue;
    }
    const c = Math.round(px(p[0]));
    if (c !== column) {
      flush();
      column = c;
      lo = hi = p;
    } else {
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
  }
  flush();
  return out;
}

// Draws `spec` on `canvas`, sized to the canvas's CSS box:
//   { xLabel, yLabel, xMin, xMax, yMin, yMax,      (extents: from the data if absent)
//     series: [{ points: [[x, y], …], color, width, dash, alpha }],
//     legend: [{ text, color, dash }] }
// and records on the canvas what it drew (data-points, data-x-max), so a
// test can tell that new data reached the chart.
export function drawChart(canvas, spec) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(canvas.clientWidth, 200);
  const h = Math.max(canvas.clientHeight, 150);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);

  // Extents from the data only where the spec leaves them open: a chart
  // redrawn twice a second need not walk 20,000 points for nothing.
  let total = 0;
  let dataXMax = 0;
  for (const s of spec.series) {
    total += s.points.length;
    if (s.points.length) dataXMax = Math.max(dataXMax, s.points[s.points.length - 1][0]);
  }
  const extent = (pick, fold, start) => {
    let v = start;
    for (const s of spec.series) for (const p of s.points) {
      const x = pick(p);
      if (x !== null && Number.isFinite(x)) v = fold(v, x);
    }
    return Number.isFinite(v) ? v : null;
  };
  const xMin = spec.xMin ?? extent((p) => p[0], Math.min, Infinity) ?? 0;
  let xMax = spec.xMax ?? extent((p) => p[0], Math.max, -Infinity) ?? 1;
  if (!(xMax > xMin)) xMax = xMin + 1;
  let yMin = spec.yMin ?? extent((p) => p[1], Math.min, Infinity) ?? 0;
  let yMax = spec.yMax ?? extent((p) => p[1], Math.max, -Infinity) ?? 1;
  if (spec.yCap !== undefined) yMax = Math.min(yMax, spec.yCap);
  if (!(yMax > yMin)) yMax = yMin + 1;

  const plot = {
    x: MARGIN.left,
    y: MARGIN.top,
    w: w - MARGIN.left - MARGIN.right,
    h: h - MARGIN.top - MARGIN.bottom,
  };
  const px = (x) => plot.x + ((x - xMin) / (xMax - xMin)) * plot.w;
  const py = (y) => plot.y + plot.h - ((y - yMin) / (yMax - yMin)) * plot.h;

  const style = getComputedStyle(canvas);
  const ink = style.getPropertyValue("--ink").trim() || "#222";
  const grid = style.getPropertyValue("--grid").trim() || "#e4e4e4";
  ctx.font = "12px system-ui, sans-serif";
  ctx.lineWidth = 1;

  // Grid and tick labels.
  ctx.strokeStyle = grid;
  ctx.fillStyle = ink;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of ticks(yMin, yMax, Math.max(2, Math.floor(plot.h / 45)))) {
    const y = Math.round(py(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
    ctx.stroke();
    ctx.fillText(label(t), plot.x - 6, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of ticks(xMin, xMax, Math.max(2, Math.floor(plot.w / 90)))) {
    const x = Math.round(px(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, plot.y);
    ctx.lineTo(x, plot.y + plot.h);
    ctx.stroke();
    ctx.fillText(label(t), x, plot.y + plot.h + 5);
  }
  ctx.strokeStyle = ink;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w, plot.h);

  // Axis titles.
  ctx.fillText(spec.xLabel || "", plot.x + plot.w / 2, plot.y + plot.h + 22);
  ctx.save();
  ctx.translate(14, plot.y + plot.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(spec.yLabel || "", 0, 0);
  ctx.restore();

  // Series, clipped to the plot; a null value breaks the line.
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x, plot.y, plot.w, plot.h);
  ctx.clip();
  for (const s of spec.series) {
    ctx.strokeStyle = s.color;
    ctx.globalAlpha = s.alpha ?? 1;
    ctx.lineWidth = s.width ?? 1.5;
    ctx.setLineDash(s.dash || []);
    ctx.lineJoin = "round";
    ctx.beginPath();
    let pen = false;
    for (const [x, y] of envelope(s.points, px)) {
      if (y === null || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      const cx = px(x);
      const cy = Math.max(plot.y - 10, Math.min(plot.y + plot.h + 10, py(y)));
      if (pen) ctx.lineTo(cx, cy);
      else ctx.moveTo(cx, cy);
      pen = true;
    }
    if (s.points.length === 1 && pen) {
      const [x, y] = s.points[0];
      ctx.moveTo(px(x) - 2, py(y));
      ctx.lineTo(px(x) + 2, py(y));
    }
    ctx.stroke();
  }
  ctx.restore();
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);

  // Legend, top right inside the plot.
  const legend = spec.legend || [];
  if (legend.length) {
    ctx.font = "12px system-ui, sans-serif";
    const width = Math.max(...legend.map((l) => ctx.measureText(l.text).width)) + 40;
    const lx = spec.legendLeft ? plot.x + 8 : plot.x + plot.w - width - 8;
    const ly = spec.legendBottom ? plot.y + plot.h - 8 - legend.length * 17 : plot.y + 8;
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(lx, ly, width, legend.length * 17 + 4);
    legend.forEach((l, i) => {
      const y = ly + 11 + i * 17;
      ctx.strokeStyle = l.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(l.dash || []);
      ctx.beginPath();
      ctx.moveTo(lx + 6, y);
      ctx.lineTo(lx + 30, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = ink;
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      ctx.fillText(l.text, lx + 35, y);
    });
  }

  canvas.dataset.points = String(total);
  canvas.dataset.xMax = String(dataXMax);
}
