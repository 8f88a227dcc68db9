/**
 * Optimisers: each updates a model's parameters in place from gradients with the same keys
 * and lengths. Their per-parameter state (velocities, moments) is created on the first step
 * and keyed by parameter name, so one optimiser serves one model.
 */
import { rangeError } from '../errors.js';
import { finiteNumber, fraction, optionsObject } from './checks.js';

export type ParamSet = Record<string, Float64Array>;

export interface Optimizer {
  readonly name: 'sgd' | 'momentum' | 'adam';
  /** Learning rate; may be changed between steps (a schedule). */
  lr: number;
  step(params: ParamSet, grads: ParamSet): void;
}

/** The moment buffers for `params`, created zeroed on first use and checked afterwards. */
function slots(store: Map<string, Float64Array>, params: ParamSet, grads: ParamSet, who: string): void {
  for (const key of Object.keys(params)) {
    const g = grads[key];
    if (!(g instanceof Float64Array) || g.length !== params[key].length) {
      throw rangeError('ERR_RNN_SHAPE', `${who}: gradient ${key} must be a Float64Array of length ${params[key].length}`);
    }
    const slot = store.get(key);
    if (!slot) store.set(key, new Float64Array(g.length));
    else if (slot.length !== g.length) {
      throw rangeError('ERR_RNN_SHAPE', `${who}: parameter ${key} changed length; use one optimiser per model`);
    }
  }
}

abstract class BaseOptimizer {
  private rate: number;

  constructor(lr: unknown) {
    this.rate = finiteNumber(lr, 'lr', true);
  }

  get lr(): number {
    return this.rate;
  }

  set lr(value: number) {
    this.rate = finiteNumber(value, 'lr', true);
  }
}

/** Plain gradient descent: `p ← p − lr·g`. */
export class SGD extends BaseOptimizer implements Optimizer {
  readonly name = 'sgd';

  constructor(options?: { lr?: number }) {
    const o = optionsObject(options, 'SGD options');
    super(o.lr ?? 0.1);
  }

  step(params: ParamSet, grads: ParamSet): void {
    slots(new Map(), params, grads, 'SGD');
    for (const key of Object.keys(params)) {
      const [p, g] = [params[key], grads[key]];
      for (let i = 0; i < p.length; i++) p[i] -= this.lr * g[i];
    }
  }
}

/** Heavy-ball momentum: `v ← μ·v + g`, `p ← p − lr·v`. */
export class Momentum extends BaseOptimizer implements Optimizer {
  readonly name = 'momentum';
  readonly momentum: number;
  private readonly velocity = new Map<string, Float64Array>();

  constructor(options?: { lr?: number; momentum?: number }) {
    const o = optionsObject(options, 'Momentum options');
    super(o.lr ?? 0.05);
    this.momentum = fraction(o.momentum ?? 0.9, 'momentum');
  }

  step(params: ParamSet, grads: ParamSet): void {
    slots(this.velocity, params, grads, 'Momentum');
    for (const key of Object.keys(params)) {
      const [p, g, v] = [params[key], grads[key], this.velocity.get(key)!];
      for (let i = 0; i < p.length; i++) {
        v[i] = this.momentum * v[i] + g[i];
        p[i] -= this.lr * v[i];
      }
    }
  }
}

/**
 * Adam (Kingma & Ba): bias-corrected first and second moments,
 * `p ← p − lr·m̂/(√v̂ + ε)`.
 */
export class Adam extends BaseOptimizer implements Optimizer {
  readonly name = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private t = 0;
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();

  constructor(options?: { lr?: number; beta1?: number; beta2?: number; epsilon?: number }) {
    const o = optionsObject(options, 'Adam options');
    super(o.lr ?? 0.001);
    this.beta1 = fraction(o.beta1 ?? 0.9, 'beta1');
    this.beta2 = fraction(o.beta2 ?? 0.999, 'beta2');
    this.epsilon = finiteNumber(o.epsilon ?? 1e-8, 'epsilon', true);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  step(params: ParamSet, grads: ParamSet): void {
    slots(this.m, params, grads, 'Adam');
    slots(this.v, params, grads, 'Adam');
    this.t += 1;
    const { beta1: b1, beta2: b2, epsilon } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (const key of Object.keys(params)) {
      const [p, g, m, v] = [params[key], grads[key], this.m.get(key)!, this.v.get(key)!];
      for (let i = 0; i < p.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= (this.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + epsilon);
      }
    }
  }
}

/** An optimiser by name, for configuration from strings (the CLI). */
export function makeOptimizer(name: string, lr: number): Optimizer {
  switch (name) {
    case 'sgd':
      return new SGD({ lr });
    case 'momentum':
      return new Momentum({ lr });
    case 'adam':
      return new Adam({ lr });
    default:
      throw rangeError('ERR_RNN_VALUE', `optimizer must be one of sgd, momentum, adam; got ${JSON.stringify(name)}`);
  }
}
