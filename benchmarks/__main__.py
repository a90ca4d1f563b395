"""Runs each workload with NumPy and weldish in one process (more peers: the LLVM issue).

Prints median seconds and the ratio to NumPy (>1 = faster than NumPy). Workloads are the
pipelines in ``weldish.workloads``; the machine is shared, so read medians, not minima.
"""
from __future__ import annotations

import argparse

import numpy

import weldish
import weldish.numpy as wnp
from weldish import workloads
from weldish.cli import median_seconds


def peers(name, inputs):
    """name -> zero-argument callable computing the workload."""
    out = {
        "numpy": lambda: workloads.run(name, numpy, inputs),
        "weldish": lambda: weldish.evaluate(*workloads.run(name, wnp, inputs)),
    }
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks")
    p.add_argument("--workloads", default=",".join(workloads.WORKLOADS))
    p.add_argument("--scale", type=float, default=1.0, help="x 1e6 elements")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    n = max(int(args.scale * 1e6), 1)
    print(f"n = {n:,}  backend = {weldish.config.current()['backend']}  "
          f"median of {args.repeat}")
    print(f"{'workload':<14} {'peer':<10} {'seconds':>10} {'vs numpy':>9}")
    for name in args.workloads.split(","):
        inputs = workloads.WORKLOADS[name][1](n)
        times = {peer: median_seconds(fn, args.repeat, warmup=True) for peer, fn in peers(name, inputs).items()}
        for peer, t in times.items():
            print(f"{name:<14} {peer:<10} {t:>10.4f} {times['numpy'] / t:>8.2f}x")


if __name__ == "__main__":
    main()
