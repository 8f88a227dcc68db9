/**
 * A small seeded generator for initialisation and sampling: the same seed gives the same
 * model and the same samples on every backend and machine (Math.random cannot be seeded).
 */

export interface Random {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

/** mulberry32 for uniforms, Box–Muller for normals. */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal() {
      let u = uniform();
      while (u === 0) u = uniform(); // log(0) would give an infinite sample
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
    },
  };
}
