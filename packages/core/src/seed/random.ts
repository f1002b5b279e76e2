/**
 * Deterministic randomness for generated rows. Every row draws from its own stream, seeded
 * by (seed, table, row number), so row i never depends on which rows were made before it,
 * in which batch, by which worker or in how many runs.
 */

/** A 32-bit integer finaliser (murmur3 fmix32): small input changes scatter over all bits. */
export function mix32(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes a list of non-negative safe integers (seeds may exceed 32 bits) to 32 bits. */
export function hashInts(values: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    const low = v >>> 0;
    const high = Math.floor(v / 4294967296) >>> 0;
    h = mix32(h ^ low);
    h = mix32(h ^ high ^ 0x632be5ab);
  }
  return h;
}

/** splitmix32: a fast generator whose whole state is one 32-bit word, so seeding is free. */
export class RowRandom {
  private state = 0;

  constructor(seed = 0) {
    this.state = seed | 0;
  }

  reseed(values: readonly number[]): this {
    this.state = hashInts(values) | 0;
    return this;
  }

  /** A float in [0, 1). */
  next = (): number => {
    let z = (this.state = (this.state + 0x9e3779b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return ((z ^ (z >>> 15)) >>> 0) / 4294967296;
  };

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One of the values, by the given weights (which need not sum to 1). */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    // Indexed loops: this runs once or twice per generated row.
    let total = 0;
    for (let i = 0; i < choices.length; i++) total += choices[i]![1];
    let x = this.next() * total;
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i]!;
      x -= choice[1];
      if (x < 0) return choice[0];
    }
    const last = choices[choices.length - 1];
    if (last === undefined) throw new RangeError('weighted() needs at least one choice');
    return last[0];
  }

  pick<T>(values: readonly T[]): T {
    const value = values[Math.floor(this.next() * values.length)];
    if (value === undefined) throw new RangeError('pick() needs at least one value');
    return value;
  }
}

const STRIDES = [7919, 104_729, 1_299_709, 15_485_863];

/**
 * The stride permute() steps through [0, n) by: the first of STRIDES that does not divide n.
 * A plain loop: find() with a closure, run twice per order line, cost more than the rest of it.
 */
function strideFor(n: number): number {
  for (const p of STRIDES) if (n % p !== 0) return p;
  return 1;
}

/**
 * A bijection of [0, n): spreads "popular" low indexes over the whole id range, so the best
 * sellers and best customers are not simply the first ids.
 */
export function permute(index: number, n: number): number {
  return (index * strideFor(n) + 12_345) % n;
}
