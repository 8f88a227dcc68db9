#!/usr/bin/env python3
"""Python side of the rnn-wasm benchmark: times NumPy (the notebook's own functions) or
PyTorch (nn.LSTM / nn.RNN) in this process and prints one JSON document on stdout.

Usage: pybench.py CONFIG.json   (written by bench/run.mjs; see `main` for its keys)

The notebook's functions are not copied here: they are read from the seed notebook's text
export at run time through test/fixtures/generate.py, which also provides the NumPy LSTM
backward pass the notebook lacks.
"""

from __future__ import annotations

import importlib.util
import json
import math
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- timing


def measure(fn, budget, first_ms):
    """Same policy as lib/measure.mjs: warm-up for fast calls, then sample until both the
    time budget and the (cap-limited) minimum sample count are met."""
    per_call = max(first_ms, 1e-6)
    if per_call > budget["capMs"]:
        # one call exceeds the task's whole budget: that (sanity-check) call is the only sample
        return {
            "median_ms": per_call, "mean_ms": per_call, "min_ms": per_call, "max_ms": per_call,
            "rme_pct": None, "samples": 1, "wall_ms": per_call,
            "sampled_by": "first call (over the task budget)",
        }
    if 50 < per_call <= budget["capMs"]:
        # a slow first call may carry one-time costs (lazy initialisation): time another
        per_call = min(per_call, max(timed(fn)[1], 1e-6))
    iterations = max(1, min(budget["minIters"], math.floor(budget["capMs"] / per_call)))
    slow = per_call > 50
    if not slow and budget["warmupTime"] > 0:
        start = time.perf_counter()
        n = 0
        while n < 8 or (time.perf_counter() - start) * 1e3 < budget["warmupTime"]:
            fn()
            n += 1
    min_time = 0 if slow else budget["time"]
    samples = []
    total = 0.0
    wall = time.perf_counter()
    while total < min_time or len(samples) < iterations:
        t0 = time.perf_counter()
        fn()
        dt = (time.perf_counter() - t0) * 1e3
        samples.append(dt)
        total += dt
    wall_ms = (time.perf_counter() - wall) * 1e3
    mean = statistics.fmean(samples)
    sd = statistics.stdev(samples) if len(samples) > 1 else 0.0
    return {
        "sampled_by": "perf_counter loop",
        "median_ms": statistics.median(samples),
        "mean_ms": mean,
        "min_ms": min(samples),
        "max_ms": max(samples),
        "rme_pct": (100 * 1.96 * sd / math.sqrt(len(samples)) / mean) if mean > 0 and len(samples) > 1 else None,
        "samples": len(samples),
        "wall_ms": wall_ms,
    }


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t0) * 1e3


# --------------------------------------------------------------------------- inputs


def make_inputs(np, w, given=None):
    """The workload's inputs: the ones run.mjs passed (S, so outputs can be compared with the
    js reference), else fresh ones drawn like run.mjs draws its own."""
    if given is not None:
        arr = lambda o: np.asarray(o["data"], dtype=np.float64).reshape(o["shape"])
        return {
            "x": arr(given["x"]),
            "a0": arr(given["a0"]),
            "da": arr(given["da"]),
            "rnn": {k: arr(v) for k, v in given["rnn"].items()},
            "lstm": {k: arr(v) for k, v in given["lstm"].items()},
        }
    n_x, n_a, n_y, m, T = (w[k] for k in ("n_x", "n_a", "n_y", "m", "T"))
    rng = np.random.default_rng(1234)
    ws = 1 / math.sqrt(n_a + n_x)
    u = lambda shape, s=1.0: rng.uniform(-s, s, size=shape)
    lstm = {}
    for g in "fico":
        lstm["W" + g] = u((n_a, n_a + n_x), ws)
        lstm["b" + g] = u((n_a, 1), ws)
    lstm["Wy"] = u((n_y, n_a), ws)
    lstm["by"] = u((n_y, 1), ws)
    return {
        "x": u((n_x, m, T)),
        "a0": u((n_a, m)),
        "da": u((n_a, m, T)),
        "rnn": {
            "Wax": u((n_a, n_x), ws),
            "Waa": u((n_a, n_a), ws),
            "Wya": u((n_y, n_a), ws),
            "ba": u((n_a, 1), ws),
            "by": u((n_y, 1), ws),
        },
        "lstm": lstm,
    }


def check_forward(np, a, y, ref_a, tol):
    """Finite, |a| <= 1, softmax columns sum to 1, and close to the js reference when given."""
    a = np.asarray(a, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    problems = []
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(y))):
        problems.append("non-finite output")
    amax = float(np.max(np.abs(a))) if a.size else 0.0
    if not amax <= 1 + 1e-6:
        problems.append(f"|a| reaches {amax} > 1")
    sum_err = float(np.max(np.abs(np.sum(y, axis=0) - 1))) if y.size else 0.0
    if not sum_err <= 1e-4:
        problems.append(f"softmax columns sum to 1 +- {sum_err}")
    out = {"max_abs_a": amax, "softmax_sum_err": sum_err}
    if ref_a is not None:
        diff = float(np.max(np.abs(a - ref_a)))
        out["max_abs_diff_vs_js_reference"] = diff
        if not diff <= tol:
            problems.append(f"a differs from the js reference by {diff:.2e} > {tol}")
    out["ok"] = not problems
    out["problems"] = problems
    return out


def check_finite(np, arrays):
    ok = all(np.all(np.isfinite(np.asarray(v, dtype=np.float64))) for v in arrays)
    return {"ok": bool(ok), "problems": [] if ok else ["non-finite gradient"]}


# --------------------------------------------------------------------------- NumPy (the notebook)


def load_generate(path):
    sys.dont_write_bytecode = True  # leave no __pycache__ beside the imported helper
    spec = importlib.util.spec_from_file_location("rnn_wasm_fixture_generate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def numpy_systems(cfg, notes):
    import numpy as np

    try:
        gen = load_generate(cfg["generate_py"])
    except Exception as exc:  # missing or broken helper: skip, never crash
        notes.append(f"NumPy skipped: could not import {cfg['generate_py_rel']} ({exc!r}).")
        return []
    try:
        nb = gen.load_notebook(Path(cfg["seed_file"]))
    except SystemExit as exc:
        notes.append(f"NumPy skipped: the notebook's functions could not be extracted ({exc}).")
        return []
    lstm_backward = getattr(gen, "lstm_backward", None)

    def prepare(w, cell, op, inp, ref):
        x, a0, da = inp["x"], inp["a0"], inp["da"]
        if cell == "lstm":
            params = inp["lstm"]
            if op == "forward":
                fn = lambda: nb["lstm_forward"](x, a0, params)
            elif lstm_backward is None:
                return None, "generate.py has no lstm_backward"
            else:
                fn = lambda: lstm_backward(da, nb["lstm_forward"](x, a0, params)[3])
        else:
            params = inp["rnn"]
            if op == "forward":
                fn = lambda: nb["rnn_forward"](x, a0, params)
            else:
                fn = lambda: nb["rnn_backward"](da, nb["rnn_forward"](x, a0, params)[2])

        def validate(out):
            if op == "forward":  # (a, y, ...) as the notebook returns them
                return check_forward(np, out[0], out[1], ref, 1e-12)
            return check_finite(np, out.values())

        return (fn, validate), None

    return [
        {
            "id": "numpy",
            "label": "NumPy notebook",
            "dtype": "f64",
            "threads": cfg.get("blas_threads", 1),
            "version": f"numpy {np.__version__}",
            "prepare": prepare,
        }
    ]


# --------------------------------------------------------------------------- PyTorch


def torch_systems(cfg, notes):
    import numpy as np
    import torch

    default_threads = torch.get_num_threads()
    torch.manual_seed(0)
    # One-time costs (autograd engine start-up, kernel dispatch tables) land here, not in
    # the first timed call.
    for dtype in (torch.float64, torch.float32):
        for layer in (torch.nn.LSTM(2, 3), torch.nn.RNN(2, 3)):
            layer = layer.to(dtype)
            xw = torch.zeros(2, 1, 2, dtype=dtype, requires_grad=True)
            h = layer(xw)[0]
            h.backward(torch.ones_like(h))  # the first backward with a gradient tensor takes ~1 s

    def make(dtype_name, threads):
        dtype = getattr(torch, dtype_name)

        def prepare(w, cell, op, inp, ref):
            torch.set_num_threads(threads)
            n_x, n_a, n_y, m, T = (w[k] for k in ("n_x", "n_a", "n_y", "m", "T"))
            t = lambda a: torch.tensor(a, dtype=dtype)
            if cell == "lstm":
                rnn = torch.nn.LSTM(n_x, n_a).to(dtype)
                p = inp["lstm"]
                # torch's gate order is i, f, g, o; the notebook's W? act on [a_prev; x].
                W = [p["W" + g] for g in "ifco"]
                b = [p["b" + g][:, 0] for g in "ifco"]
                Wy, by = p["Wy"], p["by"]
            else:
                rnn = torch.nn.RNN(n_x, n_a, nonlinearity="tanh").to(dtype)
                p = inp["rnn"]
                W = [np.concatenate([p["Waa"], p["Wax"]], axis=1)]
                b = [p["ba"][:, 0]]
                Wy, by = p["Wya"], p["by"]
            with torch.no_grad():
                rnn.weight_hh_l0.copy_(t(np.concatenate([Wg[:, :n_a] for Wg in W], axis=0)))
                rnn.weight_ih_l0.copy_(t(np.concatenate([Wg[:, n_a:] for Wg in W], axis=0)))
                rnn.bias_ih_l0.copy_(t(np.concatenate(b)))
                rnn.bias_hh_l0.zero_()
            head = torch.nn.Linear(n_a, n_y).to(dtype)
            with torch.no_grad():
                head.weight.copy_(t(Wy))
                head.bias.copy_(t(by[:, 0]))
            x = t(np.ascontiguousarray(inp["x"].transpose(2, 1, 0)))  # (T, m, n_x)
            h0 = t(np.ascontiguousarray(inp["a0"].T))[None]  # (1, m, n_a)
            c0 = torch.zeros_like(h0)
            da = t(np.ascontiguousarray(inp["da"].transpose(2, 1, 0)))  # (T, m, n_a)

            def run(xx, hh):
                h, _ = rnn(xx, (hh, c0)) if cell == "lstm" else rnn(xx, hh)
                return h, torch.softmax(head(h), dim=-1)

            if op == "forward":

                def fn():
                    with torch.inference_mode():
                        return run(x, h0)

                def validate(out):
                    h, y = out
                    a = h.double().numpy().transpose(2, 1, 0)
                    yy = y.double().numpy().transpose(2, 1, 0)
                    return check_forward(np, a, yy, ref, 1e-10 if dtype_name == "float64" else 1e-4)

            else:
                xg = x.clone().requires_grad_(True)
                hg = h0.clone().requires_grad_(True)
                params = list(rnn.parameters())

                def fn():
                    for q in params + [xg, hg]:
                        q.grad = None
                    h, _ = run(xg, hg)
                    h.backward(da)
                    return [q.grad for q in params + [xg, hg]]

                def validate(out):
                    return check_finite(np, [g.double().numpy() for g in out])

            return (fn, validate), None

        suffix = "f64" if dtype_name == "float64" else "f32"
        tag = "" if threads == 1 else f" {threads}T"
        return {
            "id": f"torch-{suffix}" + ("" if threads == 1 else f"-{threads}t"),
            "label": f"PyTorch {suffix}{tag}",
            "dtype": suffix,
            "threads": threads,
            "version": f"torch {torch.__version__}",
            "prepare": prepare,
            # threads only help at the larger sizes; S stays single-threaded
            **({} if threads == 1 else {"workloads": ("M", "L")}),
        }

    systems = [make("float64", 1), make("float32", 1)]
    if default_threads > 1:
        systems.append(make("float32", default_threads))
    else:
        notes.append("PyTorch's default thread count is 1 here; no multi-thread column.")
    return systems


# --------------------------------------------------------------------------- driver


def dgemm_gflops(np, n=2048, repeats=5):
    """Best GFLOP/s of NumPy's float64 matmul of two n × n matrices (its BLAS's dgemm, on as
    many threads as the environment allows): the peak the native kernels are judged against."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)), rng.random((n, n))
    a @ b
    best = min(timed(lambda: a @ b)[1] for _ in range(repeats))
    return 2 * n**3 / (best * 1e6)


def main():
    cfg = json.load(open(sys.argv[1], encoding="utf-8"))
    notes = []
    meta = {"python": platform.python_version()}
    import numpy as np

    meta["numpy"] = np.__version__
    if cfg["system"] == "numpy":
        meta["dgemm_gflops"] = dgemm_gflops(np)
        log(f"  NumPy float64 matmul 2048² (BLAS dgemm): {meta['dgemm_gflops']:.1f} GFLOP/s")
        systems = numpy_systems(cfg, notes)
    else:
        systems = torch_systems(cfg, notes)
        import torch

        meta["torch"] = torch.__version__
        meta["torch_default_threads"] = torch.get_num_threads()
    results = []
    inputs_cache = {}
    for sysd in systems:
        for case in cfg["cases"]:
            w, cell, op = case["workload"], case["cell"], case["op"]
            if w["name"] not in sysd.get("workloads", (w["name"],)):
                continue
            key = w["name"]
            if key not in inputs_cache:
                inputs_cache[key] = make_inputs(np, w, cfg.get("given_inputs", {}).get(key))
            inp = inputs_cache[key]
            ref_list = cfg.get("reference", {}).get(key, {}).get(cell)
            ref = np.asarray(ref_list["data"]).reshape(ref_list["shape"]) if ref_list else None
            row = {"system": sysd["id"], "workload": key, "cell": cell, "op": op}
            try:
                prepared, why = sysd["prepare"](w, cell, op, inp, ref)
                if prepared is None:
                    row["skipped"] = why
                    results.append(row)
                    continue
                fn, validate = prepared
                out, first_ms = timed(fn)
                row["check"] = validate(out)
                row.update(measure(fn, cfg["budgets"][key], first_ms))
                log(f"  {sysd['label']:<18} {key} {cell:<4} {op:<7} {row['median_ms']:10.4f} ms  ({row['samples']} samples)")
            except Exception as exc:  # one failing case must not sink the others
                row["error"] = f"{exc!r}"
                log(f"  {sysd['label']} {key} {cell} {op}: error {exc!r}\n{traceback.format_exc()}")
            results.append(row)
    out_systems = [
        {k: s[k] for k in ("id", "label", "dtype", "threads", "version")} for s in systems
    ]
    json.dump({"meta": meta, "systems": out_systems, "results": results, "notes": notes}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
