"""Client of the Sandlock fork template protocol (docs/fork-protocol.md), for Python templates.

    import sandlock_fork
    model = load_model()                 # once, in the template
    clone_id = sandlock_fork.serve()     # returns in every clone with its CLONE_ID
    if clone_id is None:                 # the template: the supervisor is done
        raise SystemExit(0)
    print(rollout(model, clone_id))      # a clone: stdout is its own pipe to the supervisor

The template must be single-threaded when it calls serve(): a clone is a copy of the calling thread only.
"""
import ctypes
import os
import platform
import socket
import sys

__all__ = ["serve", "FD_VARIABLE"]

FD_VARIABLE = "SANDLOCK_FORK_FD"
_CLONE_PARENT = 0x00008000
_SIGCHLD = 17
_SYS_CLONE = {"x86_64": 56, "aarch64": 220}


def serve():
    """Tells the supervisor the template is ready, then forks a clone per request.

    Returns the clone's id in each clone (CLONE_ID is set, fd 1 is its own pipe) and None in the template once the
    supervisor closes the channel. Raises OSError when not started as a fork template or on a protocol error.
    """
    variable = os.environ.get(FD_VARIABLE)
    if variable is None:
        raise OSError(107, f"not started as a Sandlock fork template: {FD_VARIABLE} is not set")
    number = _SYS_CLONE.get(platform.machine())
    if number is None:
        raise OSError(38, f"sandlock_fork: no clone syscall number for {platform.machine()}")
    control = socket.socket(fileno=int(variable))
    control.send(b"READY")
    # PyDLL keeps the GIL across the call: the clone must not start with another thread holding it.
    syscall = ctypes.PyDLL(None, use_errno=True).syscall
    syscall.restype = ctypes.c_long
    while True:
        message, fds, _, _ = socket.recv_fds(control, 64, 1)
        if not message:
            control.close()
            return None
        parts = message.split()
        if len(parts) != 2 or parts[0] != b"FORK" or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise OSError(71, f"sandlock_fork: unexpected request {message!r}")
        clone_id = int(parts[1])
        sys.stdout.flush()
        sys.stderr.flush()
        # CLONE_PARENT makes the clone the supervisor's child (os.fork cannot take the flag); the before/after hooks
        # are os.fork's, so the interpreter's locks and at-fork callbacks are treated as by os.fork.
        ctypes.pythonapi.PyOS_BeforeFork()
        pid = syscall(ctypes.c_long(number), ctypes.c_long(_CLONE_PARENT | _SIGCHLD), ctypes.c_long(0),
                      ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0))
        if pid == 0:
            ctypes.pythonapi.PyOS_AfterFork_Child()
            control.close()
            os.dup2(fds[0], 1)
            os.close(fds[0])
            os.environ["CLONE_ID"] = str(clone_id)
            del os.environ[FD_VARIABLE]
            return clone_id
        error = ctypes.get_errno()
        ctypes.pythonapi.PyOS_AfterFork_Parent()
        os.close(fds[0])
        control.send(f"CLONE {clone_id} {pid}".encode() if pid > 0 else f"FAILED {clone_id} {error}".encode())
