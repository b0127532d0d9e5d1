// A small seeded pseudo-random generator, so that every library edits the same
// input and two runs of the benchmark are comparable.

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/** Hashes a string (a row id) to a 32-bit seed, so each row's input is independent of which rows run. */
export function seedFrom(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** xorshift128 seeded through splitmix32: fast, and good enough to pick positions and letters. */
export class Prng {
  constructor(seed) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.state = [next(), next(), next(), next() || 1];
  }

  /** A uniform 32-bit unsigned integer. */
  uint32() {
    const st = this.state;
    let t = st[3];
    const s = st[0];
    st[3] = st[2];
    st[2] = st[1];
    st[1] = s;
    t ^= t << 11;
    t ^= t >>> 8;
    st[0] = (t ^ s ^ (s >>> 19)) >>> 0;
    return st[0];
  }

  /** An integer in [min, max], both included. */
  int(min, max) {
    return min + Math.floor((this.uint32() / 0x100000000) * (max - min + 1));
  }

  bool() {
    return (this.uint32() & 1) === 1;
  }

  /** A lowercase ASCII word whose length is in [minLength, maxLength]. */
  word(minLength, maxLength) {
    const length = this.int(minLength, maxLength);
    let word = "";
    for (let i = 0; i < length; i++) {
      word += LETTERS[this.int(0, LETTERS.length - 1)];
    }
    return word;
  }
}
