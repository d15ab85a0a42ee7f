'use strict';
// V8 heap flags the long-running gateway (`portcullis run`) starts with, for the launcher
// (portcullis.cjs). They size the heap when the isolate is created: v8.setFlagsFromString() later
// has no effect on them, so they must be on the command line of the process that runs the gateway.
//
// --max-semi-space-size=16: Node 24 (V8 13.6) raised the young generation's cap from 16 MiB to
// 64 MiB per semi-space on builds without pointer compression (Node's), a 128 MiB new space. V8
// keeps the pages of a heap that has shrunk in a pool and gives them back to the OS only on a
// memory-reducing GC, which an idle Node server does not get (its memory reducer keeps reporting
// "high alloc, foreground" and waits), so RSS stays at the heap's high-water mark: a burst of
// sessions that fills the young generation once keeps up to 128 MiB resident for good. 16 MiB is
// the cap Node 20-23 had (nodejs/node#61967; Node 20 measured here: a 32 MiB new space).
// Measured (bench/run.ts --memory: 10,000 sessions opened, half DELETEd, half idled out): RSS
// after ÷ before 1.31 -> 1.16-1.17 (G), 1.46 -> 1.14-1.15 (G-min), for some CPU per request
// (+10-13 % at 1 KB, +6-7 % at 16 KB: more scavenges); docs/memory.md.
//
// Flags on the command line, not NODE_OPTIONS: NODE_OPTIONS would be inherited by every Node
// program the gateway starts (stdio upstream servers), which must keep their own defaults.
const HEAP_FLAGS = ['--max-semi-space-size=16'];

/** The commands that run the gateway for as long as it serves. */
const SERVING = new Set(['run']);

const flagName = (arg) => arg.split('=')[0].replace(/_/g, '-');

/**
 * The heap flags to add for a CLI invocation (`args`: its arguments after the script), leaving
 * out any the operator set already (node's own arguments or NODE_OPTIONS): theirs wins.
 */
function heapFlags(args, execArgv, nodeOptions) {
  if (!SERVING.has(args[0])) return [];
  const set = new Set([...execArgv, ...(nodeOptions || '').split(/\s+/)].filter(Boolean).map(flagName));
  return HEAP_FLAGS.filter((f) => !set.has(flagName(f)));
}

module.exports = { heapFlags, HEAP_FLAGS };
