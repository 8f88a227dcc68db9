#!/usr/bin/env python3
"""PyTorch side of the recurrent-layer benchmark (bench/layers/run.mjs): nn.LSTM / nn.GRU in
float64 and float32 on one thread, fed the very weights and inputs the JavaScript side uses,
and timed in this process, one call per request, so that the JavaScript side can alternate
PyTorch's calls with its own round after round.

Usage: layerbench.py DIR   (DIR/manifest.json and the raw float64 files it names, written by
bench/layers/run.mjs)

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout (stderr is
free for logs). Requests:
  {"cmd": "prepare", "case": ID}                   build both modules of a case
  {"cmd": "check", "case": ID}                     run float64 once per pass, write its results
                                                   under DIR/ID/ref/ (the reference the JS side
                                                   compares against) and compare float32 to them
  {"cmd": "time", "case": ID, "system": S, "op": P}  time one call: S torch-f64 | torch-f32,
                                                   P forward | nograd | train; reply {"ms": ...}
  {"cmd": "release", "case": ID}                   drop a case's tensors
  {"cmd": "quit"}
Every reply carries "ok"; a failed request replies {"ok": false, "error": ...} and the worker
carries on.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

DTYPES = {"torch-f64": torch.float64, "torch-f32": torch.float32}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def load(root, spec):
    data = np.fromfile(root / spec["file"], dtype="<f8")
    return data.reshape(spec["shape"])


class Case:
    """One layer configuration with its weights, inputs and upstream gradients, as a float64
    and a float32 module; `run` executes one pass (forward, nograd or train)."""

    def __init__(self, root, spec):
        self.spec = spec
        self.root = root
        self.cell = spec["cell"]
        self.T = spec["T"]
        cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[self.cell]
        tensors = {k: load(root, v) for k, v in spec["tensors"].items()}
        state = {k: load(root, v) for k, v in spec["state"].items()}
        lengths = spec.get("lengths")
        # pack_padded_sequence wants int64 lengths on the CPU
        self.lengths = torch.tensor(lengths, dtype=torch.int64) if lengths is not None else None
        self.by_dtype = {}
        for system, dtype in DTYPES.items():
            module = cls(
                spec["input_size"],
                spec["hidden_size"],
                num_layers=spec["num_layers"],
                bidirectional=spec["bidirectional"],
            ).to(dtype)
            sd = module.state_dict()
            if set(sd) != set(state):
                raise ValueError(f"state dict keys differ: torch {sorted(sd)} vs given {sorted(state)}")
            module.load_state_dict({k: torch.tensor(v, dtype=dtype) for k, v in state.items()})
            t = {k: torch.tensor(v, dtype=dtype) for k, v in tensors.items()}
            # leaves for the training step (x, h0, c0 get gradients too)
            leaves = {k: t[k].clone().requires_grad_(True) for k in ("x", "h0", "c0") if k in t}
            self.by_dtype[system] = {"module": module, "t": t, "leaves": leaves,
                                     "params": dict(module.named_parameters())}

    def _forward(self, d, x, h0, c0):
        module = d["module"]
        state = (h0, c0) if self.cell == "lstm" else h0
        if self.lengths is not None:
            packed = pack_padded_sequence(x, self.lengths, enforce_sorted=False)
            out, hc = module(packed, state)
            output, _ = pad_packed_sequence(out, total_length=self.T)
        else:
            output, hc = module(x, state)
        if self.cell == "lstm":
            return output, hc[0], hc[1]
        return output, hc, None

    def run(self, system, op):
        d = self.by_dtype[system]
        t = d["t"]
        if op == "nograd":
            with torch.inference_mode():
                return self._forward(d, t["x"], t["h0"], t.get("c0"))
        lv = d["leaves"]
        if op == "forward":  # autograd on: the graph is kept as for a backward pass
            return self._forward(d, lv["x"], lv["h0"], lv.get("c0"))
        # train: forward, then the gradients of sum(output·d_output) + sum(h·d_h) + sum(c·d_c)
        grads_of = list(d["params"].values()) + list(lv.values())
        for q in grads_of:
            q.grad = None
        output, h, c = self._forward(d, lv["x"], lv["h0"], lv.get("c0"))
        outs, ups = [output, h], [t["d_output"], t["d_h"]]
        if c is not None:
            outs.append(c)
            ups.append(t["d_c"])
        torch.autograd.backward(outs, ups)
        grads = {f"d_{k}": v.grad for k, v in lv.items()}
        grads.update({f"d_{k}": p.grad for k, p in d["params"].items()})
        return output, h, c, grads

    def results(self, system, op):
        """Named float64 NumPy results of one pass."""
        out = self.run(system, op)
        names = {"output": out[0], "h": out[1]}
        if out[2] is not None:
            names["c"] = out[2]
        if op == "train":
            names.update(out[3])
        return {k: v.detach().to(torch.float64).numpy() for k, v in names.items()}


def max_rel(a, b):
    """max |a − b| over the largest magnitude of b (the reference)."""
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    return float(np.max(np.abs(a - b))) / (scale or 1.0) if b.size else 0.0


def warm_up():
    # One-time costs (autograd engine start, the first backward with a gradient tensor: about
    # a second) land here rather than in a case's first call.
    for dtype in DTYPES.values():
        for cls in (torch.nn.LSTM, torch.nn.GRU):
            layer = cls(2, 3, num_layers=2, bidirectional=True).to(dtype)
            x = torch.zeros(3, 2, 2, dtype=dtype, requires_grad=True)
            packed = pack_padded_sequence(x, torch.tensor([3, 2]), enforce_sorted=False)
            out, _ = pad_packed_sequence(layer(packed)[0], total_length=3)
            out.backward(torch.ones_like(out))
            with torch.inference_mode():
                layer(x)


def main():
    root = Path(sys.argv[1])
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    specs = {c["id"]: c for c in manifest["cases"]}
    torch.set_num_threads(1)
    torch.manual_seed(0)
    warm_up()
    cases = {}
    reply({
        "ok": True,
        "ready": True,
        "meta": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "torch_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        },
    })
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        cmd = req.get("cmd")
        try:
            if cmd == "quit":
                reply({"ok": True})
                return
            if cmd == "prepare":
                cases[req["case"]] = Case(root, specs[req["case"]])
                reply({"ok": True})
            elif cmd == "release":
                cases.pop(req["case"], None)
                reply({"ok": True})
            elif cmd == "check":
                case = cases[req["case"]]
                ref_dir = root / req["case"] / "ref"
                ref_dir.mkdir(parents=True, exist_ok=True)
                refs = {}
                f32 = {}
                for op in req.get("ops", ["nograd", "forward", "train"]):
                    want = case.results("torch-f64", op)
                    got = case.results("torch-f32", op)
                    diffs = {k: max_rel(got[k], v) for k, v in want.items()}
                    f32[op] = diffs
                    files = {}
                    for k, v in want.items():
                        name = f"{op}-{k}.f64"
                        np.ascontiguousarray(v, dtype="<f8").tofile(ref_dir / name)
                        files[k] = {"file": f"{req['case']}/ref/{name}", "shape": list(v.shape)}
                    refs[op] = files
                reply({"ok": True, "ref": refs, "f32_vs_f64": f32})
            elif cmd == "time":
                case = cases[req["case"]]
                system, op = req["system"], req["op"]
                t0 = time.perf_counter()
                out = case.run(system, op)
                ms = (time.perf_counter() - t0) * 1e3
                del out  # outside the timed region: freeing the autograd graph
                reply({"ok": True, "ms": ms})
            else:
                reply({"ok": False, "error": f"unknown command {cmd!r}"})
        except Exception as exc:  # one failing request must not end the worker
            log(traceback.format_exc())
            reply({"ok": False, "error": repr(exc)})


if __name__ == "__main__":
    main()
