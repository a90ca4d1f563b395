"""``python -m weldish script.py``: an unmodified script prints what plain Python prints."""
import os
import subprocess
import sys

import pytest

from weldish import backends

SCRIPT = '''
import sys
import numpy as np
import pandas as pd
from pandas import DataFrame

df = DataFrame({"k": np.arange(12) % 3, "x": np.linspace(0, 1, 12), "s": list("abcd") * 3})
df["y"] = df.x * 2 + 1
f = df[df.y > 1.5]
print(type(pd.DataFrame({"a": [1]})).__name__, len(f), round(float(f.y.sum()), 6))
print(f[["k", "y"]].describe())
print(df.s.str.upper().head(3))
print(np.exp(df.x.values[:3]) + np.arange(3))
print(sys.argv[1:])
'''


def test_unmodified_script_same_output(tmp_path, backend):
    asked = os.environ.get("WELDISH_TEST_BACKENDS")
    first = [b for b in backends.available() if not asked or b in asked.split(",")][0]
    if backend != first:
        pytest.skip("one subprocess pair is enough (the script picks its own backend)")
    path = tmp_path / "script.py"
    path.write_text(SCRIPT)
    plain = subprocess.run([sys.executable, str(path), "a", "b"], capture_output=True,
                           text=True, timeout=120)
    weld = subprocess.run([sys.executable, "-m", "weldish", "--report", str(path), "a", "b"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert plain.returncode == 0 and weld.returncode == 0, weld.stderr
    assert weld.stdout == plain.stdout
    assert "== weldish report" in weld.stderr and "pandas.Series.str.upper" in weld.stderr
    fell = weld.stderr.split("== fallbacks")[1]
    assert "pandas.DataFrame.describe" in fell and "pandas.Series.sum" not in fell


WARNING_SCRIPT = '''
import numpy as np
import pandas as pd
df = pd.DataFrame({"x": [3.0, 1.0, 2.0], "k": [1, 2, 3]})
lim = 1
df.sort_values("x", inplace=True)
print(df.query("x > @lim and k % 2 == 1").x.tolist())
print(df.x.rolling(2).sum().tolist(), np.exp(df.x.values).round(3))
'''


def test_script_warnings_and_locals_as_plain_python(tmp_path, backend):
    """stderr too: pandas' DeprecationWarning names the script's own line (weldish
    re-issues a fallback's warnings at the caller), and query's @locals are found.
    (Compiled kernels do not raise NumPy's floating-point RuntimeWarnings: not tested.)"""
    if backend != "interp" and "interp" in backends.available():
        pytest.skip("one subprocess pair is enough")
    path = tmp_path / "warn.py"
    path.write_text(WARNING_SCRIPT)
    plain = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                           timeout=120, cwd=tmp_path)
    weld = subprocess.run([sys.executable, "-m", "weldish", str(path)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert plain.returncode == 0 and weld.returncode == 0, weld.stderr
    assert (weld.stdout, weld.stderr) == (plain.stdout, plain.stderr)
    assert "warn.py:6: Pandas4Warning" in plain.stderr
