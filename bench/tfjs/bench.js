// The seed workload written with TensorFlow.js ops, for the comparison in
// docs/PERFORMANCE.md (scripts/bench-web.sh runs it in the same headless
// Chromium as the lab): the network and loop of the book's
// ch04/train_neuralnet.py — W1 784×50, b1, W2 50×10, b2, weights 0.01·N(0,1);
// sigmoid, softmax with cross-entropy; each iteration a batch of 100 drawn
// with replacement, the gradient (TensorFlow.js's autodiff), the update
// W ← W − 0.1·∂L/∂W, the batch loss after it read back; every 80 iterations
// the accuracy on all 8,004 training and 1,996 test images read back.
// It runs in a Web Worker, as the lab's engine does (index.html starts it
// and shows the result, in document.body.dataset.result as JSON).

/* global tf, importScripts */
importScripts("tf.min.js", "tf-backend-wasm.min.js");

const params = new URLSearchParams(self.location.search);
const backend = params.get("backend") || "wasm";
const iters = Number(params.get("iters") || 10000);
// ?threads=N: the WASM backend's thread count (default: as many as cores,
// when the page is cross-origin isolated).
const threads = params.get("threads");
const log = (line) => self.postMessage({ log: line });

async function gunzip(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  const stream = res.body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// An IDX file: images (n × rows·cols bytes) or labels (n bytes).
async function idx(url) {
  const b = await gunzip(url);
  const v = new DataView(b.buffer);
  const dims = b[3];
  const shape = [];
  for (let k = 0; k < dims; k++) shape.push(v.getUint32(4 + 4 * k));
  return { shape, data: b.subarray(4 + 4 * dims) };
}

async function split(images, labels) {
  const x = await idx(images);
  const t = await idx(labels);
  const n = x.shape[0];
  const d = x.shape[1] * x.shape[2];
  const xs = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) xs[i] = x.data[i] / 255;
  return { n, x: tf.tensor2d(xs, [n, d]), t: tf.oneHot(tf.tensor1d(Int32Array.from(t.data), "int32"), 10), labels: tf.tensor1d(Int32Array.from(t.data), "int32") };
}

// xorshift64*-free small generator: the batches need not match manabi's,
// only be drawn the same way (uniform, with replacement).
let state = 42 >>> 0;
function randint(n) {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
}

async function main() {
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`backend ${backend} did not start`);
  await tf.ready();
  const features = {
    backend: tf.getBackend(),
    crossOriginIsolated: self.crossOriginIsolated === true,
  };
  if (backend === "wasm") {
    features.simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    features.threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    features.thread_count = tf.wasm.getThreadsCount();
  }
  log(`backend ${JSON.stringify(features)}`);
  const train = await split("data/train-images-idx3-ubyte.gz", "data/train-labels-idx1-ubyte.gz");
  const test = await split("data/t10k-images-idx3-ubyte.gz", "data/t10k-labels-idx1-ubyte.gz");
  log(`data: ${train.n} train, ${test.n} test`);

  const W1 = tf.variable(tf.randomNormal([784, 50], 0, 1, "float32", 42).mul(0.01));
  const b1 = tf.variable(tf.zeros([50]));
  const W2 = tf.variable(tf.randomNormal([50, 10], 0, 1, "float32", 43).mul(0.01));
  const b2 = tf.variable(tf.zeros([10]));
  const vars = [W1, b1, W2, b2];
  const logits = (x) => tf.sigmoid(x.matMul(W1).add(b1)).matMul(W2).add(b2);
  const loss = (x, t) => tf.losses.softmaxCrossEntropy(t, logits(x));
  const accuracy = (s) => tf.tidy(() => logits(s.x).argMax(1).equal(s.labels).sum().dataSync()[0] / s.n);
  const lr = 0.1;
  const batch = 100;
  const perEpoch = Math.max(Math.floor(train.n / batch), 1);

  const losses = [];
  const epochs = [];
  const started = performance.now();
  for (let i = 0; i < iters; i++) {
    const l = tf.tidy(() => {
      const idx = new Int32Array(batch);
      for (let k = 0; k < batch; k++) idx[k] = randint(train.n);
      const which = tf.tensor1d(idx, "int32");
      const x = tf.gather(train.x, which);
      const t = tf.gather(train.t, which);
      const { grads } = tf.variableGrads(() => loss(x, t), vars);
      for (const v of vars) v.assign(v.sub(grads[v.name].mul(lr)));
      return loss(x, t).dataSync()[0];
    });
    losses.push(l);
    if (i % perEpoch === 0) epochs.push([i, accuracy(train), accuracy(test)]);
  }
  const seconds = (performance.now() - started) / 1000;
  const last = epochs[epochs.length - 1];
  const result = {
    ...features,
    iters,
    evaluations: epochs.length,
    seconds,
    last_loss: losses[losses.length - 1],
    train_acc: last[1],
    test_acc: last[2],
  };
  self.postMessage({ result });
}

if (backend === "wasm") {
  tf.wasm.setWasmPaths("./");
  if (threads) tf.wasm.setThreadsCount(Number(threads));
}
main().catch((e) => {
  self.postMessage({ result: { backend, error: String(e.message || e) } });
});
