// Seeded randomised agreement between the wasm and JS backends: for every length 0–70, a few
// large lengths, every option combination and values that include ±0, subnormals, ±Inf, NaN,
// near-overflow and tiny magnitudes, both backends must leave params and every state buffer
// with the same bits after every step (NaN matches any NaN; +0 and -0 differ).
//
// Every case draws its data from its own seed, printed in the test name and in any failure
// message. Run with SIMDOPT_SEED=<number> to explore other seeds; the default is fixed, so a
// failure reproduces by running the same test again (`npx vitest run test/backends-agree.test.ts -t '<name>'`).
import { beforeAll, describe, expect, it } from "vitest";
import { Adagrad, init, ParamStore, RMSprop, type Optimizer } from "../src/index.js";
import { firstBitDiff } from "./helpers/fixtures.js";
import { optimizerClass } from "./helpers/replay.js";
import { rngOf, type Rng } from "./helpers/random.js";

const BASE_SEED = process.env.SIMDOPT_SEED !== undefined ? Number(process.env.SIMDOPT_SEED) >>> 0 : 0x5eed2026;

// --- a small seeded PRNG (mulberry32) and value generators ---------------------------------



/** A per-case seed derived from the base seed and a case label (FNV-1a over the label). */
function seedFor(label: string): number {
  let h = 0x811c9dc5 ^ BASE_SEED;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const hex = (s: number) => `0x${s.toString(16).padStart(8, "0")}`;

const bitsToF32 = (u: number) => new Float32Array(Uint32Array.of(u >>> 0).buffer)[0]!;

const SPECIALS: readonly number[] = [
  0, -0, Infinity, -Infinity, NaN,
  bitsToF32(0x00000001), bitsToF32(0x80000001), // smallest subnormals
  bitsToF32(0x007fffff), bitsToF32(0x807fffff), // largest subnormals
  bitsToF32(0x00400000), -1.5e-40, 1e-45,
  bitsToF32(0x00800000), // smallest normal
  3e38, -3e38, 3.4028234663852886e38, -3.4028234663852886e38, // near overflow, float32 max
  1.8e19, -1.8e19, 1.8446744e19, // squares overflow
  1e-30, -1e-30, 1e-20, 1e-19, // tiny: squares underflow or turn subnormal
  1, -1,
];

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** One float32 value: mostly ordinary, some log-uniform over the whole range, some special. */
function value(r: Rng, specialRate: number): number {
  const u = r();
  if (u < specialRate) return pick(r, SPECIALS);
  const sign = r() < 0.5 ? -1 : 1;
  if (u < specialRate + (1 - specialRate) * 0.25) return sign * 10 ** (r() * 76 - 38); // 1e-38 … 1e38
  return sign * r() * 2;
}

function values(r: Rng, n: number, specialRate: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = value(r, specialRate);
  return a;
}

// --- running one case on both backends -------------------------------------------------------

type Kind = "RMSprop" | "Adagrad";
type Opts = Record<string, number | boolean | string>;
type GroupSpec = { lengths: number[]; options: Opts };
type Mode = "marshalled" | "zero-copy" | "mixed";

interface Case {
  label: string;
  seed: number;
  kind: Kind;
  groups: GroupSpec[];
  top: Opts;
  mode: Mode;
  steps: number;
  specialRate: number;
  /** Per step, new lr for some groups (index → lr), applied before that step. */
  lrChanges?: Array<Record<number, number>>;
}

interface Run {
  opt: Optimizer<{ lr?: number }>;
  params: () => Float32Array[];
  step: (grads: Float32Array[]) => boolean;
  /** The store's gradient slots (null for caller-owned tensors). */
  gradSlots: () => Array<Float32Array | null>;
  dispose: () => void;
}

function build(c: Case, backend: "wasm" | "js", init0: Float32Array[]): Run {
  const Ctor = optimizerClass(c.kind);
  const total = c.groups.reduce((s, g) => s + g.lengths.length, 0);
  // Which tensors live in a ParamStore.
  const inStore = init0.map((_, i) => c.mode === "zero-copy" || (c.mode === "mixed" && i % 2 === 0));
  let store: ParamStore | undefined;
  const names = init0.map((_, i) => `t${i}`);
  if (inStore.some(Boolean)) {
    const layout: Record<string, number> = {};
    init0.forEach((p, i) => {
      if (inStore[i]) layout[names[i]!] = p.length;
    });
    store = new ParamStore(layout);
    expect(store.backend).toBe(backend);
  }
  const own = init0.map((p, i) => (inStore[i] ? null : p.slice()));
  init0.forEach((p, i) => {
    if (inStore[i]) store!.param(names[i]!).set(p);
  });
  const tensor = (i: number) => (inStore[i] ? store!.param(names[i]!) : own[i]!);
  let k = 0;
  const groups = c.groups.map((g) => ({ ...g.options, params: g.lengths.map(() => tensor(k++)) }));
  expect(k).toBe(total);
  const opt: Optimizer<{ lr?: number }> = c.groups.length === 1 && c.mode === "zero-copy" && Object.keys(c.groups[0]!.options).length === 0
    ? new Ctor(store!, c.top)
    : c.groups.length === 1 && c.mode === "marshalled" && Object.keys(c.groups[0]!.options).length === 0
      ? new Ctor(groups[0]!.params, c.top)
      : new Ctor(groups, c.top);
  expect(opt.backend).toBe(backend);
  return {
    opt,
    params: () => init0.map((_, i) => tensor(i)),
    gradSlots: () => init0.map((_, i) => (inStore[i] ? store!.grad(names[i]!) : null)),
    step: (grads) => {
      // Re-read the store's views first, as the ParamStore docs ask after memory may have grown.
      if (store) for (const n of names) if (store.names.includes(n)) store.param(n);
      if (c.mode === "zero-copy") {
        // Write gradients into the store's slots and step without arguments.
        grads.forEach((g, i) => store!.grad(names[i]!).set(g));
        return opt.step();
      }
      return opt.step(grads);
    },
    dispose: () => {
      opt.dispose();
      store?.dispose();
    },
  };
}

/** Every float buffer (params and state) and every step count after a step, with names. */
function snapshot(run: Run): Array<[string, Float32Array | number]> {
  const out: Array<[string, Float32Array | number]> = [];
  run.params().forEach((p, i) => out.push([`params[${i}]`, p.slice()]));
  const sd = run.opt.stateDict();
  sd.state.forEach((s, i) => {
    for (const key of Object.keys(s).sort()) {
      const v = s[key]!;
      out.push([`state[${i}].${key}`, v instanceof Float32Array ? v.slice() : v]);
    }
  });
  out.push(["param_groups", JSON.stringify(sd.param_groups) as unknown as number]);
  return out;
}

function describeBits(a: Float32Array, i: number): string {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length)[i]!;
  return `${a[i]} (0x${u.toString(16).padStart(8, "0")})`;
}

function compare(c: Case, step: number, w: ReturnType<typeof snapshot>, j: ReturnType<typeof snapshot>, inputs: string): void {
  const where = `${c.label} [seed ${hex(c.seed)}] after step ${step}`;
  expect(w.map((x) => x[0]), `${where}: wasm and js report different buffers`).toEqual(j.map((x) => x[0]));
  for (let k = 0; k < w.length; k++) {
    const [name, a] = w[k]!;
    const b = j[k]![1];
    if (a instanceof Float32Array && b instanceof Float32Array) {
      const i = firstBitDiff(a, b);
      if (i >= 0) {
        throw new Error(
          `${where}: ${name} element ${i} of ${a.length} differs: wasm ${describeBits(a, i)}, js ${describeBits(b, i)}\n${inputs}`,
        );
      }
    } else {
      expect(a, `${where}: ${name}`).toEqual(b);
    }
  }
}

async function runCase(c: Case): Promise<void> {
  const r = rngOf(c.seed);
  const lengths = c.groups.flatMap((g) => g.lengths);
  const init0 = lengths.map((n) => values(r, n, c.specialRate));
  const grads = Array.from({ length: c.steps }, () => lengths.map((n) => values(r, n, c.specialRate)));
  await init({ backend: "wasm" });
  const w = build(c, "wasm", init0);
  await init({ backend: "js" });
  const j = build(c, "js", init0);
  // Short inputs go into the failure message so that a case can be read without rerunning it.
  const inputs = lengths.every((n) => n <= 8)
    ? `params0=${JSON.stringify(init0.map((a) => Array.from(a, String)))} grads=${JSON.stringify(grads.map((s) => s.map((a) => Array.from(a, String))))}`
    : `(lengths ${lengths.join(", ")})`;
  try {
    compare(c, 0, snapshot(w), snapshot(j), inputs);
    for (let s = 0; s < c.steps; s++) {
      const changes = c.lrChanges?.[s];
      if (changes) {
        for (const [gi, lr] of Object.entries(changes)) {
          w.opt.paramGroups[Number(gi)]!.lr = lr;
          j.opt.paramGroups[Number(gi)]!.lr = lr;
          expect(w.opt.paramGroups[Number(gi)]!.lr).toBe(lr);
        }
      }
      // Each backend gets its own copy of the gradients, so neither can disturb the other's;
      // a step must not write to the gradients it was given (nor to a store's gradient slots).
      for (const run of [w, j]) {
        const given = grads[s]!.map((g) => g.slice());
        run.step(given);
        given.forEach((g, i) => {
          const d = firstBitDiff(g, grads[s]![i]!);
          if (d >= 0) throw new Error(`${c.label} [seed ${hex(c.seed)}] step ${s + 1}: ${run === w ? "wasm" : "js"} changed grads[${i}][${d}]`);
        });
        run.gradSlots().forEach((g, i) => {
          if (g === null) return;
          const d = firstBitDiff(g, grads[s]![i]!);
          if (d >= 0) throw new Error(`${c.label} [seed ${hex(c.seed)}] step ${s + 1}: ${run === w ? "wasm" : "js"} changed the store's gradient slot ${i} at ${d}`);
        });
      }
      compare(c, s + 1, snapshot(w), snapshot(j), inputs);
    }
  } finally {
    w.dispose();
    j.dispose();
  }
}

// --- the option grids -------------------------------------------------------------------------

const ALPHAS = [0, 0.5, 0.99, 1];
const RMS_EPS = [1e-8, 0];
const LRS = [0.01, 1, 1e-3, 0.5, 10];
const SPECIAL_RATES = [0, 0.05, 0.3];

function rmspropGrid(): Opts[] {
  const out: Opts[] = [];
  for (const maximize of [false, true])
    for (const wd of [false, true])
      for (const centered of [false, true])
        for (const mom of [false, true])
          for (const alpha of ALPHAS)
            for (const eps of RMS_EPS)
              out.push({ maximize, weightDecay: wd ? 0.1 : 0, centered, momentum: mom ? 0.9 : 0, alpha, eps });
  return out;
}

function adagradGrid(): Opts[] {
  const out: Opts[] = [];
  for (const maximize of [false, true])
    for (const wd of [false, true])
      for (const lrd of [false, true])
        for (const iav of [false, true])
          for (const eps of [1e-10, 0])
            out.push({ maximize, weightDecay: wd ? 0.05 : 0, lrDecay: lrd ? 0.3 : 0, initialAccumulatorValue: iav ? 0.1 : 0, eps });
  return out;
}

const optsLabel = (o: Opts) =>
  Object.entries(o).map(([k, v]) => `${k}=${typeof v === "boolean" ? (v ? 1 : 0) : v}`).join(" ");

const STEPS = 4;

beforeAll(async () => {
  expect(await init({ backend: "wasm" })).toBe("wasm");
  expect(await init({ backend: "js" })).toBe("js");
});

describe.each([
  ["RMSprop", rmspropGrid()],
  ["Adagrad", adagradGrid()],
] as const)("%s: wasm and js agree bit for bit, every length 0–70", (kind, grid) => {
  // One test per option combination; inside it, one optimizer over a single tensor of each
  // length 0..70 (single tensors exercise every scalar tail), alternating memory modes.
  it.each(grid.map((o) => [optsLabel(o), o]))("%s", async (label, o) => {
    for (let n = 0; n <= 70; n++) {
      const caseLabel = `${kind} ${label} n=${n}`;
      const seed = seedFor(caseLabel);
      const r = rngOf(seed ^ 0x9e3779b9);
      await runCase({
        label: caseLabel,
        seed,
        kind,
        groups: [{ lengths: [n], options: {} }],
        top: { ...o, lr: pick(r, LRS) },
        mode: n % 2 === 0 ? "marshalled" : "zero-copy",
        steps: STEPS,
        specialRate: SPECIAL_RATES[n % 3]!,
      });
    }
  });
});

describe("large lengths: wasm and js agree bit for bit", () => {
  const cases: Case[] = [];
  for (const n of [1000, 4099, 65537]) {
    for (const kind of ["RMSprop", "Adagrad"] as const) {
      // Every flag combination at each large length, with a seeded choice of alpha/eps.
      const grid = kind === "RMSprop" ? rmspropGrid().filter((o) => o.alpha === 0.99 || o.alpha === 0) : adagradGrid();
      const chosen = n === 65537 ? grid.filter((_, i) => i % 4 === 0) : grid.filter((_, i) => i % 2 === 0);
      for (const o of chosen) {
        const label = `${kind} ${optsLabel(o)} n=${n}`;
        const seed = seedFor(label);
        cases.push({
          label, seed, kind, groups: [{ lengths: [n], options: {} }], top: { ...o, lr: pick(rngOf(seed), LRS) },
          mode: cases.length % 2 === 0 ? "marshalled" : "zero-copy", steps: 3, specialRate: [0.02, 0.2][cases.length % 2]!,
        });
      }
    }
  }
  it.each(cases.map((c) => [`${c.label} ${c.mode} [seed ${hex(c.seed)}]`, c]))("%s", async (_name, c) => {
    await runCase(c);
  });
});

describe("several tensors and param groups, marshalled / zero-copy / mixed, lr changed between steps", () => {
  const cases: Case[] = [];
  const modes: Mode[] = ["marshalled", "zero-copy", "mixed"];
  for (const kind of ["RMSprop", "Adagrad"] as const) {
    const grid = kind === "RMSprop" ? rmspropGrid() : adagradGrid();
    for (let i = 0; i < 24; i++) {
      const label = `${kind} groups #${i}`;
      const seed = seedFor(label);
      const r = rngOf(seed);
      const groupCount = 1 + Math.floor(r() * 3);
      const groups: GroupSpec[] = [];
      for (let gi = 0; gi < groupCount; gi++) {
        const tensors = 1 + Math.floor(r() * 4);
        const lengths = Array.from({ length: tensors }, () => (r() < 0.15 ? 0 : r() < 0.8 ? Math.floor(r() * 40) : 100 + Math.floor(r() * 300)));
        const o = pick(r, grid);
        groups.push({ lengths, options: gi === 0 && r() < 0.3 ? {} : { ...o, lr: pick(r, LRS) } });
      }
      const lrChanges: Array<Record<number, number>> = [];
      for (let s = 0; s < 5; s++) {
        const ch: Record<number, number> = {};
        for (let gi = 0; gi < groupCount; gi++) if (r() < 0.5) ch[gi] = pick(r, [0, 1e-4, 0.03, 0.7, 2]);
        lrChanges.push(ch);
      }
      cases.push({
        label, seed, kind, groups, top: { ...pick(r, grid), lr: pick(r, LRS) },
        mode: modes[i % 3]!, steps: 5, specialRate: SPECIAL_RATES[i % 3]!, lrChanges,
      });
    }
  }
  it.each(cases.map((c) => [
    `${c.label} ${c.mode} lengths=${c.groups.map((g) => `[${g.lengths.join(",")}]`).join("")} [seed ${hex(c.seed)}]`, c,
  ]))("%s", async (_name, c) => {
    await runCase(c);
  });
});

describe("nonFinite: \"skip\": both backends detect the same non-finite grads at every position", () => {
  // One NaN/±Inf at each position of each length (or none), in one or several tensors: step()
  // must return false exactly when a gradient holds one, and both backends must then agree.
  const lengths = [...Array.from({ length: 71 }, (_, i) => i), 1000, 4099];
  it.each(lengths.map((n) => [n, seedFor(`skip n=${n}`)]))("n=%i [seed %i]", async (n, seed) => {
    const r = rngOf(seed);
    const positions = n <= 70 ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: 40 }, () => Math.floor(r() * n));
    if (n > 70) positions.push(0, n - 1, n - 2, n - 3, n - 4, n - 5);
    const mode: Mode = n % 2 ? "zero-copy" : "mixed";
    const c: Case = {
      label: `skip n=${n}`, seed, kind: n % 3 === 0 ? "Adagrad" : "RMSprop",
      groups: [{ lengths: [n, 3], options: {} }], top: { nonFinite: "skip", lr: 0.1 }, mode, steps: 0, specialRate: 0,
    };
    const init0 = [values(r, n, 0.1), values(r, 3, 0)];
    await init({ backend: "wasm" });
    const w = build(c, "wasm", init0);
    await init({ backend: "js" });
    const j = build(c, "js", init0);
    try {
      let expectedSkips = 0;
      // Finite-only draws, with subnormals, ±0 and near-overflow, must not be skipped.
      const finite = () => {
        const g = values(r, n, 0.3);
        for (let i = 0; i < n; i++) if (!Number.isFinite(g[i]!)) g[i] = pick(r, [0, -0, 3e38, -1e-45, 1e-30]);
        return g;
      };
      let stepNo = 0;
      for (const pos of [-1, ...positions]) {
        stepNo++;
        const g = finite();
        if (pos >= 0) g[pos] = pick(r, [NaN, Infinity, -Infinity]);
        const grads = [g, values(r, 3, 0)];
        const results = [w, j].map((run) => run.step(grads.map((x) => x.slice())));
        const want = pos < 0;
        if (!want) expectedSkips++;
        expect(results, `skip n=${n} [seed ${hex(seed)}] non-finite at ${pos} (${g[pos]})`).toEqual([want, want]);
        compare(c, stepNo, snapshot(w), snapshot(j), `non-finite at ${pos}`);
      }
      expect(w.opt.skippedSteps).toBe(expectedSkips);
      expect(j.opt.skippedSteps).toBe(expectedSkips);
    } finally {
      w.dispose();
      j.dispose();
    }
  });
});

describe("the harness itself can fail", () => {
  it("detects a one-bit difference, a +0/-0 difference, and treats any NaN as equal", () => {
    const a = Float32Array.of(1, 0, NaN);
    const b = Float32Array.of(1, 0, bitsToF32(0x7fc00001));
    expect(firstBitDiff(a, b)).toBe(-1);
    b[1] = -0;
    expect(firstBitDiff(a, b)).toBe(1);
    b[1] = 0;
    b[0] = bitsToF32(0x3f800001);
    expect(firstBitDiff(a, b)).toBe(0);
  });

  it("the generators produce every special value class", () => {
    const r = rngOf(seedFor("generator check"));
    const xs = values(r, 20000, 0.3);
    const has = (p: (x: number) => boolean) => xs.some(p);
    expect(has((x) => Object.is(x, -0))).toBe(true);
    expect(has((x) => Object.is(x, 0))).toBe(true);
    expect(has((x) => x !== 0 && Math.abs(x) < 1.1754943508222875e-38)).toBe(true);
    expect(has((x) => x === Infinity) && has((x) => x === -Infinity)).toBe(true);
    expect(has(Number.isNaN)).toBe(true);
    expect(has((x) => Math.abs(x) >= 3e38 && Number.isFinite(x))).toBe(true);
  });
});
