#!/bin/bash
# On a terminal, Ctrl-C reaches the whole foreground process group: the
# program gets it from the terminal, and the launcher must not send it a
# second one.  The launcher survives it and exits as the program does.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
require_launcher
require_shim
prog=$(require_prog launch_status)
command -v python3 >/dev/null || skip "no python3 for the pseudo-terminal"

out=$(python3 - "$LAUNCHER" "$prog" "$TMPDIR/ready" <<'PY'
import os, pty, select, sys, time
launcher, prog, ready = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(launcher, [launcher, "-q", prog, "count", ready])
out = b""
def drain(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                d = os.read(fd, 1024)
            except OSError:
                return False
            if not d:
                return False
            out += d
    return True
for _ in range(100):
    if os.path.exists(ready):
        break
    drain(0.05)
os.write(fd, b"\x03")          # the terminal's interrupt character
drain(5)
_, st = os.waitpid(pid, 0)
print(out.decode(errors="replace").replace("\r", ""))
print("status", os.waitstatus_to_exitcode(st))
PY
)
assert_contains "$out" "SIGINT 1" "SIGINTs the program saw for one Ctrl-C"
assert_contains "$out" "status 0" "the launcher's exit"
