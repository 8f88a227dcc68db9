/**
 * Sanity checks of a forward pass: finite, in range, softmax columns summing to one, and
 * (where the system ran the same weights) close to the float64 js reference.
 */

/**
 * `out.a`: hidden states in the notebook layout `(n_a, m, T)` (or any layout when `ref` is not
 * given); `out.y`: optional softmax outputs in the notebook layout `(n_y, m, T)`;
 * `out.finite`: optional extra arrays that must only be finite. `tol`: allowed max |a − ref.a|.
 */
export function checkForward(out, { n_y, m, T }, ref, tol) {
  const problems = [];
  const details = {};
  const arrays = [['a', out.a], ['y', out.y], ...Object.entries(out.finite ?? {})];
  for (const [key, arr] of arrays) {
    if (!arr) continue;
    if (arr.length === 0) problems.push(`${key} is empty`);
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i])) {
        problems.push(`${key}[${i}] = ${arr[i]} is not finite`);
        break;
      }
    }
  }
  if (out.a) {
    let amax = 0;
    for (const v of out.a) amax = Math.max(amax, Math.abs(v));
    details.max_abs_a = amax;
    if (!(amax <= 1 + 1e-6)) problems.push(`|a| reaches ${amax} > 1 (tanh / o·tanh(c) range)`);
    if (!(amax > 0)) problems.push('a is all zeros');
  }
  if (out.y) {
    let worst = 0;
    for (let j = 0; j < m; j++)
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let k = 0; k < n_y; k++) s += out.y[(k * m + j) * T + t];
        worst = Math.max(worst, Math.abs(s - 1));
      }
    details.softmax_sum_err = worst;
    if (!(worst <= 1e-4)) problems.push(`softmax columns sum to 1 ± ${worst}`);
  }
  if (ref && out.a) {
    let diff = 0;
    for (let i = 0; i < ref.a.length; i++) diff = Math.max(diff, Math.abs(out.a[i] - ref.a[i]));
    details.max_abs_diff_vs_js_reference = diff;
    if (!(diff <= tol)) problems.push(`a differs from the js reference by ${diff.toExponential(2)} > ${tol}`);
  }
  return { ok: problems.length === 0, problems, ...details };
}

/** Every entry of every array in `arrays` is finite. */
export function allFinite(...arrays) {
  for (const arr of arrays) for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) return false;
  return true;
}
