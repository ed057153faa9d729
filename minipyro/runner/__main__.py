"""``python -m minipyro.runner``: the child process that runs model files for the app and the CLI.

User code never runs in the app's process (a hung, crashing or memory-hungry model is
stopped by killing this process). The channel is this process's pipes (see ``protocol``).
While paused the process blocks inside ``apply_stack`` until the next command. The user's
own output (``print``, and writes to file descriptors 1 and 2) becomes ``output`` events;
the process's original stderr stays with the parent for the interpreter's own last words
(faulthandler) if it dies.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys

from .breakin import BREAK_IN_SIGNAL
from .capture import FdCapture
from .entries import run
from .protocol import Channel, Commands


def main() -> None:
    # Our stdout is the protocol channel: keep it for ourselves, and send the
    # file descriptors the user's code (and C libraries) write to elsewhere.
    channel_fd = os.dup(1)
    parent_stderr = os.fdopen(os.dup(2), "w")
    faulthandler.enable(file=parent_stderr)  # a crash's Python traceback reaches the parent
    # So does a stop's that had to terminate us (stuck in C code): it says where the model was.
    faulthandler.register(signal.SIGTERM, file=parent_stderr, all_threads=True, chain=True)
    channel = Channel(channel_fd)
    commands = Commands(sys.stdin)
    signal.signal(BREAK_IN_SIGNAL, commands.break_in_handler)  # a pause reaching into plain Python
    fd_output: dict = {}  # "emit": where a run sends what C code writes to fds 1 and 2

    def emit_fd_output(stream, text):
        emit = fd_output.get("emit")
        if emit is not None:
            emit(stream, text)

    captures = [FdCapture(1, "stdout", emit_fd_output), FdCapture(2, "stderr", emit_fd_output)]
    channel.control("ready", pid=os.getpid())
    while True:
        command = commands.queue.get()
        name = command["cmd"]
        if name == "quit":
            channel.flush()
            os._exit(0)
        if name == "run":
            run(command, channel, commands, fd_output, captures)
        elif name not in ("stop", "pause", "set_breakpoints", "capture"):
            channel.control("refused", command=name, reason="no run is active")


if __name__ == "__main__":
    main()
