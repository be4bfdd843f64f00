"""Drive JupyterLab in Debian's headless Chromium, as a student would.

A :class:`Lab` is one JupyterLab server on loopback (a free port, a random
token) serving one folder, with a Chromium page on it. The server and the
kernels it starts listen on loopback only, and the Lab checks it
(``support.sockets``): once the server answers, and again at the end of a
``with`` block that raised nothing, when the page's kernels run. Every wait names what
it waited for, and a failed wait raises :class:`LabError` with the state of
the page (and a screenshot), never a bare timeout stack.

Chromium comes from Debian (``system-packages.txt``); Playwright never
downloads a browser here.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from support.sockets import assert_loopback_only

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

# Generous: the machine is shared and small, and training runs in the kernel.
SERVER_START = 120      # seconds for JupyterLab to answer /api/status
PAGE_READY = 120        # seconds for the notebook and its kernel to be ready
RUN_ALL = 300           # seconds for every cell of a notebook to run
VALIDATE = 300          # seconds for nbgrader's Validate to report

# User settings of the test's own JupyterLab (its own settings folder, never
# the user's): no news pop-up, and every cell kept in the page so that it can
# be read without scrolling it into view first.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        {"windowingMode": "none"},
}


class LabError(AssertionError):
    """Something a student would see went wrong; the message says what and where."""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_missing_message():
    return (f"{CHROMIUM} not found: the browser tests use Debian's chromium package "
            f"(listed in system-packages.txt; `scripts/install-system-packages` or "
            f"`make test` installs it). Playwright never downloads a browser here.")


class LabPage:
    """A headless Chromium page on a JupyterLab: what a student sees and does there.

    Subclasses say where JupyterLab is (:meth:`address`), what its log ends with
    (:meth:`server_log`) and set ``page``, ``artifacts`` and ``shots``.
    """

    def address(self, path):
        """The URL of ``path`` (``/lab/...``) on this JupyterLab, logged in."""
        raise NotImplementedError

    def server_log(self, lines=30):
        raise NotImplementedError

    # -- what the page shows -------------------------------------------------
    def screenshot(self, name):
        """Save the page as ``<artifacts>/<NN>-<name>.png``; return the path."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = self.artifacts / f"{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def describe(self):
        """What the page shows now: kernel status, dialogs, errors in outputs."""
        js = """() => {
            const text = (el) => el ? el.innerText.trim() : null;
            const status = [...document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')]
                .map(e => e.innerText.trim()).filter(Boolean).join(' | ');
            const dialog = text(document.querySelector('.jp-Dialog'));
            const running = [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
                .map((c, i) => [i, text(c.querySelector('.jp-InputPrompt'))])
                .filter(([i, p]) => p && p.includes('*')).map(([i]) => i);
            const errors = [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
                .map((c, i) => [i, text(c.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))])
                .filter(([i, t]) => t).map(([i, t]) => `cell ${i}: ${t.slice(-400)}`);
            return {title: document.title, status, dialog, running, errors};
        }"""
        try:
            state = self.page.evaluate(js)
        except Exception as error:  # the page itself is gone
            return f"(the page could not be read: {error})"
        lines = [f"page title: {state['title']!r}", f"status bar: {state['status']!r}"]
        if state["dialog"]:
            lines.append(f"dialog: {state['dialog'][:1500]!r}")
        if state["running"]:
            lines.append(f"cells still running: {state['running']}")
        lines += [f"error output in {e}" for e in state["errors"][:5]]
        return "\n".join(lines)

    def fail(self, what, seconds):
        shot = None
        try:
            shot = self.screenshot("failure")
        except Exception:  # the page is gone; the message still says what happened
            pass
        raise LabError(f"waited {seconds} s for {what}; it did not happen.\n"
                       f"{self.describe()}\n"
                       f"screenshot: {shot}\nJupyterLab log ends:\n{self.server_log(15)}"
                       ) from None

    def wait_for(self, what, js, seconds, arg=None):
        """Wait until the JavaScript predicate ``js`` is truthy; return its value."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        try:
            return self.page.wait_for_function(js, arg=arg, timeout=seconds * 1000,
                                               polling=500).json_value()
        except PlaywrightTimeout:
            pass
        self.fail(what, seconds)

    def wait_for_selector(self, what, selector, seconds):
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        try:
            return self.page.wait_for_selector(selector, timeout=seconds * 1000)
        except PlaywrightTimeout:
            pass
        self.fail(what, seconds)

    # -- what a student does -------------------------------------------------
    def open_notebook(self, relative_path):
        """Open a notebook and wait for its kernel to be idle."""
        self.page.goto(self.address(f"/lab/tree/{relative_path}"),
                       wait_until="domcontentloaded", timeout=PAGE_READY * 1000)
        self.wait_for_selector(f"the notebook {relative_path} to show its cells",
                               ".jp-NotebookPanel .jp-Notebook .jp-Cell", PAGE_READY)
        self.wait_for(f"the kernel of {relative_path} to be idle",
                      """() => /\\bIdle\\b/.test(document.querySelector('#jp-main-statusbar')?.innerText || '')""",
                      PAGE_READY)

    def open_lab(self):
        """Open JupyterLab itself, with no document."""
        self.page.goto(self.address("/lab"), wait_until="domcontentloaded",
                       timeout=PAGE_READY * 1000)
        self.wait_for_selector("JupyterLab's menu bar", ".lm-MenuBar-itemLabel", PAGE_READY)

    def menu(self, top, item):
        """Click ``top`` in the menu bar, then ``item`` in its menu (exact labels)."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(top)}$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).click()

    def cell(self, index):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)

    def replace_lines(self, index, first_line, last_line, lines):
        """Select from ``first_line`` to ``last_line`` of cell ``index`` and type ``lines``.

        The selection is made with the mouse and the keyboard, and the new code
        is typed key by key, one line after the other: the editor keeps the
        indentation of the line when Enter is pressed, so only each line's own
        text is typed.
        """
        editor = self.cell(index).locator(".cm-content")
        start = editor.locator(".cm-line", has_text=first_line).first
        start.click()
        self.page.keyboard.press("End")
        self.page.keyboard.press("Home")   # to the first character after the indentation
        line_count = self._line_distance(index, first_line, last_line)
        for _ in range(line_count):
            self.page.keyboard.press("Shift+ArrowDown")
        self.page.keyboard.press("Shift+End")
        for number, line in enumerate(lines):
            if number:
                self.page.keyboard.press("Enter")
            self.page.keyboard.type(line, delay=5)
        self.page.keyboard.press("Escape")   # leave the editor, as after typing

    def write_cell(self, index, text):
        """Put ``text`` in cell ``index`` in place of what it holds, as a student does: select
        the cell, Enter to edit it (a Markdown cell shows its source), select all, type, run.

        Selected and entered with Enter rather than double-clicked: a double click lands
        where the cell is at that moment, and outputs still being laid out above it move
        it (a double click that missed left the Markdown rendered, its editor hidden).
        Scrolled to with the DOM's own ``scrollIntoView``, which scrolls whatever state the
        cell is in: Playwright's own scrolling first waits for the cell to be visible, and
        under JupyterLab's default windowing (``contentVisibility``, as a hub's students
        have it) a Markdown cell far down Layers.ipynb stayed "not visible" to it for 30 s
        on a busy machine (`make test` with three workers).
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        cell = self.cell(index)
        editor = cell.locator(".cm-content")
        for attempt in range(3):
            cell.evaluate("node => node.scrollIntoView({block: 'center'})")
            cell.locator(".jp-InputPrompt").first.click()   # the gutter: selects, follows no link
            self.page.keyboard.press("Enter")
            try:
                editor.wait_for(state="visible", timeout=10_000)
                break
            except PlaywrightTimeout:   # the cell moved before the click: select it again
                if attempt == 2:
                    self.fail(f"cell {index} to open its editor", 30)
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.type(text, delay=2)
        self.page.keyboard.press("Shift+Enter")

    def _line_distance(self, index, first_line, last_line):
        texts = self.cell(index).locator(".cm-content .cm-line").all_inner_texts()
        first = next(i for i, t in enumerate(texts) if first_line in t)
        last = next(i for i, t in enumerate(texts) if i >= first and last_line in t)
        return last - first

    def cell_text(self, index):
        """What the editor of cell ``index`` holds, line by line."""
        return "\n".join(self.cell(index).locator(".cm-content .cm-line").all_inner_texts())

    def run_all(self):
        """Run > Run All Cells, from the menu bar."""
        self.menu("Run", "Run All Cells")

    def wait_until_run(self, seconds=RUN_ALL):
        """Wait until no cell is running or queued and the kernel is idle."""
        self.wait_for(
            "every cell to finish running (no [*] prompt left, kernel Idle)",
            """() => {
                const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
                    .map(p => p.innerText.trim());
                const started = prompts.some(p => /\\[\\d+\\]/.test(p));
                const busy = prompts.some(p => p.includes('*'));
                const idle = /\\bIdle\\b/.test(document.querySelector('#jp-main-statusbar')?.innerText || '');
                return started && !busy && idle;
            }""", seconds)

    def outputs(self, index):
        """The rendered output text of cell ``index``."""
        return "\n".join(self.cell(index).locator(".jp-OutputArea-output").all_inner_texts())

    def images(self, index):
        """Rendered images of cell ``index``: (naturalWidth, naturalHeight) each."""
        return self.cell(index).locator(".jp-OutputArea-output img").evaluate_all(
            "imgs => imgs.map(i => [i.complete ? i.naturalWidth : 0, i.complete ? i.naturalHeight : 0])")

    def validate(self):
        """Press nbgrader's Validate button; return (succeeded, dialog text)."""
        self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button button").click()
        dialog = self.wait_for_selector(
            "nbgrader's Validation Results dialog after pressing Validate",
            ".jp-Dialog #validation-message", VALIDATE)
        succeeded = dialog.evaluate("d => d.classList.contains('validation-success')")
        return succeeded, dialog.inner_text()

    def close_dialog(self):
        self.page.locator(".jp-Dialog .jp-mod-accept").click()
        self.page.wait_for_selector(".jp-Dialog", state="detached")

    def save(self):
        self.page.keyboard.press("Control+s")
        self.wait_for("the notebook to be saved (no unsaved-changes dot on its tab)",
                      "() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
                      60)


class Lab(LabPage):
    """A JupyterLab server serving ``folder`` and a headless Chromium page on it.

    Use as a context manager: the browser is closed and the server stopped
    (by its own PID) on exit, whatever happened.
    """

    def __init__(self, folder, playwright, artifacts, python=sys.executable):
        self.folder = Path(folder)
        self.python = str(python)   # the environment JupyterLab runs from (and its kernels)
        self.playwright = playwright
        self.artifacts = Path(artifacts)
        self.token = secrets.token_hex(16)
        self.port = None
        self.server = None
        self.browser = None
        self.page = None
        self.shots = 0

    # -- server ---------------------------------------------------------------
    def __enter__(self):
        try:
            self.start_server()
            self._start_browser()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind, value, traceback):
        try:
            if kind is None:
                self.check_loopback()   # the kernels the page started, too
        finally:
            self.close()

    def check_loopback(self):
        """Raise unless the server and its kernels listen on loopback only (``ss -ltnup``)."""
        return assert_loopback_only("JupyterLab (with its kernels)", self.server.pid)

    def _environment(self):
        home = self.folder.parent / ".lab-home"
        settings = home / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            plugin, _, file = name.rpartition("/")
            path = settings / plugin / file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(os.environ)
        env.update({
            "HOME": str(home),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "IPYTHONDIR": str(home / "ipython"),
            "PATH": os.pathsep.join([str(Path(self.python).parent), env.get("PATH", "")]),
        })
        env.pop("MPLBACKEND", None)  # a notebook's %matplotlib inline must draw
        return env

    def start_server(self):
        """Start JupyterLab (no browser) and wait until it answers; check it listens on loopback."""
        self.port = free_port()
        self.log = open(self.folder.parent / "jupyterlab.log", "w")
        self.server = subprocess.Popen(
            [self.python, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={self.folder}",
             "--LabApp.expose_app_in_browser=True"],
            cwd=self.folder, env=self._environment(), stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SERVER_START
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise LabError(f"JupyterLab exited (code {self.server.returncode}) before "
                               f"answering on port {self.port}:\n{self.server_log()}")
            try:
                request = urllib.request.Request(f"{self.url}/api/status",
                                                 headers={"Authorization": f"token {self.token}"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        self.check_loopback()
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise LabError(f"waited {SERVER_START} s for JupyterLab to answer GET /api/status on "
                       f"{self.url}; it never did. Its log ends:\n{self.server_log()}")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def address(self, path):
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def server_log(self, lines=30):
        path = self.folder.parent / "jupyterlab.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def _start_browser(self):
        self.browser = self.playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = context.new_page()
        self.page.set_default_timeout(30_000)

    def close(self):
        if self.browser is not None:
            try:
                self.browser.close()
            except Exception:  # already gone: nothing left to close
                pass
            self.browser = None
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=20)
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.folder.parent / ".lab-home" / "runtime", ignore_errors=True)
