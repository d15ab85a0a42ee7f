/**
 * The bench scripts' options, read strictly: `--help` prints the script's usage; an unknown or
 * malformed option is an error that names it, followed by the usage (exit 2), never a stack trace
 * or a silent run of several minutes with the option ignored.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

function parse<const O extends ParseArgsOptionsConfig>(options: O) {
  return parseArgs({ args: process.argv.slice(2), strict: true, allowPositionals: false, options: { ...options, ...HELP } }).values;
}

export function benchArgs<const O extends ParseArgsOptionsConfig>(usage: string, options: O): ReturnType<typeof parse<O>> {
  let values: ReturnType<typeof parse<O>>;
  try {
    values = parse(options);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    process.exit(2);
  }
  if ((values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return values;
}
