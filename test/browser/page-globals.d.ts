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
    timerGap: number;
    frameGap: number;
    longTasks: number[];
    timerTicks: number;
    frames: number;
    start(): void;
    stop(): { timerGap: number; frameGap: number; longTasks: number[]; timerTicks: number; frames: number };
  };
  /** bench/browser/page.js. */
  runBench(options: { samples?: number; warmup?: number }): Promise<{
    backend: string;
    forward: { median: number; times: number[] };
    train: { median: number; times: number[] };
  }>;
}
