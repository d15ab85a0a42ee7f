'use strict';
// V8 flags the long-running gateway (`portcullis run`) starts with, for the launcher
// (portcullis.cjs). V8 reads them when the isolate is created (v8.setFlagsFromString() later does
// not give the running context a `gc`), so they go on the command line of the gateway's process.
//
// --expose-gc: V8 keeps the pages of a heap that has shrunk in a pool and gives them back to the OS
// only on a memory-reducing GC, which an idle Node server does not get (its memory reducer keeps
// reporting "high alloc, foreground" and waits), so RSS stays at the high-water mark of the
// busiest minute. With V8's gc exposed, the gateway runs the last-resort GC itself once the event
// loop is idle after RSS has grown (src/monitor/idle-memory.ts): no cost per request. Measured
// (bench/run.ts --memory: 10,000 sessions opened, half DELETEd, half idled out) in docs/memory.md.
// (A smaller young generation, --max-semi-space-size=16, met the goal too, but cost 6-13 % CPU
// per request in more scavenges: measured and not taken.)
//
// Flags on the command line, not NODE_OPTIONS: NODE_OPTIONS would be inherited by every Node
// program the gateway starts (stdio upstream servers), which must keep their own defaults.
const HEAP_FLAGS = ['--expose-gc'];

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
