// Last-resort cleanup: whatever the tests start (marquee servers, Chromium, temporary folders)
// registers a synchronous undo here. It runs when the process exits and on SIGINT / SIGTERM
// (Ctrl-C, or the test runner stopping the file after a timeout), so nothing outlives the tests.
import fs from 'node:fs';

const undos = new Map();
let nextId = 0;

/** Registers a synchronous cleanup; returns a function that unregisters it. */
export function onCleanup(fn) {
  const id = nextId++;
  undos.set(id, fn);
  return () => undos.delete(id);
}

function runAll() {
  for (const [id, fn] of undos) {
    undos.delete(id);
    try {
      fn();
    } catch {}
  }
}

process.on('exit', runAll);
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    runAll();
    process.exit(code);
  });
}

/** Pids of other processes whose command line contains `needle` (Linux /proc). */
export function pidsMentioning(needle) {
  const out = [];
  let names = [];
  try {
    names = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return out;
  }
  for (const name of names) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) out.push(pid);
    } catch {}
  }
  return out;
}

/** SIGKILLs the processes whose command line contains `needle` and waits (up to 2 s) until they are gone. */
export function killProcessesMentioning(needle) {
  for (const pid of pidsMentioning(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  const deadline = Date.now() + 2_000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (pidsMentioning(needle).length > 0 && Date.now() < deadline) Atomics.wait(nap, 0, 0, 50);
}
