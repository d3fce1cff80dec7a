import type { AppInfo, Command } from './types.ts';

const toggle = (on: boolean): Command => ({
  name: `maintenance:${on ? 'on' : 'off'}`,
  usage: `paas maintenance:${on ? 'on' : 'off'} [-a APP]`,
  description: on ? 'serve a maintenance page (503) instead of the app' : 'serve the app again',
  async run(ctx) {
    const app = ctx.app();
    await ctx.client().request<AppInfo>('PATCH', `/apps/${app}`, { maintenance: on });
    ctx.out(`${on ? 'Enabling' : 'Disabling'} maintenance mode for ${app}... done`);
  },
});

export const maintenanceCommands: Command[] = [
  {
    name: 'maintenance',
    usage: 'paas maintenance [-a APP]',
    description: 'show whether maintenance mode is on',
    async run(ctx) {
      const app = await ctx.client().request<AppInfo>('GET', `/apps/${ctx.app()}`);
      ctx.out(app.maintenance ? 'on' : 'off');
    },
  },
  toggle(true),
  toggle(false),
];
