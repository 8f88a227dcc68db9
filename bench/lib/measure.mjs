/**
 * Timing with tinybench: one Bench per task, so each task gets its own time budget and a
 * minimum sample count that shrinks when a single call is slow.
 */
import { performance } from 'node:perf_hooks';
import { Bench } from 'tinybench';

/**
 * Times `fn` (sync or async). `firstCallMs` is the duration of a call already made (the
 * sanity-check call, which also served as the first warm-up); it sizes the sample count so
 * that one task stays within `budget.capMs` when it can. Calls over 50 ms get no further
 * warm-up and no time budget, only that sample count.
 */
export async function measure(name, fn, budget, firstCallMs) {
  let perCall = Math.max(firstCallMs, 1e-6);
  if (perCall > budget.capMs) {
    // One call exceeds the task's whole budget: that (sanity-check) call is the only sample.
    return {
      median_ms: perCall, mean_ms: perCall, min_ms: perCall, max_ms: perCall,
      rme_pct: null, samples: 1, wall_ms: perCall, sampled_by: 'first call (over the task budget)',
    };
  }
  if (perCall > 50 && perCall <= budget.capMs) {
    // A slow first call may carry one-time costs (lazy initialisation, JIT): time another.
    const [, again] = await timeOnce(fn);
    perCall = Math.min(perCall, Math.max(again, 1e-6));
  }
  const iterations = Math.max(1, Math.min(budget.minIters, Math.floor(budget.capMs / perCall)));
  const slow = perCall > 50;
  const bench = new Bench({
    name,
    time: slow ? 0 : budget.time,
    iterations,
    warmup: !slow && budget.warmupTime > 0,
    warmupTime: budget.warmupTime,
    warmupIterations: slow ? 0 : 8,
    throws: true,
    retainSamples: false,
  });
  bench.add(name, fn);
  const started = performance.now();
  const [task] = await bench.run();
  const wallMs = performance.now() - started;
  const r = task?.result;
  if (r?.state !== 'completed') {
    if (r?.state === 'errored') throw r.error;
    throw new Error(`${name}: tinybench task ended in state ${r?.state ?? 'none (no task)'}`);
  }
  const l = r.latency;
  return {
    sampled_by: 'tinybench',
    median_ms: l.p50,
    mean_ms: l.mean,
    min_ms: l.min,
    max_ms: l.max,
    rme_pct: l.rme,
    samples: l.samplesCount,
    wall_ms: wallMs,
  };
}

/** Runs `fn` once and returns [result, milliseconds]. */
export async function timeOnce(fn) {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}
