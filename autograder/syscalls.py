"""The system calls a sandboxed submission may not make, compiled to a seccomp BPF program.

Namespaces do not cover everything: the kernel keyring, for one, is shared by every process of
a user. So every sandboxed child (fork server, one-shot bubblewrap sandbox, or the weak
fallback) first joins a new anonymous session keyring (`new_session_keyring`) and then runs
under this filter. The program is compiled once per grader process with libseccomp (through
its ctypes bindings, `pyseccomp`) for the machine's own architecture; a call from any other
architecture (for example the x32 ABI or 32-bit compatibility calls on x86_64) kills the
process. A denied call fails with EPERM (ENOSYS for clone3, so that the C library falls back to
clone, whose flags the filter can read).

`DENIED` is the list, with the reason for each entry; the instructors' page quotes it.

Standalone on purpose: the in-box code (autograder/fork_parent.py) imports `install` and
`new_session_keyring` from this file inside the sandbox, where the `autograder` package is not
visible; only `bpf_program` (grader side) needs libseccomp's bindings.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import tempfile
from functools import lru_cache

# name -> why a submission never needs it
DENIED: dict[str, str] = {
    "keyctl": "reads and writes kernel keyrings, which namespaces do not separate",
    "add_key": "creates keys in a kernel keyring shared with the host user",
    "request_key": "looks up (and may upcall for) keys in shared keyrings",
    "ptrace": "inspects or controls another process (the supervisor, another run)",
    "process_vm_readv": "reads another process's memory",
    "process_vm_writev": "writes another process's memory",
    "perf_event_open": "kernel performance counters: side channels and a large kernel attack surface",
    "bpf": "loads programs into the kernel",
    "userfaultfd": "used to win kernel race conditions in exploits",
    "mount": "changes the sandbox's view of the file system",
    "umount2": "removes mounts that hide host files",
    "pivot_root": "changes the root of the mount namespace",
    "chroot": "changes the root directory",
    "fsopen": "new mount API (file system contexts)",
    "fsconfig": "new mount API",
    "fsmount": "new mount API",
    "fspick": "new mount API",
    "move_mount": "new mount API",
    "open_tree": "new mount API (clones mounts)",
    "mount_setattr": "changes mount flags (for example read-only)",
    "unshare": "creates new namespaces (user namespaces give capabilities inside)",
    "setns": "joins other namespaces",
    "kexec_load": "replaces the running kernel",
    "kexec_file_load": "replaces the running kernel",
    "init_module": "loads kernel modules",
    "finit_module": "loads kernel modules",
    "delete_module": "unloads kernel modules",
    "open_by_handle_at": "opens files by handle, bypassing the mount view (a known container escape)",
    "name_to_handle_at": "the other half of open_by_handle_at",
    "io_uring_setup": "io_uring: a large kernel attack surface, and its operations bypass seccomp",
    "io_uring_enter": "io_uring",
    "io_uring_register": "io_uring",
    "kcmp": "compares kernel objects of other processes",
    "syslog": "reads the kernel log",
    "acct": "switches process accounting on host files",
    "swapon": "changes swap",
    "swapoff": "changes swap",
    "reboot": "reboots or halts",
    "settimeofday": "changes the clock",
    "clock_settime": "changes the clock",
    "clock_adjtime": "changes the clock",
    "adjtimex": "changes the clock",
    "sethostname": "changes the host name",
    "setdomainname": "changes the domain name",
    "quotactl": "changes disk quotas",
    "lookup_dcookie": "kernel profiling internals",
    "iopl": "raw port input/output",
    "ioperm": "raw port input/output",
    "vhangup": "hangs up the terminal",
    "personality": "switches execution domains (was used to disable address randomisation)",
    "uselib": "obsolete shared-library loader",
    "nfsservctl": "obsolete NFS server control",
}
# clone with any of these flags would make new namespaces just as unshare does
CLONE_NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000, "CLONE_NEWTIME": 0x00000080,
}
ENOSYS_CALLS = {"clone3": "its flags live in memory the filter cannot read; the C library "
                          "falls back to clone, whose namespace flags are denied"}

KEYCTL_JOIN_SESSION_KEYRING = 1
_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}


class FilterUnavailable(RuntimeError):
    """libseccomp (or its Python bindings) is missing: the sandbox cannot filter system calls."""


@lru_cache(maxsize=1)
def bpf_program() -> bytes:
    """The compiled filter (raw `struct sock_filter` array) for this machine's architecture."""
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError) as exc:   # OSError: libseccomp.so.2 missing
        raise FilterUnavailable(
            f"cannot build the system-call filter ({exc}); install libseccomp2 (Debian) and the "
            "Python package pyseccomp (`pip install pyseccomp`)") from exc
    filt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    # other architectures' calls are killed (the default "bad arch" action of libseccomp)
    for name in DENIED:
        try:
            filt.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (OSError, ValueError, RuntimeError):
            pass        # a call that this architecture does not have
    for name in ENOSYS_CALLS:
        try:
            filt.add_rule(seccomp.ERRNO(errno.ENOSYS), name)
        except (OSError, ValueError, RuntimeError):
            pass
    for flag in CLONE_NAMESPACE_FLAGS.values():
        filt.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    with tempfile.TemporaryFile() as fh:
        filt.export_bpf(fh)
        fh.seek(0)
        program = fh.read()
    if not program or len(program) % 8:
        raise FilterUnavailable("libseccomp produced no filter program")
    return program


def program_fd() -> int:
    """A readable descriptor holding the program, for bubblewrap's `--seccomp FD` (caller closes)."""
    read_end, write_end = os.pipe()
    data = bpf_program()
    if len(data) > 60000:   # a pipe buffer holds 64 KiB; the program is a few hundred bytes
        os.close(read_end)
        os.close(write_end)
        raise FilterUnavailable("the filter program is too large for a pipe")
    os.write(write_end, data)
    os.close(write_end)
    # above the descriptors a sandboxed child is given (the result pipe becomes fd 3)
    high = fcntl.fcntl(read_end, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(read_end)
    return high


def new_session_keyring() -> None:
    """Join a new anonymous session keyring (so the inherited one is no longer reachable)."""
    libc = ctypes.CDLL(None, use_errno=True)
    number = _SYS_KEYCTL.get(os.uname().machine)
    if number is None:
        raise OSError(errno.ENOSYS, f"keyctl: unknown system call number on {os.uname().machine}")
    libc.syscall.restype = ctypes.c_long
    if libc.syscall(ctypes.c_long(number), ctypes.c_long(KEYCTL_JOIN_SESSION_KEYRING),
                    ctypes.c_void_p(None)) < 0:
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EPERM, errno.EACCES):
            return      # keyrings are not reachable from here at all (an outer filter, no support)
        raise OSError(err, f"could not join a new session keyring: {os.strerror(err)}")


def install(program: bytes) -> None:
    """prctl(PR_SET_NO_NEW_PRIVS) then prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, program)."""
    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(program, len(program))
    prog = SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.prctl(38, 1, 0, 0, 0) != 0:       # PR_SET_NO_NEW_PRIVS
        err = ctypes.get_errno()
        raise OSError(err, f"no_new_privs: {os.strerror(err)}")
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:   # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {os.strerror(err)}")
