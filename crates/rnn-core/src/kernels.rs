//! The kernel table: every kernel's boundary declared once.
//!
//! [`for_each_kernel!`](crate::for_each_kernel) hands each kernel's
//! declaration to a macro of the caller's, which turns it into whatever that
//! caller needs: `rnn-wasm` an `extern "C"` export (and its workspace
//! export), `rnn-napi` a `#[napi]` function, and `tests/abi.rs` the
//! TypeScript description `ts/generated/abi.ts`. Adding a kernel to the
//! boundary means adding its entry here; argument names and order come from
//! nowhere else.

/// Calls `$callback! { ... }` once per kernel with its declaration:
///
/// ```text
/// name: lstm_forward,                       // the rnn-core function
/// doc: "LSTM forward pass; ...",            // one line, for every generated item
/// wasm: lstm_forward,                       // the wasm export
/// js: "lstmForward",                        // the napi function and the key in abi.ts
/// dims: Dims { n_x, n_a, n_y, m, t },       // the dimensions the boundary passes, in order
/// unused: { },                              // fields of the dims struct it leaves at 0
/// inputs: LstmForwardIn { x, a0, c0, ... }, // the input struct and its fields, in order
/// outputs: LstmForwardOut { a, c, y, gates },
/// workspace: [lstm_forward_workspace_len => lstm_forward_workspace],
/// ```
///
/// Struct and function names are those of `rnn_core`'s root. `workspace` is
/// `[]` for a kernel whose workspace is always empty: its wasm export then
/// takes no `(ws, ws_len)` pair, so a call crosses the boundary once.
/// Otherwise it names the core's `*_workspace_len` function and the wasm
/// export that reports it.
///
/// The order of the arguments at the boundary is the order here: the
/// dimensions, then the inputs, then the outputs (then the workspace, in
/// wasm).
#[macro_export]
macro_rules! for_each_kernel {
    ($callback:ident) => {
        $callback! {
            name: softmax,
            doc: "Softmax over axis 0 of the `rows × cols` matrix `z`, into `out`.",
            wasm: rnn_softmax,
            js: "softmax",
            dims: MatDims { rows, cols },
            unused: {},
            inputs: SoftmaxIn { z },
            outputs: SoftmaxOut { out },
            workspace: [],
        }
        $callback! {
            name: sigmoid,
            doc: "Element-wise logistic sigmoid `1 / (1 + exp(-z))` of `n` values, into `out`.",
            wasm: rnn_sigmoid,
            js: "sigmoid",
            dims: ElemDims { n },
            unused: {},
            inputs: SigmoidIn { z },
            outputs: SigmoidOut { out },
            workspace: [],
        }
        $callback! {
            name: transpose,
            doc: "The `cols × rows` transpose of the `rows × cols` matrix `src`, into `dst`.",
            wasm: rnn_transpose,
            js: "transpose",
            dims: MatDims { rows, cols },
            unused: {},
            inputs: TransposeIn { src },
            outputs: TransposeOut { dst },
            workspace: [],
        }
        $callback! {
            name: rnn_forward,
            doc: "RNN forward pass; see `rnn_core::rnn_forward`.",
            wasm: rnn_forward,
            js: "rnnForward",
            dims: Dims { n_x, n_a, n_y, m, t },
            unused: {},
            inputs: RnnForwardIn { x, a0, wax, waa, ba, wya, by },
            outputs: RnnForwardOut { a, y },
            workspace: [rnn_forward_workspace_len => rnn_forward_workspace],
        }
        $callback! {
            name: rnn_backward,
            doc: "RNN backward pass; see `rnn_core::rnn_backward`.",
            wasm: rnn_backward,
            js: "rnnBackward",
            dims: Dims { n_x, n_a, m, t },
            unused: { n_y },
            inputs: RnnBackwardIn { da, a_next, a_prev, x, wax, waa },
            outputs: RnnBackwardOut { dx, da0, dwax, dwaa, dba },
            workspace: [rnn_backward_workspace_len => rnn_backward_workspace],
        }
        $callback! {
            name: lstm_forward,
            doc: "LSTM forward pass; see `rnn_core::lstm_forward`.",
            wasm: lstm_forward,
            js: "lstmForward",
            dims: Dims { n_x, n_a, n_y, m, t },
            unused: {},
            inputs: LstmForwardIn { x, a0, c0, w, b, wy, by },
            outputs: LstmForwardOut { a, c, y, gates },
            workspace: [lstm_forward_workspace_len => lstm_forward_workspace],
        }
        $callback! {
            name: lstm_backward,
            doc: "LSTM backward pass; see `rnn_core::lstm_backward`.",
            wasm: lstm_backward,
            js: "lstmBackward",
            dims: Dims { n_x, n_a, m, t },
            unused: { n_y },
            inputs: LstmBackwardIn { da, dc_last, c_next, c_prev, a_prev, gates, x, w },
            outputs: LstmBackwardOut { dx, da0, dc0, dw, db },
            workspace: [lstm_backward_workspace_len => lstm_backward_workspace],
        }
        $callback! {
            name: output_backward,
            doc: "Softmax cross-entropy backward through the output layer; see `rnn_core::output_backward`.",
            wasm: output_backward,
            js: "outputBackward",
            dims: Dims { n_a, n_y, m, t },
            unused: { n_x },
            inputs: OutputBackwardIn { y, targets, a, wy },
            outputs: OutputBackwardOut { loss, dwy, dby, da },
            workspace: [output_backward_workspace_len => output_backward_workspace],
        }
        $callback! {
            name: layer_forward,
            doc: "One recurrent layer (RNN, LSTM or GRU) in one direction over a batch of sequences of given lengths; see `rnn_core::layer_forward`.",
            wasm: layer_forward,
            js: "layerForward",
            dims: LayerDims { cell, n_in, h, n, t, reverse, keep },
            unused: {},
            inputs: LayerForwardIn { x, lengths, h0, c0, w_ih, w_hh, b_ih, b_hh, gates, p },
            outputs: LayerForwardOut { output, h_n, c_n, saved },
            workspace: [layer_forward_workspace_len => layer_forward_workspace],
        }
        $callback! {
            name: layer_backward,
            doc: "Backward pass of `layer_forward`; see `rnn_core::layer_backward`.",
            wasm: layer_backward,
            js: "layerBackward",
            dims: LayerDims { cell, n_in, h, n, t, reverse },
            unused: { keep },
            inputs: LayerBackwardIn { d_output, dh_n, dc_n, saved, x, lengths, h0, c0, w_ih, w_hh, gates },
            outputs: LayerBackwardOut { dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh },
            workspace: [layer_backward_workspace_len => layer_backward_workspace],
        }
        $callback! {
            name: layer_forward_f32,
            doc: "`layer_forward` with float32 products (the float32 layers); see `rnn_core::layer_forward_f32`.",
            wasm: layer_forward_f32,
            js: "layerForwardF32",
            dims: LayerDims { cell, n_in, h, n, t, reverse, keep },
            unused: {},
            inputs: LayerForwardIn { x, lengths, h0, c0, w_ih, w_hh, b_ih, b_hh, gates, p },
            outputs: LayerForwardOut { output, h_n, c_n, saved },
            workspace: [layer_forward_workspace_len => layer_forward_f32_workspace],
        }
        $callback! {
            name: layer_backward_f32,
            doc: "`layer_backward` with float32 products; see `rnn_core::layer_backward_f32`.",
            wasm: layer_backward_f32,
            js: "layerBackwardF32",
            dims: LayerDims { cell, n_in, h, n, t, reverse },
            unused: { keep },
            inputs: LayerBackwardIn { d_output, dh_n, dc_n, saved, x, lengths, h0, c0, w_ih, w_hh, gates },
            outputs: LayerBackwardOut { dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh },
            workspace: [layer_backward_workspace_len => layer_backward_f32_workspace],
        }
    };
}
