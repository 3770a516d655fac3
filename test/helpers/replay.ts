// Replays a fixture through simdopt's public API and checks every step bit for bit.
import * as simdopt from "../../src/index.js";
import { ParamStore, type Optimizer } from "../../src/index.js";
import { decodeF32, expectBits, optionsOf, type Fixture } from "./fixtures.js";

export type Mode = "marshalled" | "zero-copy";

/** Every family has an `lr`. */
type AnyOptimizerClass = new (params: unknown, options?: unknown) => Optimizer<{ lr?: number }>;

/** The public optimizer class of that name; throws for a name simdopt does not export. */
export function optimizerClass(name: string): AnyOptimizerClass {
  const C = (simdopt as Record<string, unknown>)[name];
  if (typeof C !== "function" || !(C.prototype instanceof simdopt.Optimizer)) {
    throw new Error(`simdopt exports no optimizer named ${JSON.stringify(name)}`);
  }
  return C as AnyOptimizerClass;
}

/** A fixture's optimizer over one tensor, in the given memory mode. */
export function makeOptimizer(fx: Fixture, mode: Mode, params0 = decodeF32(fx.initial.params)) {
  const Ctor = optimizerClass(fx.optimizer);
  if (mode === "marshalled") {
    const params = params0.slice();
    const opt: Optimizer<object> = new Ctor([params], optionsOf(fx));
    return { opt, params: () => params, grad: (g: Float32Array) => opt.step([g]), dispose: () => opt.dispose() };
  }
  const store = new ParamStore({ w: fx.n });
  store.param("w").set(params0);
  const opt: Optimizer<object> = new Ctor(store, optionsOf(fx));
  return {
    opt,
    params: () => store.param("w"),
    grad: (g: Float32Array) => {
      store.grad("w").set(g);
      return opt.step();
    },
    dispose: () => {
      opt.dispose();
      store.dispose();
    },
  };
}

/** Checks params and every state buffer after each step, stopping at the first difference. */
export function checkStep(fx: Fixture, k: number, params: Float32Array, opt: Optimizer<object>): void {
  const want = fx.steps[k]!;
  expectBits(params, decodeF32(want.params), `${fx.id} step ${k + 1} params`);
  const state = opt.stateDict().state[0]!;
  for (const [name, value] of Object.entries(want.state)) {
    if (name === "step") {
      if (state.step !== value) throw new Error(`${fx.id} step ${k + 1}: step is ${state.step}, want ${value}`);
      continue;
    }
    const got = state[name];
    if (!(got instanceof Float32Array)) throw new Error(`${fx.id} step ${k + 1}: state lacks ${name}`);
    expectBits(got, decodeF32(value as { b64: string }), `${fx.id} step ${k + 1} ${name}`);
  }
  const extra = Object.keys(state).filter((x) => !(x in want.state));
  if (extra.length) throw new Error(`${fx.id} step ${k + 1}: unexpected state ${extra.join(", ")}`);
}

export function replay(fx: Fixture, mode: Mode): void {
  const run = makeOptimizer(fx, mode);
  try {
    for (let k = 0; k < fx.num_steps; k++) {
      run.grad(decodeF32(fx.steps[k]!.grad));
      checkStep(fx, k, run.params(), run.opt);
    }
  } finally {
    run.dispose();
  }
}
