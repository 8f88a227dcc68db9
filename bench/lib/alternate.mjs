/**
 * One thread against two on the native backend, alternating call by call in one process, so
 * that both sides see the same load: a neighbour's burst slows both calls of a round, not one
 * side of the comparison.
 */

/** Wall-clock time the rounds of one case aim for, per workload (ms); at least MIN_ROUNDS. */
const BUDGET_MS = { S: 2000, M: 6000, L: 20000 };
const MIN_ROUNDS = 5;
const MAX_ROUNDS = 60;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Times `fn` with `setThreads(1)` and `setThreads(2)` in alternating order, round after round. */
export function alternateThreads(api, fn, workload) {
  api.setThreads(1);
  const t0 = performance.now();
  fn(); // warm-up; also sizes the rounds
  const firstMs = performance.now() - t0;
  const rounds = Math.max(MIN_ROUNDS, Math.min(MAX_ROUNDS, Math.floor(BUDGET_MS[workload] / (1.5 * firstMs))));
  const times = { 1: [], 2: [] };
  const ratios = [];
  for (let i = 0; i < rounds; i++) {
    for (const threads of i % 2 ? [1, 2] : [2, 1]) {
      api.setThreads(threads);
      const start = performance.now();
      fn();
      times[threads].push(performance.now() - start);
    }
    ratios.push(times[1][i] / times[2][i]);
  }
  return {
    rounds,
    one_thread_ms: median(times[1]),
    two_threads_ms: median(times[2]),
    // Each round's own ratio, its two calls timed back to back; the median over rounds.
    speedup: median(ratios),
    speedup_min: Math.min(...ratios),
    speedup_max: Math.max(...ratios),
  };
}
