/** TF.js layers models on disk (Node): keras/import.ts's `loadTfjsModel` plus a path to model.json. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { rangeError } from '../errors.js';
import type { LayerDtype } from '../layers/options.js';
import { loadTfjsModel as loadFromJson, type TfjsModel, type TfjsModelJson, type TfjsWeightData } from './import.js';

function read(path: string, what: string, where = ''): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw rangeError('ERR_RNN_MODEL_FORMAT', `cannot read ${what} ${path}${where}: ${code === 'ENOENT' ? 'no such file' : String(error)}`);
  }
}

/**
 * `loadTfjsModel` of keras/import.ts, also taking the path of a model.json: the file is parsed
 * and the shards its weightsManifest lists are read from its directory (unless `weightData` is
 * given). `options.dtype` is the layers' element type.
 */
export function loadTfjsModel<D extends LayerDtype = 'float64'>(
  model: string | TfjsModelJson,
  weightData?: TfjsWeightData,
  options?: { dtype?: D },
): TfjsModel<D> {
  if (typeof model !== 'string') return loadFromJson(model, weightData, options);
  const text = read(model, 'model.json').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw rangeError('ERR_RNN_MODEL_FORMAT', `${model} is not JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw rangeError('ERR_RNN_MODEL_FORMAT', `${model} must hold a JSON object; got ${Array.isArray(json) ? 'an array' : String(json)}`);
  }
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (weightData === undefined && Array.isArray(manifest)) {
    const dir = dirname(model);
    const shards: Uint8Array[] = [];
    for (const group of manifest) {
      const paths = (group as { paths?: unknown } | null)?.paths;
      if (!Array.isArray(paths)) continue; // loadFromJson reports the malformed group
      for (const p of paths) {
        if (typeof p !== 'string') continue;
        shards.push(read(resolve(dir, p), 'weight shard', ` (listed in the weightsManifest of ${model})`));
      }
    }
    weightData = shards;
  }
  try {
    return loadFromJson(json as TfjsModelJson, weightData, options);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_RNN_MODEL_FORMAT') (error as Error).message = `${model}: ${(error as Error).message}`;
    throw error;
  }
}

export { fromKeras, kerasLayer } from './import.js';
export type { KerasLayerConfig, KerasRecurrentLayer, KerasWeightInput, KerasWeights, TfjsModel, TfjsModelJson, TfjsWeightData } from './import.js';
