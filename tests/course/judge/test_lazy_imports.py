"""The judge process loads pyplot and the figure only when a function uses them (runner.LAZY_MODULES).

Each notebook's imports cell runs in a fresh interpreter set up as the judge's fork
server is (``lazy_imports``), with no sandbox; the judge process itself, in the
sandbox, is tested in tests/integration/test_judge_process.py.
"""

import json
import subprocess
import sys

import pytest

from course.judge.process import python_source
from support import probes

# Runs argv[1] (an imports cell as Python) as the judge's fork server does, then prints
# which of the lazy modules have run, then draws and prints the figure's size.
AS_THE_JUDGE = """
import json, sys, types
from course.judge.runner import LAZY_MODULES, _Shell, lazy_imports
lazy_imports()
namespace = {"__name__": "__main__", "get_ipython": lambda: _Shell()}
exec(compile(sys.argv[1], "<imports cell>", "exec"), namespace)
loaded = sorted(name for name in LAZY_MODULES if type(sys.modules.get(name)) is types.ModuleType)
import matplotlib.pyplot as plt
figure, _ = plt.subplots(figsize=(2, 3))
print(json.dumps({"loaded": loaded, "size": list(figure.get_size_inches()),
                  "backend": plt.get_backend()}))
"""


def _prelude(notebook):
    """What the judge runs first: the locked code cells that are neither tests nor answers."""
    return "\n".join(python_source(c.source) for c in notebook.cells if c.cell_type == "code"
                     and c.metadata.get("nbgrader", {}).get("locked")
                     and not c.metadata["nbgrader"].get("grade"))


@pytest.mark.parametrize("name", sorted(probes.notebooks()))
def test_a_notebooks_imports_leave_pyplot_and_the_figure_to_the_first_drawing(name):
    source = _prelude(probes.notebooks()[name])
    result = subprocess.run([sys.executable, "-c", AS_THE_JUDGE, source], capture_output=True,
                            text=True, timeout=120, env={"MPLBACKEND": "agg", "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["loaded"] == [], f"the imports of {name} load {report['loaded']}"
    assert report["size"] == [2.0, 3.0] and report["backend"] == "agg"



# argv[1]: the imports cell as Python, argv[2]: an answer cell; prints whether pyplot is
# still lazy before and after the judge's child prepares the answer cell.
PREPARED = """
import json, sys, types
from course.judge.runner import _Shell, lazy_imports, load_named_lazy_modules
lazy_imports()
namespace = {"__name__": "__main__", "get_ipython": lambda: _Shell()}
exec(compile(sys.argv[1], "<imports cell>", "exec"), namespace)
before = type(namespace["plt"]) is types.ModuleType
load_named_lazy_modules(compile(sys.argv[2], "<answer cell>", "exec"), namespace)
print(json.dumps([before, type(namespace["plt"]) is types.ModuleType]))
"""


@pytest.mark.parametrize("answer, loaded", [
    ("def relu(Z):\n    return np.maximum(Z, 0)", False),
    ("def relu(Z):\n    plt.plot(Z)\n    return np.maximum(Z, 0)", True),
    ("GRADED = type(plt) is not type(np)\ndef relu(Z):\n    return Z if GRADED else 0", True),
])
def test_an_answer_cell_that_names_plt_gets_it_loaded_before_it_runs(answer, loaded):
    source = _prelude(probes.notebooks()["Layers"])
    result = subprocess.run([sys.executable, "-c", PREPARED, source, answer], capture_output=True,
                            text=True, timeout=120, env={"MPLBACKEND": "agg", "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1]) == [False, loaded]
