"""Runs a program in a real pseudo-terminal and measures it as an operator meets it.

usage: pty-probe.py COLS ROWS FIRST_REGEX READY_REGEX IDLE_SECONDS KEYS -- CMD ARGS...
Prints one JSON line: ms from start to the first screen matching FIRST_REGEX (the program's first
frame) and to the first matching READY_REGEX (its data on screen), the child's CPU ms
and RSS over an idle window of IDLE_SECONDS, and for each key of KEYS (one character each, sent
one at a time, PTY_PROBE_KEY_GAP seconds apart) the ms from writing it to the end of the frame it caused: output
that rewrites the selected (inverse) row, then goes quiet for 8 ms. Output still pending from the previous key is
drained first.
"""
import fcntl, json, os, pty, re, select, struct, sys, termios, time

cols, rows, first_re, ready_re, idle_s, keys = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6]
cmd = sys.argv[sys.argv.index('--') + 1:]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

def read_for(seconds, until=None):
    """Reads output for at most `seconds`; returns (bytes, time of last byte)."""
    buf, last, end = b'', None, time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return buf, last
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return buf, last
        buf += chunk
        last = time.monotonic()
        if until and until(buf):
            return buf, last

def cpu_ms(p):
    f = open(f'/proc/{p}/stat').read()
    parts = f[f.rindex(')') + 2:].split()
    return (int(parts[11]) + int(parts[12])) * 1000 / os.sysconf('SC_CLK_TCK')

def rss_mb(p):
    for line in open(f'/proc/{p}/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    return 0.0

def tree(p):
    """The child and its descendants (npm/tsx may sit between us and node)."""
    out, todo = [], [p]
    while todo:
        q = todo.pop()
        out.append(q)
        try:
            kids = open(f'/proc/{q}/task/{q}/children').read().split()
        except OSError:
            kids = []
        todo += [int(k) for k in kids]
    return out

t0 = time.monotonic()
first_rx, ready_rx = re.compile(first_re.encode()), re.compile(ready_re.encode())
screen, _ = read_for(60, until=lambda b: first_rx.search(b) is not None)
first_ms = (time.monotonic() - t0) * 1000 if first_rx.search(screen) else None
if not ready_rx.search(screen):
    more, _ = read_for(60, until=lambda b: ready_rx.search(screen + b) is not None)
    screen += more
ready_ms = (time.monotonic() - t0) * 1000 if ready_rx.search(screen) else None
read_for(5.0)  # let start-up (module loading, first data) settle
procs = tree(pid)
cpu0 = sum(cpu_ms(p) for p in procs)
w0 = time.monotonic()
idle_out, _ = read_for(idle_s)
idle_cpu = sum(cpu_ms(p) for p in procs) - cpu0
idle_wall = (time.monotonic() - w0) * 1000
rss = max(rss_mb(p) for p in procs)
lat = []
# Seconds between keys (PTY_PROBE_KEY_GAP, default 0.03): keys spread over half a minute sample
# whatever else the machine does in that time (the runner's BMC sweep), not one quiet moment.
gap = float(os.environ.get('PTY_PROBE_KEY_GAP', '0.03'))
INVERSE = b'\x1b[7m'  # the selected row: every j/k frame rewrites it
for k in keys:
    read_for(gap, until=None)  # drain: the previous frame's tail must not count for this key
    sent = time.monotonic()
    os.write(fd, k.encode())
    buf, _ = read_for(1.0, until=lambda b: INVERSE in b)
    if INVERSE not in buf:
        continue
    # The frame ends when output has been quiet for 8 ms (Ink writes a frame in one burst).
    last = time.monotonic()
    while True:
        r, _, _ = select.select([fd], [], [], 0.008)
        if not r:
            break
        os.read(fd, 65536)
        last = time.monotonic()
    lat.append((last - sent) * 1000)
os.write(fd, b'q')  # quit as an operator does, so the program exits its own way (profiles get written)
read_for(3.0, until=None)
try:
    os.kill(pid, 15)
except ProcessLookupError:
    pass
if os.environ.get('PTY_PROBE_DUMP'):
    open(os.environ['PTY_PROBE_DUMP'], 'wb').write(idle_out)
print(json.dumps({'firstMs': first_ms, 'readyMs': ready_ms, 'idleCpuMs': idle_cpu, 'idleWallMs': idle_wall, 'idleBytes': len(idle_out), 'rssMb': rss, 'keyMs': lat}))
