/** Models on disk: the JSON file and a directory of `.npy` weights. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { typeError } from '../errors.js';
import type { ModelOf } from './models.js';
import type { ModelKind, SequenceModel } from './sequence-model.js';
import { npyFiles, parseModel, serializeModel } from './serialize.js';

export function saveModel(model: SequenceModel, path: string): void {
  writeFileSync(path, serializeModel(model) + '\n');
}

/** Reads a model file; a missing, unreadable or malformed file is a clear error. */
export function loadModel<K extends ModelKind = ModelKind>(path: string, expectedKind?: K): ModelOf<K> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw typeError('ERR_RNN_MODEL_FORMAT', `cannot read model file ${path}: ${code === 'ENOENT' ? 'no such file' : String(error)}`);
  }
  return parseModel(text, expectedKind, path);
}

/** Writes each weight as `<dir>/<name>.npy` (names as `npyFiles`); returns the paths written. */
export function exportNpy(model: SequenceModel, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(npyFiles(model)).map(([file, bytes]) => {
    const path = join(dir, file);
    writeFileSync(path, bytes);
    return path;
  });
}
