// API tokens (Heroku: authorizations) and, for admins, users.
import { flag } from '../args.ts';
import type { ApiSchemas } from '../api-client.ts';
import { CliError } from '../client.ts';
import type { Command } from './types.ts';

type Token = ApiSchemas['Authorization'] & { access_token?: { token: string } };
type UserRow = ApiSchemas['User'];

const userArg = (ctx: Parameters<Command['run']>[0], usage: string): string => {
  const email = ctx.args.positionals[0];
  if (!email) throw new CliError(`Usage: ${usage}`);
  return encodeURIComponent(email);
};

export const authorizationCommands: Command[] = [
  {
    name: 'authorizations',
    aliases: ['keys'],
    usage: 'paas authorizations [--json]',
    description: 'list your API tokens (ids and descriptions, never the secrets)',
    async run(ctx) {
      const list = await ctx.client().request<Token[]>('GET', '/oauth/authorizations');
      if (ctx.wantsJson()) return ctx.json(list);
      for (const t of list) ctx.out(`${t.id}  ${t.description || '-'}  ${t.scope.join(',')}${t.app ? `:${t.app.name}` : ''}  ${t.created_at}${t.expires_at ? `  expires ${t.expires_at}` : ''}`);
    },
  },
  {
    name: 'authorizations:create',
    usage: 'paas authorizations:create [--description TEXT] [--scope deploy --app APP] [--expires-in SECONDS] [--json]',
    description: 'create an API token; --scope deploy --app APP: a CI token that can only deploy that app (sources, builds, releases read); shown once',
    async run(ctx) {
      const scope = flag(ctx.args, 'scope');
      if (scope && scope !== 'deploy' && scope !== 'global') throw new CliError('--scope is deploy (one app: sources, builds, releases read) or global.');
      const app = scope === 'deploy' ? ctx.app() : undefined;
      const expires = flag(ctx.args, 'expires-in');
      if (expires !== undefined && !/^\d+$/.test(expires)) throw new CliError('--expires-in takes a number of seconds.');
      const t = await ctx.client().request<Token>('POST', '/oauth/authorizations', {
        description: flag(ctx.args, 'description') ?? '', ...(scope ? { scope: [scope] } : {}), ...(app ? { app } : {}),
        ...(expires === undefined ? {} : { expires_in: Number(expires) }),
      });
      if (ctx.wantsJson()) return ctx.json(t);
      ctx.out(`Created token ${t.id}${t.app ? ` (deploy ${t.app.name} only)` : ''}`);
      ctx.out(`Token: ${t.access_token?.token ?? ''}`);
    },
  },
  {
    name: 'authorizations:revoke',
    usage: 'paas authorizations:revoke ID',
    description: 'revoke an API token (admins: anyone\'s)',
    async run(ctx) {
      const id = ctx.args.positionals[0];
      if (!id) throw new CliError('Usage: paas authorizations:revoke ID');
      await ctx.client().request('DELETE', `/oauth/authorizations/${encodeURIComponent(id)}`);
      ctx.out(`Revoked ${id}`);
    },
  },
  {
    name: 'users:create',
    usage: 'paas users:create EMAIL [--admin] [--json]',
    description: 'create a user (admins only); prints their first API token',
    async run(ctx) {
      const email = ctx.args.positionals[0];
      if (!email) throw new CliError('Usage: paas users:create EMAIL');
      const u = await ctx.client().request<{ email: string; access_token: { token: string } }>('POST', '/users', { email, admin: ctx.args.flags.admin === true });
      if (ctx.wantsJson()) return ctx.json(u);
      ctx.out(`Created ${u.email}`);
      ctx.out(`Token: ${u.access_token.token}`);
    },
  },
  {
    name: 'users',
    usage: 'paas users [--json]',
    description: 'list users (admins only)',
    async run(ctx) {
      const list = await ctx.client().request<UserRow[]>('GET', '/users');
      if (ctx.wantsJson()) return ctx.json(list);
      for (const u of list) ctx.out(`${u.email}${u.admin ? '  admin' : ''}${u.disabled ? '  DISABLED' : ''}  ${u.created_at}`);
    },
  },
  ...(['disable', 'enable'] as const).map((verb): Command => ({
    name: `users:${verb}`,
    usage: `paas users:${verb} EMAIL`,
    description: verb === 'disable' ? 'disable a user (admins only): none of their tokens works, API or git' : 'enable a disabled user again (admins only)',
    async run(ctx) {
      const user = userArg(ctx, `paas users:${verb} EMAIL`);
      await ctx.client().request('PATCH', `/users/${user}`, { disabled: verb === 'disable' });
      ctx.out(`${verb === 'disable' ? 'Disabled' : 'Enabled'} ${ctx.args.positionals[0]}`);
    },
  })),
  {
    name: 'users:destroy',
    usage: 'paas users:destroy EMAIL',
    description: 'delete a user who owns no app, with their tokens and collaborations (admins only)',
    async run(ctx) {
      const user = userArg(ctx, 'paas users:destroy EMAIL');
      await ctx.client().request('DELETE', `/users/${user}`);
      ctx.out(`Deleted ${ctx.args.positionals[0]}`);
    },
  },
  {
    name: 'users:revoke-tokens',
    usage: 'paas users:revoke-tokens EMAIL',
    description: 'revoke every API token of a user (admins only)',
    async run(ctx) {
      const user = userArg(ctx, 'paas users:revoke-tokens EMAIL');
      const r = await ctx.client().request<{ revoked: number }>('DELETE', `/users/${user}/authorizations`);
      ctx.out(`Revoked ${r.revoked} token(s) of ${ctx.args.positionals[0]}`);
    },
  },
];
