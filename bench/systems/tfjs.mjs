/**
 * TensorFlow.js on its WebAssembly backend (float32, single thread): the notebook's forward
 * loop written as a tfjs user would, one fused-gate matMul per time step inside `tf.tidy`, and
 * a training step through `tf.variableGrads` on the same loop.
 */
import { createRequire } from 'node:module';
import { checkForward, allFinite } from '../lib/check.mjs';
import { fromTimeBatchFeature, fromTimeMajor, timeMajor } from '../lib/workloads.mjs';

const require = createRequire(import.meta.url);

export async function tfjsSystem(notes) {
  let tf;
  let version;
  try {
    tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    version = require('@tensorflow/tfjs-backend-wasm/package.json').version;
  } catch (error) {
    notes.push(`TensorFlow.js skipped: @tensorflow/tfjs or @tensorflow/tfjs-backend-wasm did not load (${firstLine(error)}).`);
    return null;
  }
  try {
    // The .wasm binaries load from the package folder in node_modules; no threads.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
    await tf.ready();
  } catch (error) {
    notes.push(`TensorFlow.js skipped: its wasm backend failed to initialise (${firstLine(error)}).`);
    return null;
  }
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  return {
    id: 'tfjs-wasm',
    label: 'tfjs wasm',
    dtype: 'f32',
    threads: 1,
    version: `@tensorflow/tfjs-backend-wasm ${version} (SIMD ${simd ? 'on' : 'off'})`,
    supports: () => null,
    prepare: (w, cell, op, inp, ref) => prepare(tf, w, cell, op, inp, ref),
  };
}

function firstLine(error) {
  return String(error?.message ?? error).split('\n')[0];
}

function prepare(tf, w, cell, op, inp, ref) {
  const { n_x, n_a, n_y, m, T } = w;
  const f32 = (arr, shape) => tf.tensor(Float32Array.from(arr), shape, 'float32');
  const owned = [];
  const keep = (t) => (owned.push(t), t);

  const X = keep(tf.tensor(timeMajor(inp.x, Float32Array), [T, n_x, m], 'float32'));
  const A0 = keep(f32(inp.a0.data, [n_a, m]));
  let weights;
  if (cell === 'lstm') {
    const p = inp.lstm;
    const Wcat = new Float32Array(4 * n_a * (n_a + n_x));
    const bcat = new Float32Array(4 * n_a);
    ['f', 'i', 'c', 'o'].forEach((g, k) => {
      Wcat.set(p[`W${g}`].data, k * n_a * (n_a + n_x));
      bcat.set(p[`b${g}`].data, k * n_a);
    });
    weights = {
      W: keep(tf.tensor(Wcat, [4 * n_a, n_a + n_x], 'float32')),
      b: keep(tf.tensor(bcat, [4 * n_a, 1], 'float32')),
      Wy: keep(f32(p.Wy.data, [n_y, n_a])),
      by: keep(f32(p.by.data, [1, n_y])),
    };
  } else {
    const p = inp.rnn;
    weights = {
      Wax: keep(f32(p.Wax.data, [n_a, n_x])),
      Waa: keep(f32(p.Waa.data, [n_a, n_a])),
      ba: keep(f32(p.ba.data, [n_a, 1])),
      Wy: keep(f32(p.Wya.data, [n_y, n_a])),
      by: keep(f32(p.by.data, [1, n_y])),
    };
  }

  /** The recurrence over all steps; returns stacked a (T, n_a, m), y (T, m, n_y)[, c]. */
  const loop = (x, a0, wt) => {
    const xs = tf.unstack(x);
    let a = a0;
    let c = cell === 'lstm' ? tf.zerosLike(a0) : null;
    const as = [];
    const ys = [];
    const cs = [];
    for (let t = 0; t < T; t++) {
      if (cell === 'lstm') {
        const z = tf.add(tf.matMul(wt.W, tf.concat([a, xs[t]], 0)), wt.b);
        const [fz, iz, cz, oz] = tf.split(z, 4, 0);
        c = tf.add(tf.mul(tf.sigmoid(fz), c), tf.mul(tf.sigmoid(iz), tf.tanh(cz)));
        a = tf.mul(tf.sigmoid(oz), tf.tanh(c));
        cs.push(c);
      } else {
        a = tf.tanh(tf.add(tf.add(tf.matMul(wt.Wax, xs[t]), tf.matMul(wt.Waa, a)), wt.ba));
      }
      as.push(a);
      ys.push(tf.softmax(tf.add(tf.matMul(a, wt.Wy, true, true), wt.by)));
    }
    return { a: tf.stack(as), y: tf.stack(ys), c: cell === 'lstm' ? tf.stack(cs) : null };
  };

  const readOut = (t) => (t ? t.dataSync() : null);
  let fn;
  let validate;
  if (op === 'forward') {
    fn = () => {
      const out = tf.tidy(() => loop(X, A0, weights));
      const res = { a: readOut(out.a), y: readOut(out.y), c: readOut(out.c) };
      tf.dispose([out.a, out.y, out.c].filter(Boolean));
      return res;
    };
    validate = (res) => {
      const a = fromTimeMajor(res.a, n_a, m, T);
      const y = fromTimeBatchFeature(res.y, n_y, m, T);
      return checkForward({ a, y, finite: res.c ? { c: res.c } : {} }, w, ref, 1e-4);
    };
  } else {
    const DA = keep(tf.tensor(timeMajor(inp.da, Float32Array), [T, n_a, m], 'float32'));
    const vars = {};
    // The output layer is computed but not differentiated: the loss is sum(a · da), as the
    // notebook API's backward pass takes da with respect to the hidden states.
    const outputLayer = (k) => k === 'Wy' || k === 'by';
    for (const [k, t] of Object.entries(weights)) vars[k] = keep(tf.variable(t, !outputLayer(k)));
    const Xv = keep(tf.variable(X, true));
    const A0v = keep(tf.variable(A0, true));
    const varList = [Xv, A0v, ...Object.keys(vars).filter((k) => !outputLayer(k)).map((k) => vars[k])];
    const loss = () => tf.sum(tf.mul(loop(Xv, A0v, vars).a, DA));
    fn = () => {
      const { value, grads } = tf.variableGrads(loss, varList);
      const res = {};
      for (const [k, g] of Object.entries(grads)) res[k] = g.dataSync();
      res.loss = value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
      return res;
    };
    validate = (res) => {
      const ok = allFinite(...Object.values(res)) && Object.keys(res).length === varList.length + 1;
      return { ok, problems: ok ? [] : ['missing or non-finite gradient'] };
    };
  }
  return { fn, validate, dispose: () => tf.dispose(owned) };
}
