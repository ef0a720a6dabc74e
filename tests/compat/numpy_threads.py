# Python 3 for the compatibility matrix (tests/integration/compat_scripts.sh):
# 4 threads, each building dicts and strings in the interpreter and numpy
# arrays (numpy allocates their data with malloc and releases the GIL in
# its loops).  Prints the same lines every run.
import threading

import numpy as np


def work(k, out):
    d = {str(i): [i] * (i % 7) for i in range(20000)}
    s = "".join(sorted(d))[:1000]
    a = np.arange(200000, dtype=np.float64) * (k + 1)
    for _ in range(20):
        b = np.sqrt(a) + np.sin(a)
        a = a[::-1].copy()
    m = np.outer(np.arange(200), np.arange(200) + k) % 97
    out[k] = (len(d), len(s), round(float(b.sum()), 3), int(m.sum()))


out = {}
ts = [threading.Thread(target=work, args=(k, out)) for k in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for k in sorted(out):
    print(k, out[k])
print("numpy", np.__version__.split(".")[0])
