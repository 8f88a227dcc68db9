/**
 * Tables of the layer benchmark: aligned text for stdout, markdown for bench/results/layers.md.
 */
import { fmtTime } from '../lib/report.mjs';

const ORDER = ['rnn-wasm:native', 'rnn-wasm:wasm', 'rnn-wasm:js', 'rnn-wasm:native:f32', 'rnn-wasm:wasm:f32', 'rnn-wasm-onnx:native', 'rnn-wasm-onnx:wasm', 'torch-f64', 'torch-f32', 'onnxruntime'];
const PASS = { forward: 'forward', nograd: 'forward, noGrad', train: 'training step' };

/**
 * Targets on rnn-wasm's speed against PyTorch float64 (median of the per-round ratios
 * torch / rnn-wasm) and on unequal against full lengths (rnn-wasm unequal / full).
 */
export function targetOf(row) {
  if (row.kind === 'speedup_vs_torch_f64') {
    if (row.case.includes('bilstm')) return null;
    if (row.op === 'forward' || row.op === 'train') return row.workload === 'S' ? null : { min: 1.1 };
    if (row.op === 'nograd') return row.workload === 'L' ? { min: 1.3 } : null;
  }
  if (row.kind === 'unequal_over_full') return { max: 0.6 };
  return null;
}

const pct = (f) => `${(100 * f).toFixed(f < 0.1 ? 1 : 0)} %`;

export function judge(ratio, target) {
  if (!target || !ratio) return '';
  if (target.min !== undefined) {
    const ok = ratio.median >= target.min;
    return ok
      ? `≥ ${target.min}×: met`
      : `≥ ${target.min}×: missed by ${pct(1 - ratio.median / target.min)}`;
  }
  const ok = ratio.median <= target.max;
  return ok ? `≤ ${target.max}: met` : `≤ ${target.max}: missed by ${pct(ratio.median / target.max - 1)}`;
}

const fmtRatio = (r, unit = '×') =>
  r ? `${r.median.toFixed(2)}${unit} (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : '';

function cell(row) {
  if (!row) return '';
  if (row.error) return 'error';
  if (!Number.isFinite(row.median_ms)) return '—';
  return fmtTime(row.median_ms) + (row.check && !row.check.ok ? ' (!)' : '');
}

function tables(doc) {
  const systems = ORDER.filter((id) => doc.systems.some((s) => s.id === id));
  const label = (id) => {
    const s = doc.systems.find((x) => x.id === id);
    return `${s.label} (${s.dtype})`;
  };
  const rnn = systems.filter((id) => id.startsWith('rnn-wasm:') && !id.endsWith(':f32'));
  const ratioOf = (kind, caseId, op, system) =>
    doc.ratios.find((r) => r.kind === kind && r.case === caseId && r.op === op && r.system === system);

  // Table 1: times, and rnn-wasm's speed-up over PyTorch float64 with the targets
  const header = ['size', 'layer', 'pass', ...systems.map(label), ...rnn.map((id) => `${id.slice(9)} vs PyTorch f64`), 'target'];
  const body = [];
  for (const c of doc.cases) {
    for (const op of ['forward', 'nograd', 'train']) {
      const rows = systems.map((id) => doc.rows.find((r) => r.case === c.id && r.op === op && r.system === id));
      if (rows.every((r) => !r)) continue;
      const speed = rnn.map((id) => ratioOf('speedup_vs_torch_f64', c.id, op, id));
      // the targets are judged on the native backend, or on wasm where native did not run
      const judged = speed.find((r, i) => r && rnn[i] !== 'rnn-wasm:js');
      const main = judged ? { ...judged, workload: c.workload } : null;
      const target = main ? targetOf({ ...main, kind: 'speedup_vs_torch_f64', case: c.id, op }) : null;
      const which = judged && judged.system !== 'rnn-wasm:native' ? ` (${judged.system.slice(9)})` : '';
      body.push([c.workload, c.label, PASS[op], ...rows.map(cell), ...speed.map((r) => fmtRatio(r)), judge(main, target) + (target ? which : '')]);
    }
  }
  const out = [{ title: 'Median time per call (one thread each); rnn-wasm\'s speed-up over PyTorch float64: median over rounds of each round\'s ratio (range)', header, body }];

  // Table 2: unequal against full lengths
  const uf = doc.ratios.filter((r) => r.kind === 'unequal_over_full');
  if (uf.length) {
    const h2 = ['size', 'pass', 'system', 'unequal lengths', 'full length', 'unequal / full (range)', 'target'];
    const b2 = uf.map((r) => {
      const full = r.case.replace(/-unequal$/, '-full');
      const a = doc.rows.find((x) => x.case === r.case && x.op === r.op && x.system === r.system);
      const b = doc.rows.find((x) => x.case === full && x.op === r.op && x.system === r.system);
      const target = r.system.startsWith('rnn-wasm') ? judge(r, { max: 0.6 }) : '';
      return [a?.workload ?? '', PASS[r.op], label(r.system), cell(a), cell(b), fmtRatio(r, ''), target];
    });
    out.push({ title: '2-layer bidirectional LSTM: unequal lengths (mean about T/2, unsorted) against the same batch at full length', header: h2, body: b2 });
  }

  // Table 3: float32 layers against PyTorch float32, onnxruntime and their own float64
  const f32 = systems.filter((id) => id.endsWith(':f32'));
  if (f32.length) {
    const h = ['size', 'layer', 'pass', 'system', 'time', 'PyTorch f32', 'onnxruntime', 'vs PyTorch f32', 'vs onnxruntime', 'vs own f64', 'target'];
    const b = [];
    for (const c of doc.cases) {
      for (const op of ['forward', 'nograd', 'train']) {
        for (const id of f32) {
          const row = (sys) => doc.rows.find((r) => r.case === c.id && r.op === op && r.system === sys);
          if (!row(id)) continue;
          const [vt, vo, vf] = ['speedup_vs_torch_f32', 'speedup_vs_onnxruntime', 'f32_over_f64'].map((k) => ratioOf(k, c.id, op, id));
          // Targets (single-layer rows, M and L): native ≥ 1.1× PyTorch float32 and onnxruntime,
          // wasm float32 ≥ 1.8× wasm float64.
          const single = !c.id.includes('bilstm') && c.workload !== 'S';
          const verdicts = !single
            ? []
            : id === 'rnn-wasm:native:f32'
              ? [vt && `PyTorch ${judge(vt, { min: 1.1 })}`, vo && `onnxruntime ${judge(vo, { min: 1.1 })}`]
              : [vf && `f64 ${judge(vf, { min: 1.8 })}`];
          b.push([c.workload, c.label, PASS[op], label(id), cell(row(id)), cell(row('torch-f32')), cell(row('onnxruntime')), fmtRatio(vt), fmtRatio(vo), fmtRatio(vf), verdicts.filter(Boolean).join('; ')]);
        }
      }
    }
    out.push({ title: 'Float32 layers (`dtype: \'float32\'`): speed-up over PyTorch float32, onnxruntime-node (inference) and the same backend in float64, median over rounds (range)', header: h, body: b });
  }

  // Table 4: the ONNX operators against onnxruntime
  const oo = doc.ratios.filter((r) => r.kind === 'onnx_op_vs_onnxruntime');
  if (oo.length) {
    const h = ['size', 'layer', 'system', 'time', 'onnxruntime', 'speed-up over onnxruntime (range)', 'target'];
    const b = oo.map((r) => {
      const c = doc.cases.find((x) => x.id === r.case);
      const a = doc.rows.find((x) => x.case === r.case && x.op === r.op && x.system === r.system);
      const o = doc.rows.find((x) => x.case === r.case && x.op === r.op && x.system === 'onnxruntime');
      // the target (≥ 1.1× onnxruntime in float32) is judged on the native backend
      const judged = r.system === 'rnn-wasm-onnx:native';
      return [c.workload, c.label, label(r.system), cell(a), cell(o), fmtRatio(r), judged ? judge(r, { min: 1.1 }) : ''];
    });
    out.push({ title: 'ONNX operators with float32 tensors (computed in float32) against onnxruntime-node on the same node', header: h, body: b });
  }

  // Table 5: agreement with PyTorch float64
  const h3 = ['system', 'tolerance', 'rows checked', 'failed', 'largest relative difference'];
  const b3 = systems
    .filter((id) => id !== 'torch-f64')
    .map((id) => {
      const rs = doc.rows.filter((r) => r.system === id && r.check && !r.check.reference);
      const worst = Math.max(0, ...rs.map((r) => r.check.worst ?? 0));
      return [label(id), String(doc.meta.tolerance[doc.systems.find((s) => s.id === id).dtype]), String(rs.length), String(rs.filter((r) => !r.check.ok).length), rs.length ? worst.toExponential(1) : ''];
    });
  out.push({ title: 'Agreement with PyTorch float64 (every output, and for the training step every gradient), checked before timing', header: h3, body: b3 });
  return out;
}

function machine(doc) {
  const m = doc.meta;
  const versions = [
    m.rnn_wasm && `rnn-wasm ${m.rnn_wasm}`,
    m.torch && `torch ${m.torch} (threads ${m.torch_threads})`,
    m.onnxruntime_node && `onnxruntime-node ${m.onnxruntime_node}`,
    `Node ${m.node}`,
    m.python && `Python ${m.python}`,
  ].filter(Boolean);
  const sizes = Object.values(m.workloads)
    .map((w) => `${w.name}: inputSize ${w.n_x}, hiddenSize ${w.n_a}, batch ${w.m}, T ${w.T}`)
    .join('; ');
  return [
    `${m.date}, ${m.cpu} (${m.cores} cores, ${m.platform}), ${versions.join(', ')}; ${m.duration_s} s.`,
    `Sizes: ${sizes}. Load average ${m.load_average_start[0].toFixed(2)} at the start, ${m.load_average_end[0].toFixed(2)} at the end` +
      (m.steal_pct !== undefined ? `; ${m.steal_pct} % of CPU time stolen by other guests during the run.` : '.'),
  ];
}

export function markdownReport(doc) {
  const lines = ['# rnn-wasm recurrent layers against PyTorch and onnxruntime', '', ...machine(doc), ''];
  for (const t of tables(doc)) {
    lines.push(`**${t.title}**`, '');
    lines.push(`| ${t.header.join(' | ')} |`);
    lines.push(`| ${t.header.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`);
    for (const r of t.body) lines.push(`| ${r.join(' | ')} |`);
    lines.push('');
  }
  if (doc.notes.length) {
    lines.push('**Notes**', '');
    for (const n of doc.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

export function textReport(doc) {
  const lines = [...machine(doc), ''];
  for (const t of tables(doc)) {
    lines.push(t.title);
    const widths = t.header.map((h, i) => Math.max(h.length, ...t.body.map((r) => String(r[i] ?? '').length)));
    const fmt = (r) => r.map((v, i) => (i < 3 ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]))).join('  ');
    lines.push(fmt(t.header), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of t.body) lines.push(fmt(r));
    lines.push('');
  }
  for (const n of doc.notes) lines.push(`- ${n}`);
  return lines.join('\n');
}
