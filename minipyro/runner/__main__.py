"""``python -m minipyro.runner``: the child process that runs model files
for the app and the CLI.

User code never runs in the app's process (a hung, crashing or memory-hungry model is
stopped by killing this process and its process group). The channel is the pipes this process
was started with on its stdin and stdout (see ``protocol``), moved at once to descriptors the
model cannot stumble on; the model's stdin is at end-of-file. While paused the process blocks
inside ``apply_stack`` until the next command. The user's own output (``print``, and writes to
file descriptors 1 and 2) becomes ``output`` events; the process's original stderr stays with
the parent for the interpreter's own last words (faulthandler) if it dies.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import traceback

from .breakin import BREAK_IN_SIGNAL
from .capture import FdCapture
from .entries import run
from .protocol import Channel, Commands, private_fd


def _stdin_at_end_of_file() -> None:
    """The model's ``input()`` and ``sys.stdin.read()`` see end-of-file, as under ``< /dev/null``."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(0, encoding="utf-8", closefd=False)


def main() -> None:
    # Our stdin and stdout are the protocol channel: keep them for ourselves, on descriptors far
    # from the low numbers a model (or a library it calls) writes to, closed in its subprocesses;
    # and send the descriptors the user's code writes to elsewhere.
    commands_fd, channel_fd = private_fd(0), private_fd(1)
    parent_stderr = os.fdopen(private_fd(2), "w")
    faulthandler.enable(file=parent_stderr)  # a crash's Python traceback reaches the parent
    # So does a stop's that had to terminate us (stuck in C code): it says where the model was.
    faulthandler.register(signal.SIGTERM, file=parent_stderr, all_threads=True, chain=True)
    channel = Channel(channel_fd)
    _stdin_at_end_of_file()
    commands = Commands(os.fdopen(commands_fd, encoding="utf-8", errors="replace"))
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
        try:
            if name == "run":
                run(command, channel, commands, fd_output, captures)
            elif name not in ("stop", "pause", "set_breakpoints", "capture"):
                channel.control("refused", command=name, id=command.get("id"), reason="no run is active")
        except BaseException:  # our own failure, not the model's (run() reports those as events)
            channel.control("failed", traceback=traceback.format_exc())
            os._exit(70)


if __name__ == "__main__":
    main()
