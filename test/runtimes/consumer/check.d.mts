// Types for check.mjs, so the TypeScript consumer can run the same check.
export interface CheckResult {
  runtime: string;
  backend: "wasm" | "js" | null;
  fallbackReason: string | null;
  wasmError: string | null;
  steps: number;
  fixtures: string[];
  error: string | null;
  entry?: string;
  /** What init({ threads: 2 }) gave: the count, why fewer, and whether the bits equal one thread's. */
  threads: { count: number | null; reason: string | null; sameBits: boolean | null; error: string | null } | null;
}
export function run(simdopt: unknown, runtime: string, initOptions?: object): Promise<CheckResult>;
export function report(result: CheckResult): string;
