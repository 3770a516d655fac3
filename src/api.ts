// Everything public except `init`/`initSync`, which each entry point binds to its own way of
// finding the kernels (embedded bytes, or a .wasm module import on Workers).
export * from "./families/index.js";
export { Optimizer, NonFiniteGradientError, type CommonOptions } from "./optimizer.js";
export type { StateDict, TensorState } from "./state-dict.js";
export type { SparseRows } from "./sparse-intake.js";
export type { GradInput } from "./grad-intake.js";
export type { StepOptions } from "./step-range.js";
export type { SharedOptions } from "./family.js";
export { ParamStore, StaleViewError, type ParamStoreOptions, type StoreLayout } from "./store.js";
export { CheckpointError } from "./checkpoint.js";
export type { LoadStateOptions, SaveStateOptions } from "./checkpoint-sections.js";
export { clipGradNorm, gradNorm, type ClipTarget, type ClipGradNormOptions, type NormType } from "./clip.js";
export type { ParamGroup, ParamGroupInput, ParamsInput } from "./groups.js";
export type { NonFinitePolicy } from "./options.js";
export type { BackendName } from "./backend.js";
export type { InitOptions } from "./runtime.js";
export type { WasmSource } from "./wasm/backend.js";
export { fallbackReasonOf as fallbackReason } from "./runtime.js";
export { shutdown, threads, threadsReason, type ThreadsOption } from "./threads/config.js";
export * from "./schedulers/index.js";
