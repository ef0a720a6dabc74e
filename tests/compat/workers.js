// Node.js for the compatibility matrix (tests/integration/compat_scripts.sh):
// the main thread and 3 worker_threads (each a V8 isolate on its own
// thread) build strings, arrays, maps and Buffers.  Prints the same lines
// every run.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

function work(id) {
  let sum = 0;
  for (let r = 0; r < 15; r++) {
    const m = new Map();
    for (let i = 0; i < 5000; i++) {
      const k = 'k' + id + '-' + ((i * 31) % 997);
      if (!m.has(k)) m.set(k, []);
      m.get(k).push(i);
    }
    const parts = [];
    for (const [k, v] of m) parts.push(k + '=' + v.length);
    const s = parts.join(';');
    const b = Buffer.alloc(64 * 1024 + r * 512, id + r);
    sum = (sum * 31 + s.length + m.size + b[b.length - 1]) % 1000000007;
  }
  return sum;
}

if (isMainThread) {
  const results = [];
  let pending = 3;
  results[0] = work(0);
  for (let id = 1; id <= 3; id++) {
    const w = new Worker(__filename, { workerData: id });
    w.on('message', (v) => { results[id] = v; });
    w.on('exit', () => {
      if (--pending === 0) {
        results.forEach((v, i) => console.log(`worker ${i}: ${v}`));
        console.log('node done');
      }
    });
  }
} else {
  parentPort.postMessage(work(workerData));
}
