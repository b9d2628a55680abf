// Seeded randomness for the bounded generative tests (config-fuzz, request-fuzz). Every
// input gets its own generator, derived from the run's seed and the input's index, so a
// failure names both and `FUZZ_SEED=S FUZZ_ONLY=I` makes that one input again, alone.

/** mulberry32: a small, fast 32-bit generator, plenty for choosing mutations. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Prng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** The run's seed: FUZZ_SEED, or a fixed default so that the suite is the same every time. */
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? 20261206 : Number(process.env.FUZZ_SEED) >>> 0;

/** FUZZ_ONLY=I: run input I only. */
export const FUZZ_ONLY = process.env.FUZZ_ONLY === undefined ? null : Number(process.env.FUZZ_ONLY);

/** The inputs to run of `count`: all of them, or the one FUZZ_ONLY names. */
export function fuzzIndexes(count: number): number[] {
  return FUZZ_ONLY === null ? Array.from({ length: count }, (_, i) => i) : [FUZZ_ONLY];
}

/** Input `index`'s own generator. */
export function inputPrng(index: number): Prng {
  // Spread (seed, index) over the 32-bit space so that neighbouring inputs share nothing.
  return new Prng(Math.imul(FUZZ_SEED ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
}

/** How to run one input again, for a failure message. */
export function reproduce(index: number, testFile: string): string {
  return `FUZZ_SEED=${FUZZ_SEED} FUZZ_ONLY=${index} node --test dist/test/${testFile}`;
}
