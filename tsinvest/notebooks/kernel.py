"""The kernel that runs investigation notebooks: local sockets in a private folder, not TCP.

Jupyter's default kernel transport is TCP on 127.0.0.1 without encryption:
any local user can connect to the ports and read the code and outputs, which
here hold account data (and ipykernel warns about it on every run). A kernel
started by :func:`tsinvest.notebooks.runner.run_notebook` talks over Unix
domain sockets instead, created in a fresh folder only the current user can
open (``tempfile.mkdtemp`` makes it mode 0700) and removed when the kernel
stops.

jupyter_client starts the kernel in its own session, so a Ctrl-C in the
terminal never reaches it. :func:`stop_kernels` is what the runner's signal
handler calls instead: it kills every kernel this process started (its whole
process group) and refuses to start new ones until :func:`allow_kernels`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from typing import Any

from jupyter_client.manager import AsyncKernelManager

__all__ = ["PrivateKernelManager", "stop_kernels", "allow_kernels", "running_kernels"]

_LIVE: set = set()
_LOCK = threading.Lock()
_STOPPED = threading.Event()


class PrivateKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` on the ``ipc`` transport, sockets in a private temporary folder.

    Pass it as ``kernel_manager_class`` to nbclient or papermill.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._socket_folder = tempfile.mkdtemp(prefix="tsinvest-kernel-")
        kwargs.setdefault("transport", "ipc")
        # An absolute socket path: the kernel runs in the notebook's folder,
        # the client in the caller's, so a relative one would not meet.
        kwargs.setdefault("ip", os.path.join(self._socket_folder, "kernel"))
        super().__init__(**kwargs)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        if _STOPPED.is_set():
            raise RuntimeError("the run is stopping; no new kernel is started")
        # Progress bars drawn inside the kernel would land in the notebook's outputs (and
        # the report), differing run to run; progress is the runner's job, on the terminal.
        kw["env"] = {**kw.get("env", os.environ), "TQDM_DISABLE": "1"}
        await super()._async_launch_kernel(kernel_cmd, **kw)
        with _LOCK:
            _LIVE.add(self)
        if _STOPPED.is_set():  # a signal arrived while the kernel was starting
            self._kill_group()

    def _kill_group(self) -> None:
        provisioner = self.provisioner
        pid = getattr(provisioner, "pid", None)
        pgid = getattr(provisioner, "pgid", None)
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if pgid and pgid != os.getpgrp():
                os.killpg(pgid, signal.SIGKILL)
            elif pid:
                os.kill(pid, signal.SIGKILL)

    def cleanup_ipc_files(self) -> None:
        super().cleanup_ipc_files()
        with _LOCK:
            _LIVE.discard(self)
        shutil.rmtree(self._socket_folder, ignore_errors=True)


def running_kernels() -> int:
    """How many kernels this process started are still registered as running."""
    with _LOCK:
        return len(_LIVE)


def stop_kernels() -> int:
    """Kill every kernel started here (SIGKILL to its process group) and start no new one.

    Safe to call from a signal handler. Returns how many kernels were signalled.
    """
    _STOPPED.set()
    with _LOCK:
        managers = list(_LIVE)
    for manager in managers:
        manager._kill_group()
    return len(managers)


def allow_kernels() -> None:
    """Allow kernels to start again (after :func:`stop_kernels`)."""
    _STOPPED.clear()
