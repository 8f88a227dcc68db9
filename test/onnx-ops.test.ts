/**
 * The ONNX recurrent operators (onnxLSTM, onnxGRU, onnxRNN) on the Node entry, on every backend:
 * the shared suite of test/shared/onnx-ops.ts (every attribute of test/fixtures/onnx/generated.json
 * against onnxruntime's float32 and the float64 reference, layout 1, ONNX's own backend cases of
 * backend.json, nested-array inputs, empty shapes).
 */
import * as api from '../ts/index.js';
import { BACKENDS } from './helpers.js';
import { defineOnnxOpsSuite } from './shared/onnx-ops.js';

defineOnnxOpsSuite(api, BACKENDS, 'ONNX recurrent operators on the %s backend');
