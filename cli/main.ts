// paas: the command-line client. Heroku's command names; errors are one line and exit 1.
import { parseArgs } from './args.ts';
import { CliError } from './client.ts';
import { commands, findCommand } from './commands/index.ts';
import { createContext } from './context.ts';
import { errorMessage } from '../common/errors.ts';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: paas COMMAND [options]    (-a APP selects the app; --json on read commands)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.description}`),
  ].join('\n');
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  const command = findCommand(name);
  if (!command) {
    process.stderr.write(` !    ${name} is not a paas command. See \`paas help\`.\n`);
    return 1;
  }
  let args;
  try {
    args = command.parse ? command.parse(rest) : parseArgs(rest);
  } catch (err) {
    process.stderr.write(` !    ${errorMessage(err).split('\n')[0]}\n`);
    return 1;
  }
  if (args.flags.help) {
    process.stdout.write(`Usage: ${command.usage}\n\n${command.description}\n`);
    return 0;
  }
  try {
    const code = await command.run(createContext(args, env, (s) => process.stdout.write(s)));
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    const message = err instanceof CliError ? err.message : `unexpected error: ${errorMessage(err)}`;
    process.stderr.write(` !    ${message.split('\n')[0]}\n`);
    return 1;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
