"""The notebook: the course's Initialization.ipynb against the seed's own code.

The reference notebook is built at run time from the seed document (a
markdown file kept outside this repository): the python code blocks of its
sections 1-5, with the removed ``np.int`` alias replaced by ``int`` (and
seaborn's style set through matplotlib when seaborn is not installed). Both
notebooks run end to end with nbclient, each in a fresh kernel, interleaved;
the benchmark checks that they print the same costs and accuracies, and
prints the time ratio (target: ours <= 50%). For information it also prints
the ratio of the cells alone, from nbclient's execution timestamps, without
the kernel's start and stop, which both notebooks pay alike.

    python benchmarks/bench_notebook.py [--seed PATH] [--rounds 2]
"""

import argparse
import importlib.util
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, machine, verdict  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / "source" / "initialization" / "Initialization.ipynb"
SEED = ROOT.parent / "shared" / "seed" / "weight-initialization-notes.md"
TARGET = 0.50
SCHEMES = ("zeros", "random", "he")


def seed_code_blocks(markdown, last_section=5):
    """The ```python blocks of the seed, from its start to the end of section ``last_section``."""
    cut = re.search(rf"^## {last_section + 1}\b", markdown, flags=re.MULTILINE)
    text = markdown[:cut.start()] if cut else markdown
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    if not blocks:
        raise ValueError("the seed document has no ```python block before its section 6")
    return [modernise(block) for block in blocks]


def modernise(code):
    """The seed's code as it runs today: no np.int, seaborn optional."""
    code = re.sub(r"\bnp\.int\b", "int", code)
    if importlib.util.find_spec("seaborn") is None:
        code = code.replace('import seaborn as sns; sns.set_style("whitegrid")',
                            'import matplotlib.pyplot as plt; '
                            'plt.style.use("seaborn-v0_8-whitegrid")  # seaborn not installed')
    return code


def reference_notebook(seed_path):
    blocks = seed_code_blocks(Path(seed_path).read_text())
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in blocks]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def execute(nb, folder):
    """Run ``nb`` top to bottom in a fresh kernel; return the executed notebook."""
    nb = nbformat.from_dict(nb)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def cells_span(nb):
    """Seconds from the first code cell's start to the last one's reply, as nbclient
    recorded them: the run without the kernel's start and stop."""
    times = [cell.metadata["execution"] for cell in nb.cells
             if cell.cell_type == "code" and "execution" in cell.metadata]
    if not times:
        raise ValueError("the executed notebook has no execution timestamps")
    start = datetime.fromisoformat(times[0]["iopub.status.busy"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(times[-1]["shell.execute_reply"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def printed(nb):
    """All the text the notebook's cells printed."""
    return "\n".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for out in cell.get("outputs", []) if out.get("output_type") == "stream")


def figures(text, accuracy_pattern):
    """Per initialization, in order: the printed costs and the two accuracies."""
    costs = re.findall(r"^Cost after iteration (\d+): (\S+)$", text, flags=re.MULTILINE)
    accuracies = re.findall(accuracy_pattern, text, flags=re.MULTILINE)
    per_run = len(costs) // len(SCHEMES)
    if per_run == 0 or len(accuracies) != 2 * len(SCHEMES):
        raise ValueError(f"expected costs and 6 accuracies, found {len(costs)} costs "
                         f"and {len(accuracies)} accuracies")
    return {scheme: (costs[k * per_run:(k + 1) * per_run],
                     [float(a) for a in accuracies[2 * k:2 * k + 2]])
            for k, scheme in enumerate(SCHEMES)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default=str(SEED), help="the seed document (markdown)")
    parser.add_argument("--rounds", type=int, default=4, help="best of this many runs each")
    args = parser.parse_args(argv)
    if not Path(args.seed).is_file():
        parser.error(f"no seed document at {args.seed}; pass --seed PATH (make bench SEED=PATH)")
    reference = reference_notebook(args.seed)
    ours = nbformat.read(OURS, as_version=4)
    spans = {"seed": [], "ours": []}

    def run(name, nb, folder):
        executed = execute(nb, folder)
        spans[name].append(cells_span(executed))
        return executed

    with tempfile.TemporaryDirectory() as scratch:
        results = best_of(args.rounds,
                          ("seed", lambda: run("seed", reference, scratch)),
                          ("ours", lambda: run("ours", ours, OURS.parent)))
    seed_figures = figures(printed(results["seed"]["value"]), r"^Accuracy: (\S+)$")
    our_figures = figures(printed(results["ours"]["value"]), r"^(?:Train|Test) accuracy: +(\S+)$")
    for scheme in SCHEMES:
        assert our_figures[scheme] == seed_figures[scheme], \
            f"{scheme}: ours printed {our_figures[scheme]}, the seed {seed_figures[scheme]}"
    seed, mine = results["seed"]["wall"], results["ours"]["wall"]
    print(f"# Notebook end to end (nbclient, fresh kernel), best of {args.rounds}, wall seconds\n"
          f"# {machine()}")
    print(f"seed sections 1-5: {seed:.2f} s   Initialization.ipynb: {mine:.2f} s")
    print("same printed costs (every line, all three runs) and accuracies: yes")
    print(f"notebook ratio: {verdict(mine / seed, TARGET)}")
    seed_cells, our_cells = min(spans["seed"]), min(spans["ours"])
    print(f"for information, the cells alone (first start to last reply, no kernel start or "
          f"stop): seed {seed_cells:.2f} s, ours {our_cells:.2f} s, ratio {our_cells / seed_cells:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
