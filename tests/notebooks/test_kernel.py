"""Tests of tsinvest.notebooks.kernel: notebooks run over private local sockets, not TCP."""

from __future__ import annotations

import asyncio
import os
import stat

import pytest

from tsinvest.notebooks.kernel import PrivateKernelManager


def test_kernel_talks_over_private_sockets_and_cleans_them_up():
    async def scenario():
        manager = PrivateKernelManager(kernel_name="python3")
        folder = manager._socket_folder
        await manager.start_kernel()
        try:
            client = manager.client()
            client.start_channels()
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive("x = 6 * 7")
            client.stop_channels()
            assert reply["content"]["status"] == "ok"
            info = manager.get_connection_info()
            sockets = os.listdir(folder)
            mode = stat.S_IMODE(os.stat(folder).st_mode)
        finally:
            await manager.shutdown_kernel(now=True)
        return folder, info, sockets, mode

    folder, info, sockets, mode = asyncio.run(scenario())
    assert info["transport"] == "ipc" and info["ip"].startswith(folder + os.sep)
    assert len(sockets) >= 5  # shell, iopub, stdin, control, heartbeat
    assert mode == 0o700  # no other local user can reach the sockets
    assert not os.path.exists(folder)


def test_stopped_kernels_are_not_started_until_allowed():
    import asyncio
    import shutil

    from tsinvest.notebooks.kernel import PrivateKernelManager, allow_kernels, running_kernels, stop_kernels

    assert stop_kernels() == 0  # nothing running in this process
    manager = PrivateKernelManager(kernel_name="python3")
    try:
        with pytest.raises(RuntimeError, match="stopping"):
            asyncio.run(manager.start_kernel())
        assert running_kernels() == 0
    finally:
        allow_kernels()
        shutil.rmtree(manager._socket_folder, ignore_errors=True)
