import type { Context } from '../context.ts';

export interface Command {
  /** topic:verb, as Heroku names it. */
  name: string;
  aliases?: string[];
  usage: string;
  description: string;
  /** Resolves to the exit status (0 when nothing is returned). */
  run(ctx: Context): Promise<void | number>;
}

export interface AppInfo {
  id: string; name: string; git_url: string; web_url: string; created_at: string; released_at: string | null;
  maintenance: boolean; owner: { email: string } | null; stack: { name: string };
}
