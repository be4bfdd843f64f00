"""Student code in a sandbox: a Jupyter kernel manager that runs the kernel under bubblewrap.

nbgrader starts one kernel per notebook it grades. :class:`SandboxKernelManager`
starts it inside ``bwrap`` (Debian's ``bubblewrap``) so that the student's code

- sees an empty file system except the interpreter, the virtual environment,
  the ``helpers`` package and its own working folder, which is a fresh copy of
  the files handed in (not ``source/``, ``gradebook.db``, nor any student's
  ``submitted/``, ``autograded/`` or ``feedback/`` folder), and nothing of the
  ``course`` package however it is installed (wheel, editable, conda, a Dask
  worker's): every file the course installed but ``helpers`` is emptied in its
  view (:mod:`course.sandbox.mounts`);
- writes nowhere but small private memory file systems: that working folder
  (``workdir_size`` in all, the files handed in included: the grader copies them
  into a *scratch area*, deleted afterwards, which the kernel sees read-only at
  :data:`HANDED_IN` and copies into its folder, as its own user, before it
  starts), ``/tmp`` and ``$HOME`` (``tmp_size`` each; in ``$HOME`` it reads, but
  cannot change, the matplotlib font list the grader built for it:
  :func:`matplotlib_font_list`);
- has no network (its own, empty network namespace: even loopback is its own);
- runs as an unprivileged user id of its own (``uid_base`` + the grading
  process's id, so that parallel graders never share a process count), with
  every capability dropped and ``no_new_privs`` set;
- is bounded by ``prlimit``: address space (``memory_limit``), processes
  (``process_limit``), CPU seconds (``cpu_limit``), size of a file it writes
  (``file_size_limit``; the total it writes is bounded by the sizes above);
- is bounded as a whole, the kernel and every process it starts together, by
  ``sandbox_memory`` and ``process_limit``: a cgroup of its own where the
  grader can make one (root, or a delegated cgroup v2), else a watchdog thread
  of the grader (see :mod:`course.sandbox.cgroup`);
- dies with the grading process that started it, however early that is killed
  (:mod:`course.sandbox.lifetime`);
- lives in its own PID namespace: when the kernel ends, everything it started
  ends with it, and :meth:`SandboxKernelManager.cleanup_resources` kills any
  process still running under its user id.

The kernel talks to nbgrader over Unix sockets (ZeroMQ ``ipc``) in a private
folder, since it has no network to share. Interrupts are sent as messages,
because a signal to ``bwrap`` would never reach the kernel inside.

Run as root (the grading machine, CI), the kernel changes to its own user id
with ``setpriv``. Run as an ordinary user, ``bwrap`` makes a user namespace
instead; the course's files are hidden all the same, but the process limit
then counts the instructor's own processes too.

:func:`problem` says in one line why the sandbox cannot work here (``None``
when it can); ``nbgrader_config.py`` wires all of this in (see its sandbox
section).
"""

import atexit
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, List, TraitError, Unicode, default, validate

from course.sandbox.cgroup import PREFIX, Bound, describe, owner_tag
from course.sandbox.lifetime import ON_LIFELINE, Lifeline, guarded
from course.sandbox.mounts import placeholders, plan

#: Environment variables passed into the sandbox; everything else is dropped.
PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "NBGRADER_EXECUTION", "PYTHONHASHSEED",
              "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MPLBACKEND")

#: Thread-pool sizes of the numerical libraries, all set to ``SandboxKernelManager.threads``.
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

HOME = "/home/student"

#: Where the kernel sees, read-only, the files handed in that it copies into its folder.
HANDED_IN = "/run/handed-in"

#: What the kernel's user runs first: the files handed in copied into its working
#: folder (its current folder), then the kernel itself. What does not fit is left out.
COPY_THEN_RUN = ('PATH=/usr/bin:/bin find "$0" -mindepth 1 -maxdepth 1 '
                 '-exec cp -R -p -t . {} + ; exec "$@"')

FIX = ("install bubblewrap (`make venv` does it, or `apt-get install bubblewrap`), or opt out "
       "of the sandbox (unsafe) with c.SandboxedExecute.sandbox = False in nbgrader_config.py")


@lru_cache(maxsize=None)
def matplotlib_font_list():
    """The path of a matplotlib font list built by the grader for its kernels, or None.

    Each kernel starts with an empty ``$HOME``, so matplotlib would scan the
    system's fonts and write its font list anew in every kernel it grades: about
    0.35 s of CPU a kernel on this project's machine, a tenth of a notebook's
    grading. The grader builds the list in a Python of its own that runs no
    student code, and every kernel sees that file read-only in its
    ``MPLCONFIGDIR`` (matplotlib reads it as JSON, and rebuilds it in the kernel's
    own memory if it does not fit its version).

    The list is kept in the grading user's cache (:func:`_font_cache`), one per
    matplotlib version as matplotlib keeps its own, so that it is built once, not
    in every grading process (half a second each), and nothing is left in
    ``/tmp`` by a grader that was killed. Where that folder cannot be used, the
    list is built in a temporary folder of the process's, removed when it exits.
    None where it cannot be built: the kernels then build their own, as before.
    """
    cache = _font_cache()
    if cache is not None:
        found = sorted(cache.glob("fontlist-v*.json"))
        if len(found) == 1:
            return str(found[0])
        folder = tempfile.mkdtemp(prefix="building-", dir=cache)
        try:
            built = _build_font_list(folder)
            if built is None:
                return None
            kept = cache / os.path.basename(built)
            os.replace(built, kept)   # whole or not at all, if two graders build at once
            return str(kept)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    folder = tempfile.mkdtemp(prefix="course-matplotlib-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return _build_font_list(folder)


def _font_cache():
    """The grading user's folder of font lists for this matplotlib, or None if it cannot be
    used: ``$XDG_CACHE_HOME/course/matplotlib-<version>`` (``~/.cache`` by default), made
    mode 0700 if missing, and refused unless it is the user's own and no one else can
    write to it (each kernel is shown what it holds)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        folder = base / "course" / f"matplotlib-{version('matplotlib')}"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in (folder, folder.parent):
            info = path.lstat()
            if info.st_uid != os.geteuid() or info.st_mode & 0o022 or path.is_symlink():
                return None
    except (OSError, RuntimeError, PackageNotFoundError):   # no home, read-only, no matplotlib
        return None
    return folder


def _build_font_list(folder):
    """Build matplotlib's font list in ``folder``; its path, or None."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": folder, "MPLCONFIGDIR": folder}
    try:
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    found = sorted(Path(folder).glob("fontlist-v*.json"))
    return str(found[0]) if len(found) == 1 else None


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run on this machine; the message names the fix."""


def parse_size(text):
    """Bytes in ``"3G"``, ``"512M"``, ``"64K"`` or ``"1000"``.

    Raises
    ------
    ValueError
        If ``text`` is not a number with an optional K, M or G suffix.
    """
    text = str(text).strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in "KMG" else text
    try:
        return int(float(number) * scale)
    except ValueError:
        raise ValueError(f"size {text!r} is not a number of bytes with an optional "
                         f"K, M or G suffix (for example '3G')") from None


def package_dirs(names):
    """The folders of the importable packages ``names`` (without importing them)."""
    dirs = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None:
            raise SandboxUnavailable(f"package {name!r} is not installed in {sys.prefix}; "
                                     f"the sandboxed kernel needs it (run `make venv`)")
        locations = spec.submodule_search_locations or [os.path.dirname(spec.origin)]
        dirs.extend(os.path.realpath(p) for p in locations)
    return dirs


def package_roots(names):
    """The folders to put on the kernel's path so that it imports the packages ``names`` shown to it.

    The grader finds a package where its own path says (nbgrader puts the course
    root first, so a course root holding ``helpers/`` is where it comes from,
    whatever was installed from elsewhere), and the sandbox shows the kernel that
    folder. The kernel's own path must lead there too: an editable install made
    from another copy of the course would lead it to a folder it cannot see. Only
    the package's folder is shown inside its parent, so nothing else of the
    parent becomes importable. Folders of installed packages (``site-packages``)
    are on the kernel's path already.
    """
    roots = []
    for folder in package_dirs(names):
        parent = os.path.dirname(folder)
        if os.path.basename(parent) not in ("site-packages", "dist-packages") and parent not in roots:
            roots.append(parent)
    return roots


@lru_cache(maxsize=1)
def problem():
    """One line saying why the sandbox cannot run here and how to fix it, or None."""
    if sys.version_info < (3, 11):
        return (f"the grading sandbox needs Python 3.11 or newer (its kernel runs with -P, so "
                f"that no file handed in is importable); this is {sys.version.split()[0]}")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return f"the grading sandbox needs bubblewrap (bwrap), which is not installed: {FIX}"
    for tool in ("prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return (f"the grading sandbox needs `{tool}` (Debian package util-linux), "
                    f"which is not installed: `apt-get install util-linux`")
    probe = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
             "--proc", "/proc", "--dev", "/dev", "true"]
    if os.geteuid() != 0:
        probe.insert(1, "--unshare-user")
    lifeline = Lifeline()
    try:
        result = subprocess.run(guarded(probe, lifeline=0), capture_output=True, text=True,
                                stdin=lifeline.read_end, start_new_session=True)
    finally:
        lifeline.cut()
    if result.returncode != 0:
        why = (result.stderr.strip().splitlines() or ["no message"])[-1]
        if why.startswith("setpriv"):
            return (f"the grading sandbox needs `setpriv --pdeathsig` (util-linux 2.33 or "
                    f"newer) to start sandboxes that die with the grader ({why}): upgrade "
                    f"util-linux")
        return (f"bubblewrap cannot create a sandbox here ({why}): allow user namespaces "
                f"(sysctl kernel.unprivileged_userns_clone=1, or grade as root), or opt out "
                f"(unsafe) with c.SandboxedExecute.sandbox = False in nbgrader_config.py")
    return None


def memory_bound():
    """One line: how the total memory of a sandbox is bounded here, and by which setting."""
    memory = SandboxKernelManager.sandbox_memory.default_value
    processes = SandboxKernelManager.process_limit.default_value
    return (f"memory: {describe()}; the limits are c.SandboxKernelManager.sandbox_memory "
            f"({memory} unless nbgrader_config.py says otherwise) and process_limit "
            f"({processes})")


def sandbox_uid(base):
    """This grading process's own unprivileged user id."""
    return base + os.getpid()


def kill_user_processes(uid):
    """SIGKILL every process whose real user id is ``uid``; return how many."""
    killed = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            os.kill(int(entry.name), signal.SIGKILL)
                            killed += 1
                        break
        except (OSError, ValueError):
            continue
    return killed


def kill_session(process):
    """Close the pipes of ``process`` (a session leader), kill its session, and reap it."""
    for stream in (process.stdin, process.stdout):
        try:
            stream.close()
        except OSError:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _copy_workdir(workdir, scratch, uid, gid):
    """Copy the notebook's folder into the scratch area, minus the notebooks themselves.

    The autograded notebooks hold the restored hidden tests; the kernel gets
    every other file of the folder (data files copied from ``source/``).
    Returns the bytes the copy takes in a memory file system (whole pages).
    """
    patterns = shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", ".grading-in-progress")

    def ignore(folder, names):   # a link would be read with the grader's rights: none goes in
        return set(patterns(folder, names)) | {
            n for n in names if os.path.islink(os.path.join(folder, n))}

    shutil.copytree(workdir, scratch, ignore=ignore, symlinks=True, dirs_exist_ok=True)
    size = 0
    for folder, dirs, files in os.walk(scratch):
        for name in [folder] + [os.path.join(folder, n) for n in dirs + files]:
            os.lchown(name, uid, gid)
        size += sum(-(-os.lstat(os.path.join(folder, n)).st_size // 4096) * 4096 for n in files)
    return size


def _parents(path, made):
    """bwrap options creating the missing ancestors of ``path``, world-traversable.

    bwrap run as root makes the folders above a mount point private (0700), which
    would hide the mount from the kernel's unprivileged user.
    """
    options = []
    for parent in reversed(Path(path).parents):
        if str(parent) not in made:
            made.add(str(parent))
            options += ["--perms", "0755", "--dir", str(parent)]
    return options


class BoundedKernelClient(AsyncKernelClient):
    """A kernel client that refuses any message larger than ``max_message_bytes``.

    ZeroMQ drops a connection on which a larger message arrives
    (``ZMQ_MAXMSGSIZE``), before the grader holds it in memory: a kernel cannot
    make the grader allocate gigabytes with one output. The cell then gets no
    answer, and fails.
    """

    max_message_bytes = Integer(64 * 2**20, help="Largest message accepted from the "
                                "kernel, in bytes.").tag(config=True)

    @default("context")
    def _context_default(self):
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        return context


class SandboxKernelManager(AsyncKernelManager):
    """An IPython kernel started inside bubblewrap, whatever kernel the notebook names.

    Configure it from ``nbgrader_config.py`` as ``c.SandboxKernelManager.<trait>``.
    """

    memory_limit = Unicode("3G", help="Address-space limit of each kernel process "
                           "(prlimit --as): K, M or G suffix.").tag(config=True)
    sandbox_memory = Unicode("4G", help="Memory the kernel and every process it starts may "
                             "use together (a cgroup per sandbox, or the grader's watchdog "
                             "where no cgroup can be made): K, M or G suffix.").tag(config=True)
    process_limit = Integer(256, help="Processes and threads the kernel's user may run "
                            "at once (RLIMIT_NPROC).").tag(config=True)
    cpu_limit = Integer(900, help="CPU seconds of each kernel process (RLIMIT_CPU); the "
                        "kernel is killed past it.").tag(config=True)
    file_size_limit = Unicode("256M", help="Largest file the kernel may write "
                              "(RLIMIT_FSIZE).").tag(config=True)
    workdir_size = Unicode("256M", help="Size of the kernel's working folder, a memory "
                           "file system holding a copy of the files handed in and all it "
                           "writes there: K, M or G suffix.").tag(config=True)
    tmp_size = Unicode("256M", help="Size of the kernel's private /tmp and home "
                       "(memory file systems).").tag(config=True)
    threads = Integer(1, help="Threads of the kernel's BLAS and OpenMP pools. One: the "
                      "course's matrices are small, and kernels graded side by side would "
                      "otherwise each start a pool per core and fight over the cores (OpenBLAS "
                      "threads spin while they wait).").tag(config=True)
    uid_base = Integer(1_500_000_000, help="Kernels of grading process P run as user id "
                       "uid_base + P (no account is needed).").tag(config=True)
    packages = List(Unicode(), ["helpers"], help="Packages whose folders are shown, "
                    "read-only, to the kernel (an editable install lives inside the "
                    "course repository, which stays hidden; every other file the course "
                    "installed is hidden too).").tag(config=True)
    extra_readonly = List(Unicode(), [], help="More paths shown read-only to the "
                          "kernel.").tag(config=True)

    @validate("memory_limit", "sandbox_memory", "file_size_limit", "tmp_size", "workdir_size")
    def _a_size(self, proposal):
        parse_size(proposal["value"])
        return proposal["value"]

    @validate("threads")
    def _threads_at_least_one(self, proposal):
        if proposal["value"] < 1:
            raise TraitError(f"SandboxKernelManager.threads must be at least 1, "
                             f"got {proposal['value']}")
        return proposal["value"]

    def __init__(self, **kwargs):
        kwargs.setdefault("client_class", "course.sandbox.kernel.BoundedKernelClient")
        super().__init__(**kwargs)
        self._runtime = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{owner_tag()}-"))
        self._scratch = None
        self._handed_in = 0
        self.bound = None
        self._lifeline = None   # the kernel's (course.sandbox.lifetime.Lifeline)
        self.transport = "ipc"
        (self._runtime / "ipc").mkdir()
        self.ip = str(self._runtime / "ipc" / "kernel")
        self.connection_file = str(self._runtime / "kernel.json")
        self.uid = sandbox_uid(self.uid_base) if os.geteuid() == 0 else os.geteuid()

    # The kernel is always this one: a notebook's own kernelspec cannot choose
    # an unsandboxed kernel.
    @property
    def kernel_spec(self):
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(
                # -P and ignore_cwd: nothing of the submission's folder is importable,
                # so a helpers/ (or numpy.py) handed in beside the notebooks cannot
                # stand in for the course's packages; only the notebook's code runs.
                argv=[sys.executable, "-P", "-m", "ipykernel_launcher", "-f", "{connection_file}",
                      "--IPKernelApp.ignore_cwd=True"],
                display_name="Python 3 (grading sandbox)", language="python",
                interrupt_mode="message", env={}, metadata={})
        return self._kernel_spec

    @property
    def ipykernel(self):
        return True

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if os.geteuid() == 0:
            os.chown(self.connection_file, self.uid, self.uid)
            os.chown(self._runtime / "ipc", self.uid, self.uid)
        os.chmod(self.connection_file, 0o400)

    async def _async_pre_start_kernel(self, **kw):
        workdir = os.path.realpath(kw.get("cwd") or os.getcwd())
        self._workdir = workdir
        self._cleanup_scratch()
        self._scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=self._runtime))
        # As root, the copy is the sandbox user's; as an ordinary user (an instructor
        # grading in a terminal of their JupyterHub server), their own: their group
        # need not share their user id.
        gid = self.uid if os.geteuid() == 0 else os.getegid()
        self._handed_in = _copy_workdir(workdir, self._scratch, self.uid, gid)
        os.chmod(self._scratch, 0o700)
        if os.geteuid() == 0:
            os.chown(self._scratch, self.uid, self.uid)
        kw["env"] = {k: v for k, v in (kw.get("env") or os.environ).items()
                     if k not in ("JPY_PARENT_PID",)}
        # The kernel writes to the grader's own stdout and stderr otherwise, with no
        # bound: everything it has to say goes through its messages.
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        self._remove_bound()
        self.bound = Bound(self._runtime.name, parse_size(self.sandbox_memory),
                           self.process_limit, self.sandbox_memory)
        self.bound.create()
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        kernel = super().format_kernel_cmd(extra_arguments)
        return guarded(self.sandbox_command(kernel, lifeline=True),
                       self.bound.procs() if self.bound is not None else (), lifeline=0)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        self._cut_lifeline()
        self._lifeline = Lifeline()
        await super()._async_launch_kernel(kernel_cmd, stdin=self._lifeline.read_end, **kw)
        self._lifeline.started()
        self.bound.watch(self.provisioner.pid)

    def _cut_lifeline(self):
        if getattr(self, "_lifeline", None) is not None:
            self._lifeline.cut()
            self._lifeline = None

    @property
    def workdir_short(self):
        """Bytes of the files handed in that do not fit the working folder (0: they all fit)."""
        return max(0, self._handed_in - parse_size(self.workdir_size))

    @property
    def exceeded(self):
        """Why the sandbox was killed for going over its total memory, or None."""
        return self.bound.exceeded if self.bound is not None else None

    def sandbox_command(self, kernel_cmd, lifeline=False):
        """``kernel_cmd`` wrapped in bwrap, prlimit and (as root) setpriv.

        ``lifeline``: first, in the sandbox, the watcher that ends the command when
        the grader is gone (:data:`course.sandbox.lifetime.ON_LIFELINE`), run as
        bwrap's user and not the command's (as root: with the one capability to
        signal it), so that the command can neither stop it nor count it as its own.
        """
        root = os.geteuid() == 0
        cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
               "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
        if not root:
            cmd += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
        for link in ("/bin", "/lib", "/lib32", "/lib64", "/sbin"):
            if os.path.islink(link):
                cmd += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                cmd += ["--ro-bind", link, link]
        size = str(parse_size(self.tmp_size))
        cmd += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
                "--proc", "/proc", "--dev", "/dev",
                "--perms", "1777", "--size", size, "--tmpfs", "/tmp",
                "--perms", "1777", "--size", size, "--tmpfs", "/dev/shm",
                "--perms", "0755", "--dir", "/home",
                "--perms", "1777", "--size", size, "--tmpfs", HOME,
                "--perms", "1777", "--dir", f"{HOME}/.matplotlib"]
        fonts = matplotlib_font_list()
        if fonts is not None:   # the grader's font list, which the kernel cannot change
            cmd += ["--ro-bind", fonts, f"{HOME}/.matplotlib/{os.path.basename(fonts)}"]
        made = {"/", "/tmp", "/usr", "/etc", "/dev", "/proc", HOME, f"{HOME}/.matplotlib"}
        view, seal = self._readonly_view(made)
        cmd += view
        mounts = [("--ro-bind", self.connection_file), ("--bind", str(self._runtime / "ipc"))]
        for option, path in mounts:
            cmd += _parents(path, made) + [option, path, path]
        # The working folder: a memory file system of workdir_size, empty; the kernel's
        # user fills it from the scratch copy (COPY_THEN_RUN) before the kernel starts.
        cmd += _parents(self._workdir, made) + [
            "--perms", "1777", "--size", str(parse_size(self.workdir_size)),
            "--tmpfs", self._workdir]
        cmd += _parents(HANDED_IN, made) + ["--ro-bind", str(self._scratch), HANDED_IN]
        cmd += ["--chdir", self._workdir, "--clearenv"] + seal
        env = {"PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin", "HOME": HOME,
               "USER": "student", "LOGNAME": "student", "TMPDIR": "/tmp",
               "IPYTHONDIR": f"{HOME}/.ipython", "MPLCONFIGDIR": f"{HOME}/.matplotlib",
               "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        roots = package_roots(self.packages)
        if roots:   # the kernel imports the very packages shown to it (see package_roots)
            env["PYTHONPATH"] = os.pathsep.join(roots)
        env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
        env.update({k: str(self.threads) for k in THREAD_ENV})
        for key, value in env.items():
            cmd += ["--setenv", key, value]
        if root:
            cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            if lifeline:
                cmd += ["--cap-add", "CAP_KILL"]
        cmd += ["--"]
        if lifeline:
            cmd += ["/bin/sh", "-c", ON_LIFELINE, "sh"]
        cmd += ["prlimit", f"--as={parse_size(self.memory_limit)}",
                f"--nproc={self.process_limit}", f"--cpu={self.cpu_limit}",
                f"--fsize={parse_size(self.file_size_limit)}", "--core=0", "--"]
        if root:
            cmd += ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        return cmd + ["/bin/sh", "-c", COPY_THEN_RUN, HANDED_IN] + kernel_cmd

    def _readonly_paths(self):
        """The paths shown read-only: the interpreter's prefixes, the packages, ``extra_readonly``."""
        return sorted({os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
                       *package_dirs(self.packages), *map(os.path.realpath, self.extra_readonly)})

    def _readonly_view(self, made):
        """bwrap options showing :meth:`_readonly_paths` without the instructor's files, and the
        options that seal it (given after every other mount).

        Every file this project installed but the shown packages is hidden, in any
        install (:mod:`course.sandbox.mounts`): the kernel sees ``helpers`` and third-party
        packages only.
        """
        steps, masked = plan(tuple(self._readonly_paths()), tuple(package_dirs(self.packages)))
        empty, stub = placeholders(self._runtime)
        options = []
        for kind, path in steps:
            if kind == "bind":
                options += _parents(path, made) + ["--ro-bind", path, path]
            elif kind == "file":
                options += ["--ro-bind", empty, path]
            else:
                options += ["--perms", "0755", "--tmpfs", path]
                if kind == "package":
                    options += ["--ro-bind", stub, os.path.join(path, "__init__.py")]
        return options, [a for folder in masked for a in ("--remount-ro", folder)]

    # -- a process of the grader's own in the sandbox (the judge), not a kernel --------

    def start_process(self, argv, workdir, uid=None):
        """Start ``argv`` in this sandbox, in an empty working folder at ``workdir``.

        The process gets the kernel's view of the machine, limits and total bound,
        with stdin and stdout as pipes to the grader (stderr is dropped) and its own
        user id ``uid`` (as root; default this manager's). Stop it with
        :meth:`stop_process`.

        Returns
        -------
        subprocess.Popen
        """
        if uid is not None and os.geteuid() == 0:
            self.uid = uid
        self._workdir = os.path.realpath(workdir)
        self._cleanup_scratch()
        self._scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=self._runtime))
        os.chmod(self._scratch, 0o700)
        if os.geteuid() == 0:
            os.chown(self._scratch, self.uid, self.uid)
        Path(self.connection_file).touch(mode=0o400)   # sandbox_command binds it
        self._remove_bound()
        self.bound = Bound(self._runtime.name, parse_size(self.sandbox_memory),
                           self.process_limit, self.sandbox_memory)
        self.bound.create()
        self._cut_lifeline()
        self._lifeline = Lifeline()
        command = guarded(self.sandbox_command(list(argv)), self.bound.procs(),
                          lifeline=self._lifeline.read_end)
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, start_new_session=True,
                                   pass_fds=(self._lifeline.read_end,))
        self._lifeline.started()
        self.bound.watch(process.pid)
        return process

    def stop_process(self, process):
        """Stop a process of :meth:`start_process` and everything it started; clean up."""
        kill_session(process)
        self._cut_lifeline()
        self._remove_bound()
        if os.geteuid() == 0:
            kill_user_processes(self.uid)
        self._cleanup_scratch()
        shutil.rmtree(self._runtime, ignore_errors=True)

    def _remove_bound(self):
        if self.bound is not None:
            self.bound.remove()

    def _cleanup_scratch(self):
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        self._cut_lifeline()
        self._remove_bound()
        if os.geteuid() == 0:
            kill_user_processes(self.uid)
        self._cleanup_scratch()
        if not restart:
            shutil.rmtree(self._runtime, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources

    def __del__(self):
        try:
            self._cut_lifeline()
            if getattr(self, "bound", None) is not None:
                self.bound.remove()
        except Exception:  # at interpreter exit; remove_stale() cleans up after us then
            pass
        shutil.rmtree(getattr(self, "_runtime", "/nonexistent"), ignore_errors=True)
