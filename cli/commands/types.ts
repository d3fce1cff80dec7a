import type { Parsed } from '../args.ts';
import type { Context } from '../context.ts';

export interface Command {
  /** topic:verb, as Heroku names it. */
  name: string;
  aliases?: string[];
  usage: string;
  description: string;
  /** Reads this command's argv instead of the common parser (`paas run` passes unknown options on). */
  parse?: (argv: string[]) => Parsed;
  /** Resolves to the exit status (0 when nothing is returned). */
  run(ctx: Context): Promise<void | number>;
}

export interface AppInfo {
  id: string; name: string; git_url: string; web_url: string; created_at: string; released_at: string | null;
  maintenance: boolean; owner: { email: string } | null; stack: { name: string };
}
