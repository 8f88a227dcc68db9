/**
 * The recurrent cells of the layer kernels (`layer_forward` / `layer_backward`), by the code
 * the kernels take as their `cell` dimension, and the sizes that follow from each.
 */

/** The kernels' `cell` codes. */
export const CELL = {
  /** Elman RNN, h' = tanh(W_ih x + b_ih + W_hh h + b_hh). */
  rnnTanh: 0,
  /** Elman RNN, h' = max(0, W_ih x + b_ih + W_hh h + b_hh). */
  rnnRelu: 1,
  /** LSTM, gates i, f, g, o. */
  lstm: 2,
  /** GRU as PyTorch: n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn)). */
  gru: 3,
  /** GRU with the reset applied before the product: n = tanh(W_in x + b_in + W_hn (r ∘ h) + b_hn). */
  gruResetBefore: 4,
} as const;

export type CellCode = (typeof CELL)[keyof typeof CELL];

/** Gates G per cell: the weights have G·H rows. */
export function gateCount(cell: CellCode): number {
  return cell === CELL.lstm ? 4 : cell === CELL.gru || cell === CELL.gruResetBefore ? 3 : 1;
}

/**
 * Feature rows (each H wide) that forward keeps per active sequence and step for backward:
 * RNN h'; LSTM i, f, g, o, c', h'; GRU r, z, n, hn, h'.
 */
export function savedBlocks(cell: CellCode): number {
  return cell === CELL.lstm ? 6 : cell === CELL.gru || cell === CELL.gruResetBefore ? 5 : 1;
}

export function isCellCode(value: number): value is CellCode {
  return Number.isInteger(value) && value >= 0 && value <= 4;
}
