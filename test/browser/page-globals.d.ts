// What the pages the Playwright scripts drive put on `window` (read through page.evaluate).

/** The demo end-to-end test's main-thread stall figures. */
interface StallReport {
  timerGap: number;
  steadyGap: number;
  frameGap: number;
  longTasks: number[];
  timerTicks: number;
  frames: number;
  /** [ms since start, gap in ms, steps done when it began] of each gap over 20 ms. */
  gaps: [number, number, number][];
}

interface Window {
  /** examples/browser/main.js's test hooks (documented there). */
  __demo?: {
    state: string;
    stepsDone: number;
    lastLoss: number | null;
    samples: string[];
    names: string[];
    result: { steps: number; loss: number; charsPerSecond: number; bytes: number } | null;
    error: string | null;
  };
  /** demo-e2e.mjs's main-thread monitor: its running figures, and the report `stop()` returns. */
  __stalls: StallReport & {
    running: boolean;
    steps: number;
    startedAt: number;
    start(steps: number): void;
    stop(): StallReport;
  };
  /** bench/browser/page.js. */
  runBench(options: { samples?: number; warmup?: number }): Promise<{
    backend: string;
    forward: { median: number; times: number[] };
    train: { median: number; times: number[] };
  }>;
}
