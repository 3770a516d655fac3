// Reading the golden PyTorch fixtures (format optim-golden/1, see test/fixtures/README.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const FIXTURE_DIR = join(import.meta.dirname, "..", "fixtures", "torch");
/** Round 2's dense trajectories (SGD, Adam, AdamW), same schema. */
export const DENSE_FIXTURE_DIR = join(import.meta.dirname, "..", "fixtures", "torch-round2", "dense");

type F32 = { b64: string };
type StateJson = Record<string, F32 | number | null>;

export interface Fixture {
  id: string;
  /** PyTorch's class name, which is also simdopt's. */
  optimizer: string;
  tags?: string[];
  hyperparameters: Record<string, number | boolean | number[]>;
  n: number;
  num_steps: number;
  initial: { params: F32; state: StateJson };
  steps: Array<{ step: number; grad: F32; params: F32; state: StateJson }>;
}

export interface IndexEntry {
  file: string;
  id: string;
  optimizer: string;
  sha256: string;
}

export function fixtureIndex(): IndexEntry[] {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, "index.json"), "utf8")).fixtures;
}

export function loadFixture(file: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, file), "utf8"));
}

/** A round-2 dense fixture. A state buffer torch has not created (`None`) is null. */
export interface DenseFixture {
  id: string;
  optimizer: "SGD" | "Adam" | "AdamW";
  hyperparameters: Record<string, number | boolean | number[]>;
  n: number;
  num_steps: number;
  initial: { params: F32; state: Record<string, F32 | number | null> };
  steps: Array<{ step: number; grad: F32; params: F32; state: Record<string, F32 | number | null> }>;
}

export function denseFixtureIndex(): Array<{ file: string; sha256: string }> {
  return JSON.parse(readFileSync(join(DENSE_FIXTURE_DIR, "index.json"), "utf8")).fixtures;
}

export function loadDenseFixture(file: string): DenseFixture {
  return JSON.parse(readFileSync(join(DENSE_FIXTURE_DIR, file), "utf8"));
}

export function decodeF32(a: F32): Float32Array {
  const buf = Buffer.from(a.b64, "base64");
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

const CAMEL: Record<string, string> = {
  weight_decay: "weightDecay",
  lr_decay: "lrDecay",
  initial_accumulator_value: "initialAccumulatorValue",
};

/** The fixture's hyperparameters as simdopt options. */
export function optionsOf(fx: Fixture): Record<string, number | boolean | number[]> {
  const out: Record<string, number | boolean | number[]> = {};
  for (const [k, v] of Object.entries(fx.hyperparameters)) out[CAMEL[k] ?? k] = v;
  return out;
}

/**
 * Index of the first element whose bits differ, or -1. NaN matches any NaN (payloads are not
 * significant); +0 and -0 differ; everything else compares as raw bits.
 */
export function firstBitDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] === ub[i]) continue;
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    return i;
  }
  return -1;
}

/** Throws with the first differing element, its step and both values, if a and b differ. */
export function expectBits(actual: Float32Array, expected: Float32Array, what: string): void {
  const i = firstBitDiff(actual, expected);
  if (i < 0) return;
  const bits = (x: Float32Array) => new Uint32Array(Float32Array.of(x[i]!).buffer)[0]!.toString(16);
  throw new Error(
    `${what}: element ${i} of ${expected.length} differs: got ${actual[i]} (0x${bits(actual)}), ` +
      `want ${expected[i]} (0x${bits(expected)})`,
  );
}

/** Round 2's sparse Adagrad trajectories (format optim-sparse/1). */
export const SPARSE_FIXTURE_DIR = join(import.meta.dirname, "..", "fixtures", "torch-round2", "sparse");

/** A sparse Adagrad fixture: a `rows × dim` table and, per step, the rows given and their vectors. */
export interface SparseFixture {
  id: string;
  optimizer: "Adagrad";
  hyperparameters: Record<string, number | boolean>;
  rows: number;
  dim: number;
  num_steps: number;
  initial: { params: F32; state: { step: number; sum: F32 } };
  steps: Array<{ step: number; indices: number[]; values: F32; params: F32; state: { step: number; sum: F32 } }>;
}

export function sparseFixtureIndex(): Array<{ file: string; format: string; sha256: string }> {
  return JSON.parse(readFileSync(join(SPARSE_FIXTURE_DIR, "index.json"), "utf8")).fixtures;
}

export function loadSparseFixture(file: string): SparseFixture {
  return JSON.parse(readFileSync(join(SPARSE_FIXTURE_DIR, file), "utf8"));
}
