"""The kernel that runs investigation notebooks: local sockets in a private folder, not TCP.

Jupyter's default kernel transport is TCP on 127.0.0.1 without encryption:
any local user can connect to the ports and read the code and outputs, which
here hold account data (and ipykernel warns about it on every run). A kernel
started by :func:`tsinvest.notebooks.runner.run_notebook` talks over Unix
domain sockets instead, created in a fresh folder only the current user can
open (``tempfile.mkdtemp`` makes it mode 0700) and removed when the kernel
stops.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from jupyter_client.manager import AsyncKernelManager

__all__ = ["PrivateKernelManager"]


class PrivateKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` on the ``ipc`` transport, sockets in a private temporary folder.

    Pass it as ``kernel_manager_class`` to nbclient or papermill.
    """

    def __init__(self, **kwargs):
        self._socket_folder = tempfile.mkdtemp(prefix="tsinvest-kernel-")
        kwargs.setdefault("transport", "ipc")
        # An absolute socket path: the kernel runs in the notebook's folder,
        # the client in the caller's, so a relative one would not meet.
        kwargs.setdefault("ip", os.path.join(self._socket_folder, "kernel"))
        super().__init__(**kwargs)

    def cleanup_ipc_files(self) -> None:
        super().cleanup_ipc_files()
        shutil.rmtree(self._socket_folder, ignore_errors=True)
