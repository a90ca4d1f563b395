"""Side-by-side benchmarks: ``python -m benchmarks [--workloads a,b] [--scale S] [--repeat R]
[--json PATH] [--engines e1,e2] [--threads N]``.

``__main__`` is the runner (timing, checks against NumPy, the table, JSON), ``engines`` the
engines it compares (numpy, numexpr, numba, jax, weldish and weldish[backend]), ``peers/`` the
hand-written numexpr and numba versions of each workload in ``weldish.workloads`` (one file
per workload), ``roofline`` the bandwidth measurement. Not installed with the wheel; run it
from the repository root (``pip install -e '.[bench]'`` adds numexpr).
"""
