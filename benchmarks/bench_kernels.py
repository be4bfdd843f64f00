"""Student kernels on a busy machine: Layers.ipynb with one BLAS thread and with the default.

A JupyterHub node runs many students' kernels at once. This benchmark runs
`source/initialization/Layers.ipynb` end to end with nbclient (Run All in a
fresh kernel, as Validate and nbval do) on the quiet machine, then beside two
other kernels of this course that are training (the digits network of that
notebook, in a loop), in two set-ups:

- **one BLAS thread**: the notebook as it is, whose imports cell calls
  ``helpers.kernel.setup_notebook()``; the two neighbours call it too;
- **OpenBLAS default**: the same notebook and neighbours with
  ``setup_notebook(blas_threads=None)``, which leaves OpenBLAS's pool of one
  thread per core as NumPy starts it.

It checks that both set-ups print the same text and draw the same PNGs, and
prints each set-up's time beside two training kernels over its quiet time
(target: one BLAS thread within 2x of quiet). The thread variables
(OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS) are removed from the
kernels' environment, so that the default is OpenBLAS's own.

    python benchmarks/bench_kernels.py [--rounds 1] [--neighbours 2]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, machine, verdict  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "source" / "initialization" / "Layers.ipynb"
CALL = "setup_notebook()"
NO_LIMIT = "setup_notebook(blas_threads=None)"
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
TARGET = 2.0

#: What each neighbouring kernel runs: this course's digits network, trained again and again.
TRAINING = """\
import numpy as np
from helpers.activations import initialize_parameters
from helpers.datasets import load_image_dataset
from helpers.kernel import setup_notebook
from helpers.training import fit
{setup}
X, Y = load_image_dataset({data!r})[:2]
"""
LOOP = """\
while True:
    fit(X, Y, initialize_parameters([64, 32, 16, 16, 8, 8, 1], lambda n: np.sqrt(2 / n),
                                    random_state=1),
        learning_rate=0.05, num_iterations=1000, record_every=50)
"""


def variant(nb, call):
    """``nb`` with its imports cell's ``setup_notebook()`` replaced by ``call``."""
    nb = nbformat.from_dict(nb)
    [cell] = [c for c in nb.cells if c.cell_type == "code" and CALL in c.source]
    cell.source = cell.source.replace(CALL, call)
    return nb


def execute(nb):
    """Run ``nb`` top to bottom in a fresh kernel, next to the notebook's data."""
    nb = nbformat.from_dict(nb)
    NotebookClient(nb, timeout=1800, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return nb


def outputs(nb):
    """Per code cell, by its index: what it printed (however the kernel split it into
    messages) and the PNGs it drew, what two runs must share."""
    return {k: ("".join(out.get("text", "") for out in cell.outputs),
                [out["data"]["image/png"] for out in cell.outputs
                 if "image/png" in out.get("data", {})])
            for k, cell in enumerate(nb.cells) if cell.cell_type == "code"}


def differing_cells(runs):
    """Indices of the cells whose outputs are not the same in every run."""
    first = outputs(runs[0])
    return sorted({k for nb in runs[1:] for k, out in outputs(nb).items() if out != first[k]})


class Neighbours:
    """``count`` kernels of this course training in a loop until the block ends."""

    def __init__(self, count, call):
        self.count, self.call, self.kernels = count, call, []

    def __enter__(self):
        setup = TRAINING.format(setup=self.call, data=str(NOTEBOOK.parent / "digits.h5"))
        for _ in range(self.count):
            km = KernelManager(kernel_name="python3")
            km.start_kernel(cwd=str(ROOT))
            client = km.client()
            client.start_channels()
            client.wait_for_ready(timeout=60)
            self.kernels.append((km, client))
            reply = client.execute_interactive(setup, timeout=120)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"a neighbouring kernel failed to set up: {reply['content']}")
            client.execute(LOOP)
        time.sleep(2)  # every neighbour is training by now
        return self

    def __exit__(self, *exc):
        for km, client in self.kernels:
            client.stop_channels()
            km.shutdown_kernel(now=True)
        self.kernels.clear()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="best of this many runs each")
    parser.add_argument("--neighbours", type=int, default=2,
                        help="training kernels beside the notebook")
    args = parser.parse_args(argv)
    removed = {name: os.environ.pop(name) for name in THREAD_ENV if name in os.environ}
    source = nbformat.read(NOTEBOOK, as_version=4)
    setups = {"one BLAS thread": CALL, "OpenBLAS default": NO_LIMIT}
    notebooks = {name: variant(source, call) for name, call in setups.items()}

    quiet = best_of(args.rounds, *[(name, lambda nb=nb: execute(nb))
                                   for name, nb in notebooks.items()])
    busy = {}
    for name, call in setups.items():
        with Neighbours(args.neighbours, call):
            busy.update(best_of(args.rounds, (name, lambda nb=notebooks[name]: execute(nb))))

    runs = [quiet[name]["value"] for name in setups] + [busy[name]["value"] for name in setups]
    differing = differing_cells(runs)
    print(f"# Layers.ipynb Run All (nbclient, fresh kernel), best of {args.rounds}, wall seconds\n"
          f"# {machine()}")
    if removed:
        print(f"# removed from the kernels' environment: {', '.join(sorted(removed))}")
    busy_label = f"beside {args.neighbours} training kernels"
    print(f"{'set-up':<18} {'quiet':>8} {busy_label:>28} {'ratio':>7}")
    for name in setups:
        q, b = quiet[name]["wall"], busy[name]["wall"]
        print(f"{name:<18} {q:>8.2f} {b:>28.2f} {b / q:>7.2f}")
    print("the same printed text and PNGs in all four runs: "
          + ("yes" if not differing else f"NO, cells {differing} differ"))
    one = busy["one BLAS thread"]["wall"] / quiet["one BLAS thread"]["wall"]
    print(f"one BLAS thread, {busy_label} over quiet: {verdict(one, TARGET)}")
    print(f"beside training kernels, OpenBLAS default over one BLAS thread: "
          f"{busy['OpenBLAS default']['wall'] / busy['one BLAS thread']['wall']:.1f}x")
    return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
