/**
 * The model API on the Node entry, on every backend: the shared suites of test/shared/model.ts
 * (gradients, agreement with the notebook functions, deterministic learning, stateful
 * continuation, sampling, save/load, and bad input).
 */
import { afterAll } from 'vitest';
import * as api from '../ts/index.js';
import { BACKENDS } from './helpers.js';
import { defineModelSuite } from './shared/model.js';

const initial = api.getBackend();
afterAll(() => api.setBackend(initial));

defineModelSuite(api, BACKENDS, 'models on the %s backend');
