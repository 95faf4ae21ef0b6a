"""Where ``submission check`` runs a plugin's code: a throw-away virtual environment, never yours.

- The environment is ``python -m venv --without-pip`` in a temporary folder, removed afterwards. A
  ``.pth`` file adds your interpreter's site folders behind its own (``site.addsitedir``, so editable
  installs resolve), so torch, mousescore and pip are seen without reinstalling gigabytes; this works
  whether or not you run mousescore from a virtual environment yourself.
- The plugin folder is copied into the temporary folder and installed from the copy (not editable)
  into the throw-away environment only: offline (``--no-index --no-deps``) unless dependencies are
  asked for, with the build's HOME, TMPDIR and working folder inside the temporary folder, so that
  build output and naive writes to ``~`` or ``..`` land there and are removed with it.
- The probe (:mod:`mousescore.submission.probe`) runs in that environment in its own process group,
  under a time limit after which the whole group is killed. Its answer comes back on a dedicated pipe,
  framed by a per-run random token sent on its stdin; a missing, repeated or extra frame is refused.
  Its stdout and stderr go to files (only their last line is shown), never to the parent's memory.

This is isolation of your *environment*, not a sandbox: the plugin's code runs as you and can write
wherever you can. ``submission check`` says so on its first line, and fails a plugin whose build or
probe changed the files of your Python environment (see :func:`environment_snapshot`).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from .. import config
from ..errors import MousescoreError

PIP_TIMEOUT_S = 600
PROBE_TIMEOUT_S = 600
ANSWER_LIMIT_BYTES = 256 * 2**20   # far above a probe's answer (a few layers x 6 images x 64 values)
COPY_IGNORED = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".venv", "venv")


class ProbeFailed(Exception):
    """The probe gave no usable answer; the message is the checklist's reason."""


@dataclass
class Installed:
    ok: bool
    text: str   # the checklist line: what was installed, or why it was not


class ThrowawayEnvironment:
    """``with ThrowawayEnvironment() as env``: a virtual environment in a temporary folder that is
    removed, with everything the plugin wrote into it, when the block ends."""

    def __enter__(self) -> "ThrowawayEnvironment":
        self.scratch = Path(tempfile.gettempdir()) / "mousescore-submission-(not created)"
        try:
            self.scratch = Path(tempfile.mkdtemp(prefix="mousescore-submission-"))
            self.venv = self.scratch / "venv"
            self.home = self.scratch / "home"   # HOME of the build: naive writes to ~ stay here
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.venv)], check=True,
                           capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
            self.python = self.venv / "bin" / "python"
            own_site = Path(self._ask("import sysconfig; print(sysconfig.get_path('purelib'))"))
            (own_site / "_mousescore_caller_site.pth").write_text(
                "".join(f"import site; site.addsitedir({str(folder)!r})\n" for folder in caller_site_folders()))
            self.home.mkdir()
        except (OSError, subprocess.SubprocessError) as error:
            self.remove()
            detail = getattr(error, "stderr", None) or str(error)
            raise MousescoreError(f"cannot create the throw-away virtual environment in {self.scratch.parent} "
                                  f"({detail.strip().splitlines()[-1] if detail.strip() else type(error).__name__}); "
                                  f"free space there or point TMPDIR at another folder") from None
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()

    def remove(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _ask(self, code: str) -> str:
        return subprocess.run([str(self.python), "-c", code], check=True, capture_output=True, text=True,
                              timeout=PIP_TIMEOUT_S).stdout.strip()

    def _env(self, **overrides: str) -> Dict[str, str]:
        env = config.child_environment(leave_out=("PYTHONHOME", "PIP_TARGET", "PIP_PREFIX", "PIP_USER"))
        env.update(VIRTUAL_ENV=str(self.venv), PIP_DISABLE_PIP_VERSION_CHECK="1", **overrides)
        env["TMPDIR"] = str(self.scratch)
        env["PYTHONDONTWRITEBYTECODE"] = "1"   # no compiled files written into your site folders
        return env

    def install(self, folder: Path, with_dependencies: bool = False) -> Installed:
        """Copy ``folder`` here and pip-install the copy into this environment only."""
        copy = self.scratch / "plugin" / folder.name
        try:
            shutil.copytree(folder, copy, symlinks=True, ignore=COPY_IGNORED)
        except (OSError, shutil.Error) as error:
            return Installed(False, f"cannot copy {folder} to install it ({error})")
        command = [str(self.python), "-m", "pip", "install", "--no-build-isolation", "--ignore-installed"]
        command += [] if with_dependencies else ["--no-deps", "--no-index"]
        log = self.scratch / "pip.log"
        with open(log, "w") as output:
            try:
                result = subprocess.run(command + [str(copy)], stdout=output, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, timeout=PIP_TIMEOUT_S, cwd=self.scratch,
                                        env=self._env(HOME=str(self.home)), start_new_session=True)
            except subprocess.TimeoutExpired:
                return Installed(False, f"pip install did not finish within {PIP_TIMEOUT_S} s")
        if result.returncode != 0:
            return Installed(False, f"does not install (pip: {last_error_line(read_text_tail(log))})")
        how = "with its dependencies" if with_dependencies else "offline, without dependencies"
        return Installed(True, f"installs into a throw-away virtual environment ({how})")

    def probe(self, declared: Mapping[str, str], timeout_s: Optional[float] = None) -> dict:
        """The probe's raw observations, or :class:`ProbeFailed` saying why there are none."""
        timeout_s = PROBE_TIMEOUT_S if timeout_s is None else timeout_s
        token = secrets.token_hex(16)
        read_end, write_end = os.pipe()
        log = self.scratch / "probe.log"
        try:
            with open(log, "w") as output:
                process = subprocess.Popen(
                    [str(self.python), "-m", "mousescore.submission.probe"], stdin=subprocess.PIPE,
                    stdout=output, stderr=subprocess.STDOUT, pass_fds=(write_end,), cwd=self.scratch,
                    env=self._env(), start_new_session=True)
        finally:
            os.close(write_end)   # the child holds the only write end: EOF once it (and its group) is gone
        reader = PipeReader(read_end)
        try:
            request = {"token": token, "fd": write_end, "declared": dict(declared)}
            stdin = process.stdin
            assert stdin is not None       # opened with stdin=PIPE
            stdin.write((json.dumps(request) + "\n").encode())
            stdin.close()
        except BrokenPipeError:
            pass   # the child is already gone: its exit status says why
        try:
            status = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(process)
            reader.join()
            raise ProbeFailed(f"loading and checking the models took more than {timeout_s:g} s and was "
                              f"stopped (a model must build and run on a few images well within that)")
        kill_group(process)   # whatever the plugin left running in the background
        data = reader.join()
        return unframe(data, token, status, read_tail(log))


class PipeReader:
    """Reads a pipe to its end in a thread, up to :data:`ANSWER_LIMIT_BYTES`."""

    def __init__(self, fd: int):
        self.chunks: List[bytes] = []
        self.size = 0
        self.thread = threading.Thread(target=self._read, args=(fd,), daemon=True)
        self.thread.start()

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "rb") as pipe:
            while self.size <= ANSWER_LIMIT_BYTES:
                chunk = pipe.read(1 << 20)
                if not chunk:
                    return
                self.chunks.append(chunk)
                self.size += len(chunk)

    def join(self) -> bytes:
        self.thread.join(timeout=30)
        if self.size > ANSWER_LIMIT_BYTES:
            raise ProbeFailed(f"the probe's answer exceeds {ANSWER_LIMIT_BYTES // 2**20} MiB")
        return b"".join(self.chunks)


def kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def unframe(data: bytes, token: str, status: int, log_tail: str) -> dict:
    """The one answer framed by the token; anything else on the channel means the plugin wrote to it."""
    frame = token.encode() + b"\n"
    if not data:
        raise ProbeFailed(f"the probe process ended without an answer (exit status {status}): {log_tail}")
    if not (data.startswith(frame) and data.endswith(b"\n" + frame)) or data.count(token.encode()) != 2:
        raise ProbeFailed("the probe's answer channel carried data the probe did not write: the plugin "
                          "wrote to it (the check refuses to judge a plugin that tampers with it)")
    try:
        answer = json.loads(data[len(frame):-len(frame) - 1])
    except (ValueError, UnicodeDecodeError):
        raise ProbeFailed("the probe's answer is not valid JSON (the plugin wrote to its channel)") from None
    if not isinstance(answer, dict):
        raise ProbeFailed("the probe's answer is not an object (the plugin wrote to its channel)")
    return answer


def caller_site_folders() -> List[str]:
    """This interpreter's site folders (and the user's, where enabled), in its own order."""
    folders = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    folders += [sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    return [folder for folder in dict.fromkeys(folders) if Path(folder).is_dir()]


def environment_snapshot() -> Dict[str, Tuple[int, int]]:
    """{path: (size, mtime_ns)} of what the caller's environment is made of: every entry at the top of
    each site folder (distributions, packages, modules, ``.pth`` files run at every start; a folder
    by its presence only, as compiling a module inside it changes its time) and the modules of
    ``submission check`` itself, which judge plugins."""
    entries = [entry for folder in caller_site_folders() for entry in Path(folder).iterdir()
               if entry.name != "__pycache__"]
    entries += Path(__file__).parent.glob("*.py")
    snapshot = {}
    for entry in entries:
        try:
            stat = entry.lstat()
        except OSError:
            continue
        is_folder = entry.is_dir() and not entry.is_symlink()
        snapshot[str(entry)] = (0, 0) if is_folder else (stat.st_size, stat.st_mtime_ns)
    return snapshot


def snapshot_changes(before: Mapping[str, tuple], after: Mapping[str, tuple]) -> List[str]:
    """'added PATH', 'removed PATH', 'changed PATH' between two snapshots, sorted by path."""
    changes = [f"added {path}" for path in after if path not in before]
    changes += [f"removed {path}" for path in before if path not in after]
    changes += [f"changed {path}" for path in before if path in after and before[path] != after[path]]
    return sorted(changes, key=lambda change: change.split(" ", 1)[1])


def read_text_tail(path: Path, limit: int = 64 * 1024) -> str:
    """The last ``limit`` bytes of a log as text (a plugin may print gigabytes)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(path.stat().st_size - limit, 0))
            return log.read().decode("utf-8", "replace")
    except OSError:
        return ""


def read_tail(path: Path) -> str:
    """The last non-empty line of a log, shortened to 500 characters."""
    lines = [line.strip() for line in read_text_tail(path).splitlines() if line.strip()]
    return lines[-1][:500] if lines else "no output"


def last_error_line(output: str) -> str:
    """The last line of pip's output starting with 'error' that says more than one of pip's summary
    codes ('error: metadata-generation-failed'): usually the build backend's own message."""
    import re
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    specific = [line for line in errors if not re.match(r"error: [a-z-]+$", line)]
    return (specific or errors or lines or ["no output"])[-1]
