/**
 * rnn-wasm itself, one system per backend that loads (`wasm`, `js`, and `native` when built),
 * through the public notebook API of the built package.
 */
import { checkForward, allFinite } from '../lib/check.mjs';

const BACKENDS = ['wasm', 'native', 'js'];

/** Imports the built package; returns null with a reason when it is missing. */
export async function loadPackage(distUrl) {
  try {
    return { api: await import(distUrl) };
  } catch (error) {
    return { api: null, reason: `cannot import the built package (${error instanceof Error ? error.message : error}); run \`npm run build\`` };
  }
}

/** Forward and training-step closures on the active backend. */
export function closures(api, cell, inp) {
  if (cell === 'lstm') {
    return {
      forward: () => api.lstm_forward(inp.x, inp.a0, inp.lstm),
      train: () => {
        const [, , , caches] = api.lstm_forward(inp.x, inp.a0, inp.lstm);
        return api.lstm_backward(inp.da, caches);
      },
    };
  }
  return {
    forward: () => api.rnn_forward(inp.x, inp.a0, inp.rnn),
    train: () => {
      const [, , caches] = api.rnn_forward(inp.x, inp.a0, inp.rnn);
      return api.rnn_backward(inp.da, caches);
    },
  };
}

/** The `(a, y)` pair of a forward result, as flat notebook-layout arrays. */
export function forwardOutputs(cell, result) {
  return { a: result[0].data, y: result[1].data };
}

/** One system per wanted backend that loads; `notes` collects why a backend is skipped. */
export function rnnWasmSystems(api, notes, wanted) {
  const errors = api.backendErrors();
  const systems = [];
  const initial = api.getBackend();
  for (const name of BACKENDS) {
    if (!wanted(`rnn-wasm:${name}`)) continue;
    try {
      api.setBackend(name);
    } catch (error) {
      const why = errors[name] ?? (error instanceof Error ? error.message : String(error));
      notes.push(`rnn-wasm \`${name}\` backend skipped: unavailable (${why}).`);
      continue;
    }
    // Native runs twice: one thread, as every other column, and two (its default here).
    if (name === 'native') {
      systems.push(backendSystem(api, name, 1));
      if (wanted('rnn-wasm:native-2t')) systems.push(backendSystem(api, name, 2));
    } else {
      systems.push(backendSystem(api, name));
    }
  }
  api.setBackend(initial);
  return systems;
}

function backendSystem(api, name, threads = 1) {
  const twoThreads = threads > 1;
  return {
    id: twoThreads ? `rnn-wasm:${name}-${threads}t` : `rnn-wasm:${name}`,
    label: twoThreads ? `rnn-wasm ${name} ${threads}t` : `rnn-wasm ${name}`,
    dtype: 'f64',
    threads,
    supports(w) {
      if (name === 'js' && w.name === 'L') return 'js reference skipped at L (about a minute per call)';
      return null;
    },
    prepare(w, cell, op, inp, ref) {
      api.setBackend(name);
      // Only the native kernels use threads; the setting is global, so each run sets its own.
      if (name === 'native') api.setThreads(threads);
      return {
        fn: closures(api, cell, inp)[op],
        validate(result) {
          if (op === 'forward') {
            return checkForward(forwardOutputs(cell, result), w, ref, name === 'js' ? Infinity : 1e-12);
          }
          return checkGradients(result, name === 'js' ? null : ref?.grads);
        },
      };
    },
  };
}

/** Gradients finite and, when the js reference's are given, equal to them (1e-12 of their scale). */
function checkGradients(grads, refGrads) {
  const problems = [];
  if (!allFinite(...Object.values(grads).map((g) => g.data))) problems.push('non-finite gradient');
  let worst = 0;
  if (refGrads) {
    for (const [key, want] of Object.entries(refGrads)) {
      let scale = 0;
      let diff = 0;
      want.data.forEach((v, i) => {
        scale = Math.max(scale, Math.abs(v));
        diff = Math.max(diff, Math.abs(v - grads[key].data[i]));
      });
      const rel = diff / (scale || 1);
      worst = Math.max(worst, rel);
      if (!(rel <= 1e-12)) problems.push(`${key} differs from the js reference by ${rel.toExponential(2)} (relative)`);
    }
  }
  return { ok: problems.length === 0, problems, ...(refGrads ? { max_rel_diff_vs_js_reference: worst } : {}) };
}
