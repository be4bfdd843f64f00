"""What importing helpers.plotting does to the kernel a notebook runs in, and nothing else."""

import base64
import gc

import nbformat
from nbclient import NotebookClient

from helpers import _kernel


def _run(repo_root, *sources):
    """Run ``sources`` as the cells of a notebook in a fresh kernel; the cells' outputs."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(repo_root)}}).execute()
    return [cell.outputs for cell in nb.cells]


def _text(outputs):
    return "".join(out.get("text", "") for out in outputs)


def _png_size(data):
    """(width, height) of a PNG, read from its IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_figures_in_a_kernel_are_shown_whole_at_their_own_size(repo_root):
    """Without the inline backend's tight crop, a 6 x 4 inch figure at 100 dpi is
    600 x 400 pixels; cropped to what it draws, it would be some other size."""
    [outputs] = _run(repo_root,
                     "import matplotlib.pyplot as plt\n"
                     "from helpers.plotting import plot_data\n"
                     "plt.rcParams['figure.dpi'] = 100\n"
                     "plot_data([[0.0, 1.0], [0.0, 1.0]], [[0, 1]], title='two points')\n"
                     "plt.show()")
    images = [out["data"]["image/png"] for out in outputs
              if out.get("output_type") == "display_data" and "image/png" in out.get("data", {})]
    assert len(images) == 1
    assert _png_size(base64.b64decode(images[0])) == (600, 400)


def test_the_imports_are_frozen_after_a_collection(repo_root):
    before, after, later = map(_text, _run(
        repo_root,
        "import gc\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
        "class Cycle:\n    pass\n"
        "gc.disable()  # keep the garbage below until the helpers' import\n"
        "c = Cycle(); c.me = c; del c  # garbage that only the collector can free\n"
        "print(gc.get_freeze_count())",
        "collected = []\ngc.callbacks.append(lambda phase, info: collected.append(info)"
        " if phase == 'stop' else None)\n"
        "import helpers.plotting\ngc.callbacks.clear()\ngc.enable()\n"
        "print(gc.get_freeze_count() > 50_000, sum(i['collected'] for i in collected) >= 1)",
        "d = Cycle(); d.me = d; del d\nprint(gc.collect() >= 1)"))
    assert before.split() == ["0"]
    assert after.split() == ["True", "True"]  # the old cycle was freed, not frozen
    assert later.split() == ["True"]          # and later garbage is still collected


def test_outside_a_kernel_nothing_changes():
    count = gc.get_freeze_count()
    _kernel.setup()
    assert gc.get_freeze_count() == count
