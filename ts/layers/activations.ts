/**
 * The activation functions a recurrent cell can use instead of its standard ones, and the
 * `gates` array that hands the choice to the layer kernels (`layer_forward` /
 * `layer_backward`).
 *
 * The functions are the ONNX recurrent operators' list, with ONNX's formulas and default
 * alpha/beta; Keras and TF.js names map onto them (`fromKerasName`). An empty `gates` array
 * means the cell's standard functions (sigmoid gates, tanh candidate and output; RNN as its
 * cell code says), which the kernels run on their vectorised path.
 */
import { rangeError } from '../errors.js';
import { CELL, type CellCode } from './cells.js';

/** The kernels' activation codes, by ONNX name. */
export const ACTIVATION = {
  /** 1 / (1 + e^−x) */
  Sigmoid: 0,
  /** tanh(x) */
  Tanh: 1,
  /** max(0, x) */
  Relu: 2,
  /** max(0, min(1, αx + β)); α 0.2, β 0.5 */
  HardSigmoid: 3,
  /** αx + β; α 1, β 0 */
  Affine: 4,
  /** x ≥ 0 ? x : αx; α 0.01 */
  LeakyRelu: 5,
  /** x > α ? x : 0; α 1 */
  ThresholdedRelu: 6,
  /** α·tanh(βx); α 1, β 1 */
  ScaledTanh: 7,
  /** x ≥ 0 ? x : α(e^x − 1); α 1 */
  Elu: 8,
  /** x / (1 + |x|) */
  Softsign: 9,
  /** log(1 + e^x) */
  Softplus: 10,
} as const;

export type ActivationName = keyof typeof ACTIVATION;

/** One activation with its parameters (absent: ONNX's defaults for that function). */
export interface Activation {
  name: ActivationName;
  alpha?: number;
  beta?: number;
}

/** ONNX's default alpha and beta per function (0 where the function has none). */
export const ACTIVATION_DEFAULTS: Readonly<Record<ActivationName, readonly [alpha: number, beta: number]>> = {
  Sigmoid: [0, 0],
  Tanh: [0, 0],
  Relu: [0, 0],
  HardSigmoid: [0.2, 0.5],
  Affine: [1, 0],
  LeakyRelu: [0.01, 0],
  ThresholdedRelu: [1, 0],
  ScaledTanh: [1, 1],
  Elu: [1, 0],
  Softsign: [0, 0],
  Softplus: [0, 0],
};

/** The numbers in a non-empty `gates` array. */
export const GATES_LENGTH = 11;

/** What a cell computes beyond its weights. */
export interface CellFunctions {
  /** The gates' function (LSTM i, f, o; GRU z, r) or, for an RNN, the state's. */
  f: Activation;
  /** The candidate's function (LSTM g, GRU n); ignored by an RNN. */
  g?: Activation;
  /** LSTM: the function of the cell state in h' = o ∘ h(c'); ignored by GRU and RNN. */
  h?: Activation;
  /** Bounds every gate's pre-activation (after bias and peepholes) to [−clip, clip]; absent, 0 or ∞: none. */
  clip?: number;
  /** LSTM: f = 1 − i (ONNX input_forget). */
  inputForget?: boolean;
}

/** The standard functions of a cell: what an empty `gates` array means. */
export function standardFunctions(cell: CellCode): CellFunctions {
  if (cell === CELL.rnnTanh) return { f: { name: 'Tanh' } };
  if (cell === CELL.rnnRelu) return { f: { name: 'Relu' } };
  return { f: { name: 'Sigmoid' }, g: { name: 'Tanh' }, h: { name: 'Tanh' } };
}

function resolve(a: Activation | undefined, fallback: Activation): [number, number, number] {
  const act = a ?? fallback;
  const [alpha, beta] = ACTIVATION_DEFAULTS[act.name];
  return [ACTIVATION[act.name], act.alpha ?? alpha, act.beta ?? beta];
}

/**
 * The kernels' `gates` input for `fns` on `cell`: empty when `fns` is the cell's standard set
 * (the fast path), else [f code, f α, f β, g code, g α, g β, h code, h α, h β, clip, inputForget]
 * with clip 0 meaning none.
 */
export function gatesArray(cell: CellCode, fns: CellFunctions): Float64Array {
  const std = standardFunctions(cell);
  const values = [
    ...resolve(fns.f, std.f),
    ...resolve(fns.g, std.g ?? std.f),
    ...resolve(fns.h, std.h ?? std.f),
    fns.clip === undefined || fns.clip === Infinity ? 0 : fns.clip,
    fns.inputForget ? 1 : 0,
  ];
  const standard = [...resolve(std.f, std.f), ...resolve(std.g, std.g ?? std.f), ...resolve(std.h, std.h ?? std.f), 0, 0];
  const isLstm = cell === CELL.lstm;
  const isRnn = cell === CELL.rnnTanh || cell === CELL.rnnRelu;
  // Only the entries the cell reads decide whether it is standard.
  const used = isRnn ? [0, 1, 2, 9] : isLstm ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : [0, 1, 2, 3, 4, 5, 9];
  return used.every((i) => Object.is(values[i], standard[i])) ? new Float64Array(0) : Float64Array.from(values);
}

/** Keras / TF.js activation names (as in a layer config) mapped to the kernels' functions. */
const KERAS_ACTIVATIONS: Readonly<Record<string, Activation>> = {
  sigmoid: { name: 'Sigmoid' },
  tanh: { name: 'Tanh' },
  relu: { name: 'Relu' },
  // TF.js and Keras 2: clip(0.2x + 0.5, 0, 1). Keras 3 changed hard_sigmoid to relu6(x + 3) / 6,
  // which `hard_sigmoid_keras3` names.
  hard_sigmoid: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  hardSigmoid: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  hard_sigmoid_keras3: { name: 'HardSigmoid', alpha: 1 / 6, beta: 0.5 },
  linear: { name: 'Affine', alpha: 1, beta: 0 },
  elu: { name: 'Elu', alpha: 1 },
  softsign: { name: 'Softsign' },
  softplus: { name: 'Softplus' },
};

/** The activation a Keras/TF.js name stands for; throws ERR_RNN_VALUE naming `what` for others. */
export function fromKerasName(name: string, what: string): Activation {
  const act = Object.hasOwn(KERAS_ACTIVATIONS, name) ? KERAS_ACTIVATIONS[name] : undefined;
  if (!act) {
    const known = Object.keys(KERAS_ACTIVATIONS)
      .filter((k) => k !== 'hard_sigmoid_keras3')
      .join(', ');
    throw rangeError('ERR_RNN_VALUE', `${what} must be one of ${known}; got ${JSON.stringify(name)}`);
  }
  return act;
}
