// The page's words in English and Japanese, in the guided tour's wording
// (docs/tour.md, docs/tour.ja.md). The language is the browser's (Japanese
// if it prefers Japanese, English otherwise) until the reader picks one;
// the choice is kept in localStorage. Shared by the dashboard and the lab.
//
// Markup names its words with data-i18n="key" (text), data-i18n-title
// (tooltip) and data-i18n-placeholder; code calls t("key", {name: value}).

export const STRINGS = {
  en: {
    "lang.name": "English",
    // Status
    "status.loading": "connecting…",
    "status.running": "training",
    "status.paused": "paused",
    "status.completed": "finished",
    "status.interrupted": "stopped (Ctrl-C)",
    "status.stopped": "stopped",
    "status.diverged": "diverged",
    "status.disconnected": "disconnected — retrying",
    "status.finished": "finished runs",
    "status.ready": "ready",
    "status.failed": "failed",
    // Live panels
    "stat.iteration": "iteration",
    "stat.epoch": "epoch",
    "stat.loss": "batch loss",
    "stat.train": "train acc",
    "stat.test": "test acc",
    "stat.rate": "samples/s",
    "stat.eta": "time left",
    "stat.lr": "learning rate",
    "loss.title": "Loss per iteration",
    "loss.note": "figure 4-11 · the batch loss after each update, and its moving average",
    "acc.title": "Accuracy per epoch",
    "acc.note": "figure 4-12 · on the whole training set (solid) and test set (dashed)",
    "axis.iteration": "iteration",
    "axis.loss": "loss",
    "axis.epoch": "epoch",
    "axis.accuracy": "accuracy",
    "legend.batch": "batch loss",
    "legend.trend": "moving average",
    "legend.train": "train acc",
    "legend.test": "test acc",
    "legend.lr": "learning rate changed",
    "strip.title": "Test images and what the network says now",
    "strip.note": "the answer under each image, with its confidence; mistakes in red, with the true class",
    "strip.is": "is {label}",
    "strip.tooltip": "is {label}; the network says {said} ({pct})",
    "tiles.title": "W1: what each hidden unit looks at",
    "tiles.after": "W1: what each hidden unit looks at after epoch {epoch} (iteration {iteration})",
    "tiles.refresh": "refreshed every epoch",
    "tiles.explain":
      "Each tile is one hidden unit's 784 weights as a 28×28 picture: red where a bright pixel raises the unit's input, blue where it lowers it, white where it is ignored (each tile scaled to its largest weight).",
    "tiles.some": "the first {shown} of {units} hidden units",
    "tiles.all": "{units} hidden units",
    // Draw a digit
    "draw.title": "Draw a digit",
    "draw.note": "fitted into 20×20 and centred in 28×28 as MNIST digits are (as manabi predict does); the current network's ten probabilities",
    "draw.clear": "Clear",
    "draw.hint": "Draw with the mouse, a finger or a pen.",
    "draw.seen": "what the network sees",
    "draw.waiting": "no network yet: start training",
    "draw.blank": "draw a digit in the box",
    "draw.says": "the network says {class} ({pct})",
    // Finished runs
    "runs.title": "Finished runs",
    "runs.sessionTitle": "Runs of this session",
    "runs.hint": "Tick runs to overlay their curves: compare learning rates, batch sizes, sigmoid and ReLU, backprop and the numerical gradient.",
    "runs.none": "No finished runs in this folder yet.",
    "runs.noneSession": "No runs yet: a run joins this list when it ends (or when you stop it).",
    "runs.col.run": "run",
    "runs.col.data": "data",
    "runs.col.network": "network",
    "runs.col.lr": "lr",
    "runs.col.batch": "batch",
    "runs.col.gradient": "gradient",
    "runs.col.status": "status",
    "runs.col.iterations": "iterations",
    "runs.col.train": "train acc",
    "runs.col.test": "test acc",
    "runs.w1": "W1",
    "runs.w1Title": "show this run's hidden units",
    "runs.summary": "summary",
    "runs.overlayLoss": "Loss per iteration",
    "runs.overlayLossNote": "moving average of each run",
    "runs.overlayAcc": "Accuracy per epoch",
    "runs.overlayAccNote": "train solid, test dashed",
    "runs.w1Of": "W1 of {id}: {units} hidden units",
    "runs.images": "{n} images",
    "runs.download": "download",
    "runs.downloadTitle": "the run folder as a .zip: config.json, metrics.csv, epochs.csv, weights.safetensors; unzip it and read it with manabi eval --run",
    // Dashboard
    "dash.subtitle": "watch it learn",
    "dash.empty": "Nothing to show yet: start a run with <code>manabi train --serve</code>, or point <code>manabi serve</code> at a folder of runs.",
    "dash.footer": "everything on this page comes from this program; nothing is loaded from the internet, nothing is written.",
    "dash.version": "version {version}",
    // Lab
    "lab.subtitle": "the chapter in your browser",
    "lab.intro":
      "A two-layer network learns to read handwritten digits (the mnist-10k set: 8,004 training and 1,996 test images), by the five steps of stochastic gradient descent, here in this page: nothing is installed, nothing leaves this page.",
    "lab.settings": "Settings",
    "lab.hidden": "hidden units",
    "lab.lr": "learning rate η",
    "lab.batch": "batch size",
    "lab.iters": "iterations",
    "lab.activation": "activation",
    "lab.std": "weight-init std",
    "lab.seed": "seed",
    "lab.gradient": "gradient",
    "lab.sigmoid": "sigmoid",
    "lab.relu": "ReLU",
    "lab.backprop": "backprop (chapter 5)",
    "lab.numericalFast": "numerical, fast (chapter 4, computed incrementally)",
    "lab.numerical": "numerical, the book's (tiny subset)",
    "lab.defaults": "The book's settings",
    "lab.train": "Train",
    "lab.pause": "Pause",
    "lab.resume": "Resume",
    "lab.step": "Step one mini-batch",
    "lab.stop": "Stop",
    "lab.lrNow": "learning rate from the next iteration",
    "lab.apply": "Apply",
    "lab.lrChanged": "learning rate {lr} from iteration {iteration}",
    "lab.engine": "engine: manabi {version} compiled to WebAssembly ({kernels}), in a Web Worker",
    "lab.loadingEngine": "loading the engine…",
    "lab.ready": "Ready. Press Train.",
    "lab.started": "The first iteration ran {ms} ms after Train was pressed ({first} ms after the page was opened).",
    "lab.numericalNote":
      "The book's numerical gradient nudges every parameter by ±h and runs the network twice for each: {params} parameters mean {passes} forward passes of the batch per iteration. So this runs on a tiny subset — the first {images} training images, at most {hidden} hidden units and batches of at most {batch} — and still takes a while per iteration: backprop gets the same gradient from one forward and one backward pass.",
    "lab.numericalFastNote":
      "The same central differences as the book's numerical gradient, computed incrementally: nudging one weight changes one hidden unit or one output, so only that part of the loss is recomputed. Slow, but it runs on the whole training set.",
    "lab.backpropNote": "Backpropagation: one forward and one backward pass per mini-batch.",
    "lab.perIteration": "{ms} ms per iteration",
    "lab.footer": "Everything on this page runs in your browser, from files of this site; nothing is sent anywhere.",
    "lab.error": "Error",
    "lab.crashed": "The engine stopped: {message}. It has been restarted; press Train to try again.",
    "lab.language": "language",
    // Validation
    "err.number": "{field}: {value} is not a number",
    "err.whole": "{field}: give a whole number, not {value}",
    "err.range": "{field}: {value} is out of range; give {min} to {max}",
    "err.positive": "{field}: give a number above 0, not {value}",
  },
  ja: {
    "lang.name": "日本語",
    "status.loading": "接続中…",
    "status.running": "学習中",
    "status.paused": "一時停止中",
    "status.completed": "完了",
    "status.interrupted": "中断 (Ctrl-C)",
    "status.stopped": "停止",
    "status.diverged": "発散",
    "status.disconnected": "切断 — 再接続中",
    "status.finished": "終了した学習",
    "status.ready": "準備完了",
    "status.failed": "失敗",
    "stat.iteration": "繰り返し",
    "stat.epoch": "エポック",
    "stat.loss": "損失関数",
    "stat.train": "訓練データの認識精度",
    "stat.test": "テストデータの認識精度",
    "stat.rate": "サンプル/秒",
    "stat.eta": "残り時間",
    "stat.lr": "学習率",
    "loss.title": "繰り返しごとの損失関数",
    "loss.note": "図 4-11 · 更新後のミニバッチの損失関数と、その移動平均",
    "acc.title": "エポックごとの認識精度",
    "acc.note": "図 4-12 · 訓練データ全体（実線）とテストデータ全体（破線）",
    "axis.iteration": "繰り返し",
    "axis.loss": "損失関数",
    "axis.epoch": "エポック",
    "axis.accuracy": "認識精度",
    "legend.batch": "ミニバッチの損失関数",
    "legend.trend": "移動平均",
    "legend.train": "訓練データ",
    "legend.test": "テストデータ",
    "legend.lr": "学習率の変更",
    "strip.title": "テスト画像と、いまのネットワークの答え",
    "strip.note": "画像の下に答えと確率; 間違いは赤で、正解を添えて",
    "strip.is": "正解 {label}",
    "strip.tooltip": "正解は {label}; ネットワークの答えは {said} ({pct})",
    "tiles.title": "W1: 隠れ層の各ユニットが見ているもの",
    "tiles.after": "W1: 隠れ層の各ユニットが見ているもの（エポック {epoch}、繰り返し {iteration} の後）",
    "tiles.refresh": "エポックごとに更新",
    "tiles.explain":
      "1 枚のタイルは隠れ層の 1 ユニットの 784 個の重みを 28×28 の画像にしたものです: 赤は明るい画素がユニットの入力を増やすところ、青は減らすところ、白は無視するところです（タイルごとに最大の重みで正規化）。",
    "tiles.some": "{units} ユニットのうち最初の {shown} ユニット",
    "tiles.all": "{units} ユニット",
    "draw.title": "数字を書いてみる",
    "draw.note": "MNIST の数字と同じく 20×20 に収めて 28×28 の中央に置きます（manabi predict と同じ）; いまのネットワークの 10 クラスの確率",
    "draw.clear": "消す",
    "draw.hint": "マウス、指、ペンで書いてください。",
    "draw.seen": "ネットワークに見えている画像",
    "draw.waiting": "まだネットワークがありません: 学習を始めてください",
    "draw.blank": "枠の中に数字を書いてください",
    "draw.says": "ネットワークの答え: {class} ({pct})",
    "runs.title": "終了した学習",
    "runs.sessionTitle": "このページでの学習",
    "runs.hint": "チェックした学習の曲線を重ねて表示します: 学習率、バッチサイズ、シグモイド関数と ReLU、誤差逆伝播法と数値微分を比べてみてください。",
    "runs.none": "このフォルダには、まだ終了した学習がありません。",
    "runs.noneSession": "まだありません: 学習が終わる（または止める）と、ここに加わります。",
    "runs.col.run": "学習",
    "runs.col.data": "データ",
    "runs.col.network": "ネットワーク",
    "runs.col.lr": "学習率",
    "runs.col.batch": "バッチ",
    "runs.col.gradient": "勾配",
    "runs.col.status": "状態",
    "runs.col.iterations": "繰り返し",
    "runs.col.train": "訓練データ",
    "runs.col.test": "テストデータ",
    "runs.w1": "W1",
    "runs.w1Title": "この学習の隠れ層のユニットを表示",
    "runs.summary": "要約",
    "runs.overlayLoss": "繰り返しごとの損失関数",
    "runs.overlayLossNote": "各学習の移動平均",
    "runs.overlayAcc": "エポックごとの認識精度",
    "runs.overlayAccNote": "訓練データは実線、テストデータは破線",
    "runs.w1Of": "{id} の W1: {units} ユニット",
    "runs.images": "{n} 枚",
    "runs.download": "ダウンロード",
    "runs.downloadTitle": "学習フォルダの .zip: config.json、metrics.csv、epochs.csv、weights.safetensors; 展開して manabi eval --run で読めます",
    "dash.subtitle": "学習を見る",
    "dash.empty": "まだ表示するものがありません: <code>manabi train --serve</code> で学習を始めるか、<code>manabi serve</code> に学習フォルダを指定してください。",
    "dash.footer": "このページの内容はすべてこのプログラムから来ています; インターネットからは何も読み込まず、何も書き込みません。",
    "dash.version": "バージョン {version}",
    "lab.subtitle": "ブラウザで第4章を",
    "lab.intro":
      "2 層のニューラルネットワークが手書き数字の読み方を学習します（mnist-10k: 訓練データ 8,004 枚、テストデータ 1,996 枚）。確率的勾配降下法の 5 つのステップを、このページの中で実行します: インストールは不要で、データはこのページから出ません。",
    "lab.settings": "設定",
    "lab.hidden": "隠れ層のユニット数",
    "lab.lr": "学習率 η",
    "lab.batch": "バッチサイズ",
    "lab.iters": "繰り返し回数",
    "lab.activation": "活性化関数",
    "lab.std": "重みの初期値の標準偏差",
    "lab.seed": "シード",
    "lab.gradient": "勾配",
    "lab.sigmoid": "シグモイド関数",
    "lab.relu": "ReLU",
    "lab.backprop": "誤差逆伝播法（5 章）",
    "lab.numericalFast": "数値微分・高速版（4 章、差分だけ計算）",
    "lab.numerical": "数値微分・本のとおり（小さなデータで）",
    "lab.defaults": "本の設定",
    "lab.train": "学習",
    "lab.pause": "一時停止",
    "lab.resume": "再開",
    "lab.step": "ミニバッチ 1 回",
    "lab.stop": "停止",
    "lab.lrNow": "次の繰り返しからの学習率",
    "lab.apply": "変更",
    "lab.lrChanged": "繰り返し {iteration} から学習率 {lr}",
    "lab.engine": "エンジン: WebAssembly にコンパイルした manabi {version}（{kernels}）、Web Worker で実行",
    "lab.loadingEngine": "エンジンを読み込み中…",
    "lab.ready": "準備ができました。「学習」を押してください。",
    "lab.started": "「学習」を押してから {ms} ms で最初の繰り返しを実行しました（ページを開いてから {first} ms）。",
    "lab.numericalNote":
      "本の数値微分は、パラメータを 1 つずつ ±h だけずらして、そのたびにネットワークを 2 回計算します: パラメータが {params} 個なら、1 回の繰り返しでミニバッチの順伝播が {passes} 回です。そのため、ここでは小さなデータで実行します（最初の {images} 枚の訓練データ、隠れ層は {hidden} ユニットまで、バッチは {batch} まで）。それでも 1 回の繰り返しに時間がかかります: 誤差逆伝播法なら、順伝播と逆伝播の 1 回ずつで同じ勾配が求まります。",
    "lab.numericalFastNote":
      "本の数値微分と同じ中心差分を、差分だけで計算します: 重みを 1 つずらすと変わるのは隠れ層の 1 ユニットか出力の 1 つだけなので、損失関数のその部分だけを計算し直します。遅いですが、訓練データ全体で実行できます。",
    "lab.backpropNote": "誤差逆伝播法: ミニバッチごとに順伝播と逆伝播を 1 回ずつ。",
    "lab.perIteration": "繰り返し 1 回あたり {ms} ms",
    "lab.footer": "このページのすべては、このサイトのファイルだけを使ってブラウザの中で動きます; どこにも何も送りません。",
    "lab.error": "エラー",
    "lab.crashed": "エンジンが止まりました: {message}。再起動したので、もう一度「学習」を押してください。",
    "lab.language": "言語",
    "err.number": "{field}: {value} は数ではありません",
    "err.whole": "{field}: {value} ではなく整数を指定してください",
    "err.range": "{field}: {value} は範囲外です; {min} から {max} で指定してください",
    "err.positive": "{field}: {value} ではなく 0 より大きい数を指定してください",
  },
};

const KEY = "manabi-lang";
const listeners = [];
let current = "en";

// The reader's choice if any, else the browser's preference.
export function preferredLanguage() {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved && STRINGS[saved]) return saved;
  } catch {
    // Storage may be off (private windows, file:// pages): use the browser's.
  }
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  for (const l of langs) {
    const short = String(l).toLowerCase().split("-")[0];
    if (STRINGS[short]) return short;
  }
  return "en";
}

export function language() {
  return current;
}

// The text of `key` in the current language, with {name} replaced by
// vars.name. A key missing in Japanese falls back to English; a key missing
// everywhere shows itself, so a typo is seen rather than hidden.
export function t(key, vars = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

// Fills every element under `root` that names a key.
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-html]")) el.innerHTML = t(el.dataset.i18nHtml);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
}

// Switches the page to `lang`: the markup now, then whoever drew text from
// code (charts, captions) through onLanguage.
export function setLanguage(lang, remember = true) {
  if (!STRINGS[lang]) return;
  current = lang;
  document.documentElement.lang = lang;
  if (remember) {
    try {
      localStorage.setItem(KEY, lang);
    } catch {
      // Not kept: the page still switches.
    }
  }
  translate();
  for (const f of listeners) f(lang);
}

export function onLanguage(f) {
  listeners.push(f);
}

// A small <select> of the languages, wired to setLanguage.
export function languagePicker() {
  const select = document.createElement("select");
  select.id = "lang";
  select.setAttribute("aria-label", "language / 言語");
  for (const lang of Object.keys(STRINGS)) {
    const o = document.createElement("option");
    o.value = lang;
    o.textContent = STRINGS[lang]["lang.name"];
    select.append(o);
  }
  select.value = current;
  select.addEventListener("change", () => setLanguage(select.value));
  onLanguage((lang) => {
    select.value = lang;
  });
  return select;
}

// The language at start: chosen, or the browser's.
export function initLanguage() {
  setLanguage(preferredLanguage(), false);
}
