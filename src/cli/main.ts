/**
 * `portcullis <command>`: one file per command; this file only dispatches and prints help.
 */
import { alertsCommand } from './alerts.ts';
import { approvalsCommand } from './approvals.ts';
import { auditCommand } from './audit.ts';
import { checkCommand } from './check.ts';
import { demoCommand } from './demo.ts';
import { doctorCommand } from './doctor.ts';
import { keysCommand } from './keys.ts';
import { lockdownCommand } from './lockdown.ts';
import { reportCommand } from './report.ts';
import { revokeCommand } from './revoke.ts';
import { serverCommand } from './server.ts';
import { pinsCommand } from './pins.ts';
import { policyCommand } from './policy.ts';
import { quarantineCommand } from './quarantine.ts';
import { runCommand } from './run.ts';
import { wrapCommand } from './wrap.ts';
import { CliError } from './common.ts';

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  wrap: wrapCommand,
  check: checkCommand,
  demo: demoCommand,
  doctor: doctorCommand,
  audit: auditCommand,
  report: reportCommand,
  alerts: alertsCommand,
  approvals: approvalsCommand,
  lockdown: lockdownCommand,
  revoke: revokeCommand,
  server: serverCommand,
  keys: keysCommand,
  policy: policyCommand,
  pins: pinsCommand,
  quarantine: quarantineCommand,
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'portcullis — a zero-trust security gateway for the Model Context Protocol',
    '',
    'Usage: portcullis <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'portcullis <command> --help' for a command's options.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(mainHelp() + '\n');
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write('portcullis 0.1.0\n');
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    process.stderr.write(`portcullis: unknown command '${cmd}'\n\n${mainHelp()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const dd = rest.indexOf('--');
    const before = dd === -1 ? rest : rest.slice(0, dd);
    if (before.includes('--help') || before.includes('-h')) {
      process.stdout.write(`${command.usage}\n`);
      return 0;
    }
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (err instanceof CliError) {
      process.stderr.write(`portcullis: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`portcullis: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 70;
    }
  },
);
