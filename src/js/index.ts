/**
 * The Float32Array index of byte pointer `ptr`. Below 4 GiB a shift keeps the index an int32
 * that V8 compiles tightly (dividing measured 5-9% slower); past it, where only the JS backend
 * goes, division stays exact.
 */
export const index = (ptr: number): number => (ptr < 4294967296 ? ptr >>> 2 : ptr / 4);
