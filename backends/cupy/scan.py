"""A scan's parallel kernels (``emit``'s serial one runs a thread per line: a long line on
few threads would leave the GPU idle). Each line is cut into parts of ``chunk`` elements,
a block per part, and each block's threads take contiguous runs of ``per`` elements:

- ``NAME_totals``: each part's total: the threads fold their runs in order, then thread 0
  folds the threads' totals in order.
- ``NAME_offsets``: one thread per line turns its parts' totals, in order, into each
  part's offset (what comes before it), in place.
- ``NAME_parts``: the threads fold their runs again; thread 0 turns the threads' totals
  into each thread's offset within the part, in order (as ``NAME_totals`` did); each
  thread writes ``part (op) (within (op) run)``: the part's offset, the thread's, and
  its run's running value from the identity.

The order of every combination depends on sizes only, so results are the same run to
run. A thread's last value is exactly the next thread's offset, and a part's last value
the next part's (both folded by the same chain), so a float cumsum of positive numbers
never steps back. Floats round otherwise than NumPy's sequential loop (the terms are
grouped differently); integers (wraparound) are exact.
"""
from __future__ import annotations

from . import emit


def emit_parallel(kernel, name, nk, ndim, common, ops, signature, unravel, body, store,
                  stores, out, functions):
    """Appends the three kernels' source to ``out`` and their roles to ``functions``
    (``scan_totals``, ``scan_offsets``, ``scan_parts``)."""
    scan = kernel.scan
    dt = scan.dtype
    ct, st = emit.ctype(dt), emit.storage(dt)
    entry = emit._cuda_entry(scan)
    start = emit.literal(emit.start_value(scan.op, dt), dt)
    sk = ops.index(scan)
    nkeep = " * ".join(f"n{d}" for d in range(nk)) or "1"
    nscan = " * ".join(f"n{d}" for d in range(nk, ndim)) or "1"

    def combine(a, b):
        return emit.apply(entry, [a, b], dt)

    def header(w):
        w(f"const long long nkeep = {nkeep}, nscan = {nscan};")
        w(f"__shared__ {ct} sh[{emit.BLOCK}];")
        w("const unsigned t = threadIdx.x;")
        w("const long long per = (chunk + blockDim.x - 1) / blockDim.x;")
        w("for (long long blk = blockIdx.x; blk < nkeep * parts; blk += gridDim.x) {")
        w("const long long line = blk / parts, lo = (blk % parts) * chunk;", 2)
        w("const long long hi = lo + chunk < nscan ? lo + chunk : nscan;", 2)
        w("const long long a = lo + t * per < hi ? lo + t * per : hi;", 2)
        w("const long long b = a + per < hi ? a + per : hi;", 2)

    def run_loop(w, write):
        w(f"{'{ ' if write else ''}{ct} run = {start};", 2)
        w("for (long long r = a; r < b; ++r) {", 2)
        unravel(w, "line * nscan + r", 3)
        names = body(w, 3)
        w(f"run = {combine('run', names[scan])};", 3)
        if write:
            store(sk, combine("part", combine("within", "run")), 3, w)
            for k, n in stores:
                store(k, names[n], 3, w)
        w("} }" if write else "}", 2)

    def finish(w):
        w("}")
        out.extend(w.lines)
        out.append("}")

    def block_kernel(role, fold):
        """A kernel over blocks of a part: each thread's run folded by thread 0 (in
        thread order) with ``fold``; the caller writes the rest of thread 0's block."""
        w = emit._Writer()
        params = common + [("tot", "ptr"), ("chunk", "ll"), ("parts", "ll")]
        signature(f"{name}_{role}", params)
        functions[f"scan_{role}"] = (f"{name}_{role}", params)
        header(w)
        run_loop(w, False)
        w("sh[t] = run;", 2)
        w("__syncthreads();", 2)
        w("if (t == 0) {", 2)
        w(f"{ct} s = {start};", 3)
        w(f"for (unsigned u = 0; u < blockDim.x; ++u) {fold}", 3)
        return w

    # part totals
    w = block_kernel("totals", f"s = {combine('s', 'sh[u]')};")
    w(f"(({st}*)tot)[blk] = ({st})s;", 3)
    w("}", 2)
    w("__syncthreads();", 2)
    finish(w)
    # part offsets, a thread per line, in place
    w = emit._Writer()
    params = [("nkeep", "ll"), ("parts", "ll"), ("tot", "ptr")]
    signature(f"{name}_offsets", params)
    functions["scan_offsets"] = (f"{name}_offsets", params)
    w("for (long long line = (long long)blockIdx.x * blockDim.x + threadIdx.x; "
      "line < nkeep; line += (long long)gridDim.x * blockDim.x) {")
    w(f"{st}* p = ({st}*)tot + line * parts;", 2)
    w(f"{ct} s = {start};", 2)
    w(f"for (long long q = 0; q < parts; ++q) {{ {ct} v = ({ct})p[q]; p[q] = ({st})s; "
      f"s = {combine('s', 'v')}; }}", 2)
    w("}")
    out.extend(w.lines)
    out.append("}")
    # the values
    w = block_kernel("parts", f"{{ {ct} v = sh[u]; sh[u] = s; s = {combine('s', 'v')}; }}")
    w("}", 2)
    w("__syncthreads();", 2)
    w(f"const {ct} part = ({ct})((const {st}*)tot)[blk], within = sh[t];", 2)
    w("__syncthreads();", 2)
    run_loop(w, True)
    finish(w)

