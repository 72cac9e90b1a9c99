// Bump allocator shared by every kernel (include files start with "_"; tools/build-kernels.mjs does
// not build them on their own). The JS wrapper allocates its buffers once and reuses them.

let top: usize = 0;

/** Forget every allocation: the next alloc starts again at the heap base. */
export function reset(): void {
  top = (__heap_base + 15) & ~(<usize>15);
}

/** Allocate `bytes` (16-byte aligned), growing memory as needed. Returns 0 when memory cannot grow. */
export function alloc(bytes: usize): usize {
  if (top == 0) reset();
  const p = top;
  const end = (p + bytes + 15) & ~(<usize>15);
  if (end < p) return 0; // wrapped past 4 GiB
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  top = end;
  return p;
}

/** The allocation mark: where the next alloc would start. */
export function mark(): usize {
  if (top == 0) reset();
  return top;
}

/** Forget the allocations made since mark() returned m (a layer's tensors stay, its heads' scratch goes). */
export function release(m: usize): void {
  top = m;
}
