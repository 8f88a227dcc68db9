// What the pages the Playwright scripts drive put on `window` (read through page.evaluate).
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
  /** demo-e2e.mjs's main-thread monitor. */
  __stalls: {
    running: boolean;
    steps: number;
    timerGap: number;
    steadyGap: number;
    frameGap: number;
    longTasks: number[];
    timerTicks: number;
    frames: number;
    /** [ms since start, gap in ms, steps done when it began] of each gap over 20 ms. */
    gaps: [number, number, number][];
    startedAt: number;
    start(steps: number): void;
    stop(): {
      timerGap: number;
      steadyGap: number;
      frameGap: number;
      longTasks: number[];
      timerTicks: number;
      frames: number;
      gaps: [number, number, number][];
    };
  };
  /** bench/browser/page.js. */
  runBench(options: { samples?: number; warmup?: number }): Promise<{
    backend: string;
    forward: { median: number; times: number[] };
    train: { median: number; times: number[] };
  }>;
}
