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
}
export function run(simdopt: unknown, runtime: string, initOptions?: object): Promise<CheckResult>;
export function report(result: CheckResult): string;
