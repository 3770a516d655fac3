// Memory overlap between the arrays an optimizer is given and the memory it writes. Checked
// once per tensor per step with a binary search over ranges sorted at construction.
import type { Heap } from "./heap.js";
import type { GroupPlan } from "./layout.js";

/**
 * Refuses arrays that share memory: PyTorch refuses a tensor in two groups, and overlapping
 * views would be updated (or scaled) twice. `name` is how messages call the list.
 */
export function checkDistinct(where: string, arrays: readonly Float32Array[], name = "params", what = "parameter"): void {
  const byBuffer = new Map<ArrayBufferLike, Array<[number, number, number]>>();
  arrays.forEach((p, i) => {
    if (p.byteLength === 0) return;
    const list = byBuffer.get(p.buffer) ?? [];
    list.push([p.byteOffset, p.byteOffset + p.byteLength, i]);
    byBuffer.set(p.buffer, list);
  });
  for (const list of byBuffer.values()) {
    list.sort((a, b) => a[0] - b[0]);
    for (let j = 1; j < list.length; j++) {
      if (list[j]![0] < list[j - 1]![1]) {
        const [a, b] = [list[j - 1]![2], list[j]![2]].sort((x, y) => x - y);
        throw new TypeError(`${where}: ${name}[${a}] and ${name}[${b}] share memory; each ${what} may appear once`);
      }
    }
  }
}

/** The byte ranges a gradient must not overlap: sorted, flat [start0, end0, start1, end1, ...]. */
export class AliasIndex {
  private readonly heapRanges: number[];
  private readonly callerRanges = new Map<ArrayBufferLike, number[]>();

  constructor(plans: readonly GroupPlan[]) {
    const heap: Array<[number, number]> = [];
    const caller = new Map<ArrayBufferLike, Array<[number, number]>>();
    for (const plan of plans) {
      if (plan.total === 0) continue;
      plan.state.forEach((ptr, k) => {
        if (ptr >= 0 && plan.slotTotal[k]! > 0) heap.push([ptr, ptr + plan.slotTotal[k]! * 4]);
      });
      // Staging blocks and other tensors' gradient slots are written during the copy-in, so a
      // gradient read from them would be overwritten before it is used.
      for (const ptr of plan.staging) heap.push([ptr, ptr + plan.total * 4]);
      for (const t of plan.tensors) {
        // An empty range would break the binary search below (it assumes ranges that do not
        // overlap, so that their ends ascend with their starts): it protects nothing anyway.
        if (t.length === 0) continue;
        if (t.store) heap.push([t.pPtr, t.pPtr + t.length * 4], [t.gPtr, t.gPtr + t.length * 4]);
        else {
          const list = caller.get(t.param.buffer) ?? [];
          list.push([t.param.byteOffset, t.param.byteOffset + t.param.byteLength]);
          caller.set(t.param.buffer, list);
        }
      }
    }
    const flat = (l: Array<[number, number]>) => l.sort((a, b) => a[0] - b[0]).flat();
    this.heapRanges = flat(heap);
    for (const [b, l] of caller) this.callerRanges.set(b, flat(l));
  }

  /** Does `a` overlap a range? `heap` holds the optimizer's memory. */
  overlaps(a: Float32Array, heap: Heap): boolean {
    const ranges = heap.isHeapBuffer(a.buffer) ? this.heapRanges : this.callerRanges.get(a.buffer);
    if (!ranges) return false;
    const start = a.byteOffset;
    let lo = 0;
    let hi = ranges.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ranges[2 * mid + 1]! <= start) lo = mid + 1;
      else hi = mid;
    }
    return lo < ranges.length / 2 && ranges[2 * lo]! < start + a.byteLength;
  }
}
