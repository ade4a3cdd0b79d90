// The dashboard: follows a live run through server-sent events
// (/api/live/events: one `snapshot`, then `update`s) and overlays finished
// runs (/api/runs). The panels are the shared ones (panels.js, draw.js);
// everything is drawn here, on canvases, from numbers; nothing is fetched
// from anywhere but this server, and nothing is written to it.

import { LiveView, RunsView, bytes } from "./panels.js";
import { DrawPanel, forward } from "./draw.js";
import { initLanguage, languagePicker, onLanguage, t, translate } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function setStatus(status) {
  document.body.dataset.status = status;
  $("status").textContent = t(`status.${status}`);
}

// ---------------------------------------------------------------- live run

let liveView = null;
let drawPanel = null;
// The live network's weights, read from /api/live/weights when a drawing
// needs them and again when the network has changed.
const weights = { version: null, net: null, loading: null };

function float64s(b64) {
  const b = bytes(b64);
  return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
}

async function liveWeights() {
  const net = liveView.state.net;
  if (!net) return null;
  if (weights.version !== null && weights.version >= net.version) return weights.net;
  if (!weights.loading) {
    weights.loading = (async () => {
      const res = await fetch("/api/live/weights");
      if (!res.ok) return null;
      const w = await res.json();
      weights.version = w.version;
      weights.net = {
        sizes: w.sizes,
        activation: w.activation,
        w1: float64s(w.w1),
        b1: float64s(w.b1),
        w2: float64s(w.w2),
        b2: float64s(w.b2),
      };
      return weights.net;
    })().finally(() => {
      weights.loading = null;
    });
  }
  return weights.loading;
}

function followLive() {
  $("live").hidden = false;
  liveView = new LiveView($("live"), { onStatus: setStatus });
  window.manabi = liveView.state;
  const figure = document.createElement("figure");
  liveView.slot().append(figure);
  drawPanel = new DrawPanel(figure, {
    classes: () => (liveView.state.snapshot ? liveView.state.snapshot.classes : "0123456789".split("")),
    predict: async (pixels) => {
      const net = await liveWeights();
      return net ? forward(net, pixels) : null;
    },
  });
  window.manabiDraw = drawPanel;
  translate($("live"));
  let netVersion = null;
  const events = new EventSource("/api/live/events");
  const after = () => {
    const v = liveView.state.net && liveView.state.net.version;
    if (v !== netVersion) {
      netVersion = v;
      drawPanel.networkChanged();
    }
  };
  events.addEventListener("snapshot", (e) => {
    const s = JSON.parse(e.data);
    liveView.onSnapshot(s);
    title(s);
    after();
  });
  events.addEventListener("update", (e) => {
    liveView.apply(JSON.parse(e.data));
    after();
  });
  const ended = () => {
    const s = liveView.state.status;
    return s !== "running" && s !== "loading" && s !== "disconnected";
  };
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
      liveView.state.status = "disconnected";
      setStatus("disconnected");
    }
  };
}

function title(s) {
  const c = s.config;
  const net = c.network;
  const tr = c.training;
  $("run-title").textContent =
    `${c.dataset.name} · ${net.sizes.join("-")} ${net.activation} · ${tr.gradient} gradient, ${tr.precision} · ` +
    `lr ${tr.learning_rate}, batch ${tr.batch_size}, ${Math.round(tr.iters).toLocaleString("en-US")} iterations, seed ${tr.seed}`;
}

// ---------------------------------------------------------------- finished runs

let runsView = null;

async function refreshRuns() {
  const info = await (await fetch("/api/info")).json();
  if (!info.runs) return;
  const list = await (await fetch("/api/runs")).json();
  $("runs").hidden = false;
  if (!runsView) {
    runsView = new RunsView($("runs"), {
      load: async (id) => (await fetch(`/api/runs/${encodeURIComponent(id)}`)).json(),
      tiles: async (id) => {
        const res = await fetch(`/api/runs/${encodeURIComponent(id)}/weights`);
        if (!res.ok) throw new Error((await res.text()).trim());
        return res.json();
      },
      actions: (r, td) => {
        const summary = document.createElement("a");
        summary.href = `/runs/${encodeURIComponent(r.id)}/summary.txt`;
        summary.textContent = t("runs.summary");
        summary.target = "_blank";
        td.append(" ", summary);
      },
    });
    window.manabiRuns = runsView;
    translate($("runs"));
  }
  runsView.setList(list);
}

// ---------------------------------------------------------------- start

let version = null;

async function start() {
  initLanguage();
  $("lang-slot").append(languagePicker());
  onLanguage(() => {
    if (liveView) setStatus(liveView.state.status);
    else setStatus(document.body.dataset.status);
    if (version) $("version").textContent = t("dash.version", { version });
  });
  let info;
  try {
    info = await (await fetch("/api/info")).json();
  } catch {
    setStatus("disconnected");
    return;
  }
  version = info.version;
  $("version").textContent = t("dash.version", { version });
  if (info.live) followLive();
  else setStatus(info.runs ? "finished" : "loading");
  if (info.runs) await refreshRuns();
  if (!info.live && !info.runs) $("empty").hidden = false;
}

start();
