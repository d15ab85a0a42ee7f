/** `portcullis policy <test|explain>`: policy tooling for operators (one file per subcommand). */
import { CliError } from './common.ts';
import type { Command } from './main.ts';
import { policyExplainCommand } from './policy-explain.ts';
import { policyTestCommand } from './policy-test.ts';

const SUB: Record<string, Command> = { test: policyTestCommand, explain: policyExplainCommand };

const usage = `Usage: portcullis policy <command> [options]

Commands:
  test FILE     run policy test cases (YAML); exit 1 when any fails
  explain ...   the decision for one tool call and every rule that matched

`;

export const policyCommand: Command = {
  // main.ts prints this for any --help under \`policy\`: both subcommands' usage in full.
  get usage() {
    return [usage, policyTestCommand.usage, policyExplainCommand.usage].join('\n\n');
  },
  summary: 'test and explain the policy (policy test FILE, policy explain --config FILE --tool T)',
  async run(argv) {
    const [sub, ...rest] = argv;
    const cmd = sub ? SUB[sub] : undefined;
    if (!cmd) throw new CliError(`${sub ? `unknown policy command '${sub}'\n\n` : ''}${usage}`);
    return cmd.run(rest);
  },
};
