"""The notebooks' kernel settings: applied by ``setup_notebook()`` alone, never by an import."""

import base64
import gc
import os
import pkgutil

import nbformat
import pytest
from nbclient import NotebookClient
from threadpoolctl import threadpool_info, threadpool_limits

import helpers
from helpers.kernel import setup_notebook
from support import probes

BLAS_THREADS = ("import threadpoolctl\n"
                "print(sorted({i['num_threads'] for i in threadpoolctl.threadpool_info()"
                " if i['user_api'] == 'blas'}))")
INLINE = ("from matplotlib_inline.config import InlineBackend\n"
          "print(InlineBackend.instance().print_figure_kwargs.get('bbox_inches'))")


def _run(repo_root, *sources, env=None):
    """Run ``sources`` as the cells of a notebook in a fresh kernel; the cells' outputs."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(repo_root)}})
    client.execute(env={**os.environ, **(env or {})})
    return [cell.outputs for cell in nb.cells]


def _text(outputs):
    return "".join(out.get("text", "") for out in outputs)


def _png_size(data):
    """(width, height) of a PNG, read from its IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _helpers_modules():
    return sorted(f"helpers.{m.name}" for m in pkgutil.iter_modules(helpers.__path__))


def test_importing_every_helpers_module_changes_nothing_in_the_kernel(repo_root):
    """No BLAS limit, no frozen objects, the inline backend's own settings: as before."""
    imports = "\n".join(f"import {name}" for name in _helpers_modules())
    assert "import helpers.plotting" in imports and "import helpers.kernel" in imports
    state = f"import gc\n{BLAS_THREADS}\n{INLINE}\nprint(gc.get_freeze_count())"
    before, _, after = map(_text, _run(
        repo_root, f"import numpy, matplotlib.pyplot\n%matplotlib inline\n{state}", imports,
        state, env={"OPENBLAS_NUM_THREADS": "2"}))
    assert before == after
    assert before.split("\n")[:3] == ["[2]", "tight", "0"]


def test_setup_notebook_runs_blas_on_one_thread_in_the_kernel(repo_root):
    """OpenBLAS starts one thread per core (two here, as the environment asks);
    after the call it runs one, whatever the environment said."""
    before, after = map(_text, _run(
        repo_root, f"import numpy\n{BLAS_THREADS}",
        f"from helpers.kernel import setup_notebook\nsetup_notebook()\n{BLAS_THREADS}",
        env={"OPENBLAS_NUM_THREADS": "2"}))
    assert before.split() == ["[2]"]
    assert after.split() == ["[1]"]


def test_figures_after_setup_notebook_are_shown_whole_at_their_own_size(repo_root):
    """Without the inline backend's tight crop, a 6 x 4 inch figure at 100 dpi is
    600 x 400 pixels; cropped to what it draws, it would be some other size."""
    [outputs] = _run(repo_root,
                     "import matplotlib.pyplot as plt\n"
                     "from helpers.kernel import setup_notebook\n"
                     "from helpers.plotting import plot_data\n"
                     "%matplotlib inline\n"
                     "setup_notebook()\n"
                     "plt.rcParams['figure.dpi'] = 100\n"
                     "plot_data([[0.0, 1.0], [0.0, 1.0]], [[0, 1]], title='two points')\n"
                     "plt.show()")
    images = [out["data"]["image/png"] for out in outputs
              if out.get("output_type") == "display_data" and "image/png" in out.get("data", {})]
    assert len(images) == 1
    assert _png_size(base64.b64decode(images[0])) == (600, 400)


def test_setup_notebook_freezes_the_imports_after_a_collection(repo_root):
    before, after, later = map(_text, _run(
        repo_root,
        "import gc\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
        "from helpers.kernel import setup_notebook\n"
        "class Cycle:\n    pass\n"
        "gc.disable()  # keep the garbage below until the call\n"
        "c = Cycle(); c.me = c; del c  # garbage that only the collector can free\n"
        "print(gc.get_freeze_count())",
        "collected = []\ngc.callbacks.append(lambda phase, info: collected.append(info)"
        " if phase == 'stop' else None)\n"
        "setup_notebook()\ngc.callbacks.clear()\ngc.enable()\n"
        "print(gc.get_freeze_count() > 50_000, sum(i['collected'] for i in collected) >= 1)",
        "d = Cycle(); d.me = d; del d\nprint(gc.collect() >= 1)"))
    assert before.split() == ["0"]
    assert after.split() == ["True", "True"]  # the old cycle was freed, not frozen
    assert later.split() == ["True"]          # and later garbage is still collected


def test_outside_a_kernel_setup_notebook_limits_blas_and_freezes_nothing():
    count = gc.get_freeze_count()
    with threadpool_limits(limits=None):  # puts this process's own thread counts back after
        setup_notebook()
        assert {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} == {1}
        assert gc.get_freeze_count() == count
        setup_notebook(blas_threads=None)  # leaves the BLAS alone
        with pytest.raises(ValueError, match="blas_threads must be a whole number >= 1"):
            setup_notebook(blas_threads=0)


@pytest.mark.parametrize("name", sorted(probes.notebooks()))
def test_every_source_notebook_calls_setup_notebook_at_the_end_of_its_imports_cell(name):
    """Student kernels (JupyterLab, Validate, nbval, the browser tests) get one BLAS
    thread from this call; the grading sandbox has one already and runs it too."""
    first = next(c for c in probes.notebooks()[name].cells if c.cell_type == "code")
    assert "from helpers.kernel import setup_notebook" in first.source
    assert first.source.rstrip().splitlines()[-1].startswith("setup_notebook()")
