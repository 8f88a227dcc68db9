/**
 * Two settings of rnn-wasm compared call by call in one process (one thread against two; the
 * wasm backend against native), so that both sides see the same load: a neighbour's burst
 * slows both calls of a round, not one side of the comparison.
 */

/** Wall-clock time the rounds of one case aim for, per workload (ms). */
const BUDGET_MS = { S: 2000, M: 6000, L: 20000 };
/** Fewest and most rounds per case, per workload (S calls take well under a millisecond). */
const MIN_ROUNDS = 5;
const MAX_ROUNDS = { S: 4000, M: 60, L: 60 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/**
 * Times `fn` after `setA()` and after `setB()`, in alternating order, round after round.
 * Returns each side's median, the median over rounds of each round's own ratio `a / b` (its two
 * calls timed back to back), that ratio's range and the round count.
 */
export function alternate(fn, setA, setB, workload) {
  setA();
  const t0 = performance.now();
  fn(); // warm-up; also sizes the rounds
  setB();
  fn();
  const firstMs = performance.now() - t0;
  const rounds = Math.max(MIN_ROUNDS, Math.min(MAX_ROUNDS[workload], Math.floor(BUDGET_MS[workload] / (0.75 * firstMs))));
  const times = { a: [], b: [] };
  const ratios = [];
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 ? ['a', 'b'] : ['b', 'a']) {
      (side === 'a' ? setA : setB)();
      const start = performance.now();
      fn();
      times[side].push(performance.now() - start);
    }
    ratios.push(times.a[i] / times.b[i]);
  }
  return {
    rounds,
    a_ms: median(times.a),
    b_ms: median(times.b),
    ratio: median(ratios),
    ratio_min: Math.min(...ratios),
    ratio_max: Math.max(...ratios),
  };
}
