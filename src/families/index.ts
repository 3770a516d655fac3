// The optimizer families. Adding one is: its kernel in assembly/ (exported from
// assembly/index.ts), its exact JS kernel in src/js/, its descriptor and class in this folder,
// and one line here.
export * from "./rmsprop.js";
export * from "./adagrad.js";
