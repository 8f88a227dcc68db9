/**
 * Gradient clipping, applied in place to a whole gradient set before the optimiser step:
 * exploding gradients are the classic failure of recurrent training.
 */
import { finiteNumber } from './checks.js';
import type { ParamSet } from './optimizers.js';

/** The Euclidean norm of all gradients taken together. */
export function globalNorm(grads: ParamSet): number {
  let sum = 0;
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return Math.sqrt(sum);
}

/** Clamps every element to `[−limit, limit]` (the notebook's `clip`). */
export function clipByValue(grads: ParamSet, limit: number): void {
  finiteNumber(limit, 'clip value', true);
  for (const g of Object.values(grads)) {
    for (let i = 0; i < g.length; i++) g[i] = Math.min(limit, Math.max(-limit, g[i]));
  }
}

/**
 * Scales all gradients by `maxNorm / norm` when their global norm exceeds `maxNorm`, keeping
 * their direction; returns the norm before clipping.
 */
export function clipByGlobalNorm(grads: ParamSet, maxNorm: number): number {
  finiteNumber(maxNorm, 'clip norm', true);
  const norm = globalNorm(grads);
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
  return norm;
}
