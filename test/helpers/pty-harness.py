# A pseudo-terminal for tests: runs a command on a new PTY of COLS x ROWS, relays this
# process's stdin to the terminal as typed keys and the terminal's output to stdout.
# SIGUSR1 resizes the terminal to COLS2 x ROWS2 (the kernel sends SIGWINCH to the command).
# At the end it prints "[pty: canonical echo on]" or "[pty: left raw]" (whether the command put
# the terminal back as it found it) and exits with the command's status.
# Usage: python3 pty-harness.py COLS ROWS COLS2 ROWS2 COMMAND ARGS...
import fcntl, os, pty, select, signal, struct, sys, termios

cols, rows, cols2, rows2 = (int(a) for a in sys.argv[1:5])
command = sys.argv[5:]

def set_size(fd, c, r):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))

pid, master = pty.fork()
if pid == 0:
    set_size(0, cols, rows)
    os.execvp(command[0], command)

signal.signal(signal.SIGUSR1, lambda *_: set_size(master, cols2, rows2))
stdin_open = True
lflag = None
while True:
    try:
        readable, _, _ = select.select([master] + ([0] if stdin_open else []), [], [], 0.2)
    except InterruptedError:
        continue
    if master in readable:
        try:
            data = os.read(master, 65536)
        except OSError:
            break  # EIO: the command and everything on the terminal are gone
        if not data:
            break
        os.write(1, data)
    if 0 in readable:
        data = os.read(0, 65536)
        if data:
            os.write(master, data)
        else:
            stdin_open = False

_, status = os.waitpid(pid, 0)
try:
    lflag = termios.tcgetattr(master)[3]  # the terminal's modes as the command left them
except termios.error:
    pass
canonical = lflag is not None and lflag & termios.ICANON and lflag & termios.ECHO
os.write(1, b'\n[pty: canonical echo on]\n' if canonical else b'\n[pty: left raw]\n')
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, 'waitstatus_to_exitcode') else status >> 8)
