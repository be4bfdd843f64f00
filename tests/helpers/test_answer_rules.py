"""helpers/answer_rules.py: what an answer cell may use, read from its syntax alone."""

import pytest

from support import probes as support
from helpers import answer_rules as guard
from course.judge.process import python_source

IMPORTS = {name: [python_source(c.source) for c in nb.cells if c.cell_type == "code"
                  and c.metadata.get("nbgrader", {}).get("locked")
                  and not c.metadata["nbgrader"].get("grade")]
           for name, nb in support.notebooks().items()}
NOTEBOOK_OF = {e.function: e.notebook for e in support.EXERCISES}


@pytest.mark.parametrize("entry", support.CATALOGUE, ids=lambda e: e.name)
def test_guard_lets_every_catalogue_answer_through(entry):
    source = python_source(support.entry_source(entry))
    assert guard.reaches(source, IMPORTS[NOTEBOOK_OF[entry.function]]) == []


@pytest.mark.parametrize("exercise", support.EXERCISES, ids=lambda e: e.function)
def test_guard_lets_the_solution_through(exercise):
    source = python_source(support.solution_source(exercise))
    assert guard.reaches(source, IMPORTS[exercise.notebook]) == []


@pytest.mark.parametrize("exercise", support.EXERCISES, ids=lambda e: e.function)
def test_guard_lets_the_release_stub_through(exercise):
    """An answer not written yet is judged (and named not written), not refused: the names
    the stub leaves undefined (``return dA_prev, dW``) follow its ``raise`` and never run."""
    import nbformat

    path = support.ROOT / "release" / "initialization" / f"{exercise.notebook}.ipynb"
    cell = support.answer_cells(nbformat.read(path, as_version=4))[exercise.answer]
    assert "raise NotImplementedError()" in cell.source
    assert guard.reaches(python_source(cell.source), IMPORTS[exercise.notebook]) == []


@pytest.mark.parametrize("source, found", [
    ("def f(x):\n    if x:\n        return y\n    raise ValueError\n", "line 3: y, which"),
    ("def f(x):\n    raise ValueError\n    import os\n", "line 3: import of os"),
    ("def f(x):\n    for i in x:\n        continue\n    return y\n", "line 4: y, which"),
    ("def f(x):\n    try:\n        raise ValueError\n    finally:\n        y\n",
     "line 5: y, which"),
])
def test_guard_still_reads_code_that_runs_or_imports_after_a_raise(source, found):
    """Only names read where nothing runs are let through; every other rule holds there too."""
    assert any(line.startswith(found) for line in guard.reaches(source)), guard.reaches(source)


def test_guard_lets_names_read_after_a_raise_in_their_block_through():
    source = ("def f(x):\n    if x:\n        raise ValueError\n        return y\n"
              "    while x:\n        break\n        z\n    return x\n")
    assert guard.reaches(source) == []


def test_guard_lets_a_function_that_shows_what_it_computes_through():
    source = ("def f(d):\n    from IPython.display import display\n"
              "    import matplotlib.pyplot as plt\n    display(d)\n    plt.plot([1, 2])\n"
              "    return d\n")
    assert guard.reaches(source) == []


@pytest.mark.parametrize("source, found", [
    ("import ctypes", "line 1: import of ctypes"),
    ("import gc\ngc.get_objects()", "line 1: import of gc"),
    ("import sys\nsys._getframe(1)", "line 2: attribute _getframe"),
    ("from os import write", "line 1: import of os"),
    ("from numpy import lib", "line 1: import of numpy.lib"),
    ("from helpers.network import _private", "line 1: import of helpers.network._private"),
    ("f.__code__ = g.__code__", "line 1: attribute __code__"),
    ("x = getattr(np, 'ctypes' + 'lib')", "line 1: getattr"),
    ("x = np.ctypeslib", "line 1: attribute ctypeslib"),
    ("x = a.ctypes.data", "line 1: attribute ctypes"),
    ("x = np.lib.stride_tricks.as_strided(a)", "line 1: attribute lib"),
    ("g = (i for i in ())\nframe = g.gi_frame", "line 2: attribute gi_frame"),
    ("b = __builtins__", "line 1: __builtins__"),
    ("exec('1')", "line 1: exec"),
    ("def f(d):\n    try:\n        LAYERS_DIMS\n    except NameError:\n        return 0",
     "line 3: LAYERS_DIMS, which neither the answer cell nor the imports cell defines"),
    ("def f(d):\n    return In", "line 2: In, which neither"),
    ("def f(d):\n    display(d)", "line 2: display, which neither"),
    ("plt.switch_backend('module://x')", "line 1: attribute switch_backend"),
    ("np.allclose = lambda *args: True", "line 1: sets attribute allclose"),
    ("match f:\n    case object(__globals__=g):\n        pass", "line 2: attribute __globals__ "
                                                          "(in a class pattern)"),
    ("'{0.__globals__[In]}'.format(f)", "line 1: attribute format"),
    ("('{0' + '.x}').format(f)", "line 1: attribute format"),
    ("s = 'W{}'\ns.format(1)", "line 2: attribute format"),
    ("from helpers import _checking", "line 1: import of helpers._checking"),
    ("import helpers._checking", "line 1: import of helpers._checking"),
    ("from helpers.kernel import gc", "line 1: import of helpers.kernel.gc"),
    ("from helpers.gradients import dataclass", "line 1: import of helpers.gradients.dataclass"),
    ("from IPython.display import Code", "line 1: import of IPython.display.Code"),
    ("plt.rcParams['backend'] = 'module://this'", "line 1: attribute rcParams"),
    ("x = plt.get_backend()", "line 1: attribute get_backend"),
    ("x = dA.flags.owndata", "line 1: attribute flags"),
    ("x = dA.base", "line 1: attribute base"),
    ("f = plt.StrMethodFormatter('{x.__class__}')", "line 1: attribute StrMethodFormatter"),
    ("from helpers.kernel import sys", "line 1: import of helpers.kernel.sys"),
    ("x = np.load('x.npy', allow_pickle=True)", "line 1: attribute load"),
    ("np.array([1], dtype=np.uint8).tofile('x.npy')", "line 1: attribute tofile"),
    ("del np.random.seed", "line 1: sets attribute seed"),
])
def test_guard_names_what_reaches_the_interpreter_or_the_notebook(source, found):
    reached = guard.reaches(source, ["import numpy as np\nimport matplotlib.pyplot as plt\n"
                                     "import sys\nimport gc"])
    assert any(line.startswith(found) for line in reached), reached


def test_guard_lets_format_on_a_plain_literal_through():
    assert guard.reaches("k = 'W{}'.format(1) + '{0}{1}'.format('b', 2) + '{:>4}'.format(3)") == []


@pytest.mark.parametrize("source, name", [
    ("from helpers.gradients import backward_step as step", "helpers.gradients.backward_step"),
    ("from helpers.network import layer_backward", "helpers.network.layer_backward"),
    ("from helpers.network import linear_backward", "helpers.network.linear_backward"),
    ("from helpers.gradients import forward", "helpers.gradients.forward"),
    ("from helpers.initializers import draw_weights", "helpers.initializers.draw_weights"),
    # re-exported elsewhere: found by the module that defines it
    ("from helpers.activations import initialize_parameters",
     "helpers.activations.initialize_parameters"),
])
def test_guard_refuses_the_courses_own_version_of_an_exercise(source, name):
    assert guard.reaches(source) == [
        f"line 1: import of {name}, the course's own version of what an exercise asks you to write"]


def test_guard_refuses_the_courses_own_version_through_its_module_too():
    assert guard.reaches("from helpers import gradients\nstep = gradients.backward_step") == [
        "line 2: attribute backward_step"]


def test_guard_lets_the_helpers_functions_through():
    assert guard.reaches("from helpers.network import relu, sigmoid\nimport helpers.network") == []


def test_guard_names_every_construct_once_with_its_line():
    source = "import os\nimport os\nx = os.environ\n"
    assert guard.reaches(source) == ["line 1: import of os", "line 2: import of os",
                                     "line 3: attribute environ"]


def test_guard_leaves_a_cell_that_does_not_parse_to_the_judge():
    assert guard.reaches("def f(:\n") == []


def test_guard_knows_the_names_a_cell_binds():
    source = ("import numpy as np\nfrom math import sqrt as root\n"
              "def f(a, *rest, k=1, **more):\n    global CACHE\n    for i, (j, _) in enumerate(a):\n"
              "        pass\n    with open_like() as h:\n        pass\n"
              "    try:\n        pass\n    except ValueError as error:\n        pass\n"
              "    return [y for y in a if (z := y)], lambda w: w, CACHE\n"
              "class C:\n    pass\n")
    assert guard.bound_names(__import__("ast").parse(source)) >= {
        "np", "root", "f", "a", "rest", "k", "more", "CACHE", "i", "j", "_", "h", "error",
        "y", "z", "w", "C"}


def _defined_in_a_cell(source, name, filename="/tmp/ipykernel_1/1234.py"):
    """``name`` as IPython defines it: compiled under a file name whose lines linecache holds."""
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": __import__("numpy")}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def test_the_checks_refuse_a_cell_that_reaches_in_the_grader_s_words():
    from helpers import checks

    source = ("import gc\n\ndef initialize_parameters_zeros(layers_dims):\n"
              "    return {}\n")
    function = _defined_in_a_cell(source, "initialize_parameters_zeros")
    guard.remember_imports("import numpy as np")
    with pytest.raises(AssertionError) as error:
        checks.check_structure(function, [3, 2, 1])
    assert str(error.value) == guard.message("initialize_parameters_zeros",
                                             ["line 1: import of gc"])


def test_the_checks_let_a_cell_that_keeps_to_the_rules_through():
    from helpers import checks

    source = ("def initialize_parameters_zeros(layers_dims):\n"
              "    return {f'{k}{l}': np.zeros((layers_dims[l], layers_dims[l - 1] if k == 'W' "
              "else 1)) for l in range(1, len(layers_dims)) for k in 'Wb'}\n")
    function = _defined_in_a_cell(source, "initialize_parameters_zeros",
                                  "/tmp/ipykernel_1/5678.py")
    guard.remember_imports("import numpy as np")
    assert checks.check_structure(function, [3, 2, 1]).startswith("✓")


def test_remember_imports_takes_the_namespace_where_there_is_no_history():
    guard.remember_imports("", ["np", "plt", "In", "_ih", "get_ipython", "check_values"])
    assert guard._IMPORTED == {"np", "plt", "check_values"}
    guard.remember_imports("import numpy as np\n%matplotlib inline\nfrom helpers.network import relu")
    assert guard._IMPORTED == {"np", "relu"}


def test_pyplot_functions_are_allowed_and_its_backend_names_withheld():
    source = ("def f(x):\n    plt.plot(x)\n    plt.title('x')\n    plt.switch_backend('agg')\n"
              "    plt.rc_context()\n    return x\n")
    assert guard.reaches(source, ["import matplotlib.pyplot as plt"]) == [
        "line 4: attribute switch_backend", "line 5: attribute rc_context"]


def test_reading_an_answer_that_uses_numpy_alone_does_not_import_pyplot():
    """The grader reads every answer cell: pyplot (most of a second to import) is loaded
    only for a name NumPy's API does not have, which few answers use."""
    import subprocess
    import sys

    code = ("import sys\nfrom helpers.answer_rules import reaches\n"
            "found = reaches('def f(n):\\n    return np.random.randn(n, 2) * np.sqrt(2 / n)\\n',"
            " ['import numpy as np'])\n"
            "print(found, 'matplotlib.pyplot' in sys.modules)\n"
            "found = reaches('def f(x):\\n    plt.hist(x)\\n    return x\\n',"
            " ['import matplotlib.pyplot as plt'])\n"
            "print(found, 'matplotlib.pyplot' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=support.ROOT, check=True).stdout
    assert out.splitlines() == ["[] False", "[] True"]
