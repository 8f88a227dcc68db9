/**
 * Result tables: aligned text for stdout, markdown for bench/results/latest.md.
 */
import { CELLS, OPS } from './workloads.mjs';

export function fmtTime(ms) {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1) return `${sig(ms * 1000)} µs`;
  if (ms < 1000) return `${sig(ms)} ms`;
  return `${sig(ms / 1000)} s`;
}

export function fmtRate(g) {
  if (!Number.isFinite(g)) return '—';
  if (g < 0.01) return g.toExponential(1);
  return sig(g);
}

function sig(v) {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

const CELL_NAME = { rnn: 'RNN', lstm: 'LSTM' };
const OP_NAME = { forward: 'forward', train: 'fwd+bwd' };

function cellText(row, value, fmt) {
  if (!row) return '';
  if (row.skipped) return '—';
  if (row.error) return 'error';
  const flag = row.check && !row.check.ok ? ' (!)' : '';
  return fmt(value(row)) + flag;
}

/** Header + rows for one measure (time or GFLOP/s), systems as columns. */
function grid(results, systems, workloads, measureKey) {
  const columns = systems.filter((s) => results.some((r) => r.system === s.id && !r.skipped));
  const header = ['workload', 'cell', 'pass', ...columns.map((s) => `${s.label} (${s.dtype})`)];
  const rows = [];
  for (const w of workloads) {
    for (const cell of CELLS) {
      for (const op of OPS) {
        const line = [w, CELL_NAME[cell], OP_NAME[op]];
        for (const s of columns) {
          const row = results.find((r) => r.system === s.id && r.workload === w && r.cell === cell && r.op === op);
          line.push(
            measureKey === 'time'
              ? cellText(row, (r) => r.median_ms, fmtTime)
              : cellText(row, (r) => r.gflops, fmtRate),
          );
        }
        rows.push(line);
      }
    }
  }
  return { header, rows };
}

function sweepGrid(sweep) {
  const header = ['T_x', 'm', 'forward', 'µs/(T·m)', 'GFLOP/s', 'fwd+bwd', 'µs/(T·m)', 'GFLOP/s'];
  const keys = [...new Set(sweep.map((r) => r.name))];
  const rows = keys.map((name) => {
    const f = sweep.find((r) => r.name === name && r.op === 'forward');
    const t = sweep.find((r) => r.name === name && r.op === 'train');
    const any = f ?? t;
    const part = (r) =>
      r && !r.error ? [fmtTime(r.median_ms), sig(r.us_per_step_sample), fmtRate(r.gflops)] : ['error', '', ''];
    return [String(any.T), String(any.m), ...part(f), ...part(t)];
  });
  return { header, rows };
}

/** An alternating comparison (`lib/alternate.mjs`): side a, side b, the median round ratio a / b. */
function alternatingGrid(rows, aName, bName) {
  const header = ['workload', 'cell', 'pass', aName, bName, 'speedup', 'range', 'rounds'];
  return {
    header,
    rows: rows.map((r) => [
      r.workload,
      CELL_NAME[r.cell],
      OP_NAME[r.op],
      fmtTime(r.a_ms),
      fmtTime(r.b_ms),
      `${r.ratio.toFixed(2)}×`,
      `${r.ratio_min.toFixed(2)}–${r.ratio_max.toFixed(2)}`,
      String(r.rounds),
    ]),
  };
}

/** The alternating comparisons present in `doc`: [title, grid]. */
/** The alternating comparisons' (title, table) pairs. */
function alternatingTables(doc) {
  /** @type {Array<[string, { header: string[], rows: string[][] }]>} */
  const tables = [];
  const ratio = "speedup = the median over rounds of each round's ratio (range: its lowest and highest)";
  if (doc.threadScaling?.length) {
    tables.push([
      `Thread scaling, rnn-wasm native: one thread against two, alternating call by call; medians, ${ratio}`,
      alternatingGrid(doc.threadScaling, '1 thread', '2 threads'),
    ]);
  }
  if (doc.nativeVsWasm?.length) {
    tables.push([
      `rnn-wasm native against wasm at S, one thread, alternating call by call; medians, ${ratio}`,
      alternatingGrid(doc.nativeVsWasm, 'wasm', 'native'),
    ]);
  }
  return tables;
}

function textTable({ header, rows }) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function mdTable({ header, rows }, leftCols = 3) {
  const sep = header.map((_, i) => (i < leftCols ? '---' : '---:'));
  const esc = (c) => c.replace(/\|/g, '\\|');
  return [header, sep, ...rows].map((r) => `| ${r.map(esc).join(' | ')} |`).join('\n');
}

/**
 * The dgemm line: NumPy's float64 matmul of 2048² (its BLAS's dgemm, one thread; the best of
 * the measurements the NumPy process made beside each workload) and the share of it each
 * single-thread rnn-wasm backend reaches on the L LSTM forward pass; null when either was not
 * measured.
 */
function dgemmLine(doc) {
  const peak = doc.meta.dgemm_gflops;
  if (!Number.isFinite(peak)) return null;
  const shares = doc.results
    .filter((r) => r.workload === 'L' && r.cell.toLowerCase() === 'lstm' && r.op === 'forward' && r.threads === 1 && r.system.startsWith('rnn-wasm:'))
    .filter((r) => Number.isFinite(r.gflops))
    .map((r) => `\`${r.system.slice('rnn-wasm:'.length)}\` ${r.gflops.toFixed(1)} GFLOP/s = ${Math.round((100 * r.gflops) / peak)} %`);
  const runs = Object.entries(doc.meta.dgemm_gflops_by_workload ?? {});
  const each = runs.length > 1 ? ` (the best of ${runs.map(([w, g]) => `${g.toFixed(1)} beside ${w}`).join(', ')})` : '';
  return (
    `Single-thread dgemm on this machine (NumPy float64 matmul of 2048², OpenBLAS, 1 thread): ${peak.toFixed(1)} GFLOP/s${each}. ` +
    `L LSTM forward against it: ${shares.length ? shares.join(', ') : 'not measured'}.`
  );
}

/** The stdout report. */
export function textReport(doc) {
  const { results, systems, sweep, meta, notes } = doc;
  const out = [];
  out.push(`rnn-wasm benchmark — ${meta.cpu} (${meta.cores} cores), Node ${meta.node}, ${meta.date}`);
  out.push('');
  out.push('Median time per call');
  out.push(textTable(grid(results, systems, meta.workloads, 'time')));
  out.push('');
  out.push('GFLOP/s (LSTM forward 2·T·m·4·n_a·(n_a+n_x), RNN forward 2·T·m·n_a·(n_a+n_x), fwd+bwd 3× forward)');
  out.push(textTable(grid(results, systems, meta.workloads, 'gflops')));
  const dgemm = dgemmLine(doc);
  if (dgemm) out.push(dgemm.replaceAll('`', ''));
  for (const [title, table] of alternatingTables(doc)) out.push('', title, textTable(table));
  if (sweep.length) {
    out.push('');
    out.push(`Scaling sweep, rnn-wasm ${doc.sweepBackend} LSTM, n_x=64 n_a=128 n_y=10`);
    out.push(textTable(sweepGrid(sweep)));
  }
  if (notes.length) {
    out.push('');
    out.push('Notes');
    for (const n of notes) out.push(`- ${n}`);
  }
  out.push('');
  out.push(`Total run time ${(meta.duration_s / 60).toFixed(1)} min.`);
  return out.join('\n');
}

/** bench/results/latest.md. */
export function markdownReport(doc) {
  const { results, systems, sweep, meta, notes } = doc;
  const wl = meta.workloadDims;
  const out = [];
  out.push(`Measured ${meta.date.slice(0, 10)} on ${meta.cpu} (${meta.cores} cores, ${meta.platform}), Node ${meta.node}` +
    `${meta.python ? `, Python ${meta.python}` : ''}; \`npm run bench${meta.args.length ? ` -- ${meta.args.join(' ')}` : ''}\`, ` +
    `${(meta.duration_s / 60).toFixed(1)} min.`);
  out.push('');
  out.push('Workloads (n_x, n_a, n_y, m, T_x): ' +
    meta.workloads.map((k) => `${k} = (${wl[k].n_x}, ${wl[k].n_a}, ${wl[k].n_y}, ${wl[k].m}, ${wl[k].T})`).join(', ') +
    '. Single thread unless a column says otherwise; "fwd+bwd" is a training step (forward, then the gradients of every ' +
    'weight, input and initial state for an upstream gradient on the hidden states).');
  out.push('');
  out.push('**Median time per call**');
  out.push('');
  out.push(mdTable(grid(results, systems, meta.workloads, 'time')));
  out.push('');
  out.push('**GFLOP/s** (LSTM forward = 2·T·m·4·n_a·(n_a+n_x), RNN forward = 2·T·m·n_a·(n_a+n_x), fwd+bwd = 3× forward)');
  out.push('');
  out.push(mdTable(grid(results, systems, meta.workloads, 'gflops')));
  const dgemm = dgemmLine(doc);
  if (dgemm) out.push('', dgemm);
  for (const [title, table] of alternatingTables(doc)) out.push('', `**${title}**`, '', mdTable(table));
  if (sweep.length) {
    out.push('');
    out.push(`**Scaling** — rnn-wasm \`${doc.sweepBackend}\`, LSTM, n_x = 64, n_a = 128, n_y = 10: time per call and per (time step × sequence)`);
    out.push('');
    out.push(mdTable(sweepGrid(sweep), 2));
  }
  if (notes.length) {
    out.push('');
    for (const n of notes) out.push(`- ${n}`);
  }
  out.push('');
  return out.join('\n');
}
