import { CliError } from '../client.ts';
import type { Command } from './types.ts';

interface NodeInfo { id: string; name: string; address: string; role: string; state: string; availability: string; dynos: number; self: boolean }

/** Rows as aligned columns. */
export function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd());
}

const setAvailability = (availability: 'drain' | 'active', verb: string): Command => ({
  name: `nodes:${availability === 'drain' ? 'drain' : 'activate'}`,
  usage: `paas nodes:${availability === 'drain' ? 'drain' : 'activate'} NODE`,
  description: availability === 'drain'
    ? 'move every dyno off a node (each replaced elsewhere before it stops), then take none (admin)'
    : 'let a drained node take dynos again (admin)',
  async run(ctx) {
    const node = ctx.args.positionals[0];
    if (!node) throw new CliError(`Usage: paas nodes:${availability === 'drain' ? 'drain' : 'activate'} NODE (a name or id from paas nodes)`);
    const n = await ctx.client().request<NodeInfo>('PATCH', `/nodes/${encodeURIComponent(node)}`, { availability });
    if (ctx.wantsJson()) return ctx.json(n);
    ctx.out(`${verb} ${n.name}... done, ${n.availability}, ${n.dynos} dyno(s) on it`);
  },
});

export const nodesCommands: Command[] = [
  {
    name: 'nodes',
    aliases: ['nodes:list'],
    usage: 'paas nodes [--json]',
    description: 'list the machines dynos run on, with state, availability and dyno count (admin)',
    async run(ctx) {
      const nodes = await ctx.client().request<NodeInfo[]>('GET', '/nodes');
      if (ctx.wantsJson()) return ctx.json(nodes);
      const rows = [['NAME', 'ROLE', 'STATE', 'AVAILABILITY', 'DYNOS', 'ADDRESS', 'ID']];
      for (const n of nodes) rows.push([`${n.name}${n.self ? ' *' : ''}`, n.role, n.state, n.availability, String(n.dynos), n.address, n.id]);
      for (const line of columns(rows)) ctx.out(line);
    },
  },
  setAvailability('drain', 'Draining'),
  setAvailability('active', 'Activating'),
];
