import fs from 'node:fs';
import { CliError } from '../client.ts';
import type { Context } from '../context.ts';
import type { Command } from './types.ts';

interface Endpoint {
  id: string; name: string; domains: string[];
  ssl_cert: { cert_domains: string[]; issuer: string; starts_at: string; expires_at: string; acm: boolean };
}
interface Acm { acm: boolean; domains: Array<{ hostname: string; status: string; error: string | null }> }
interface HttpsSettings { redirect_https: boolean; hsts: boolean }

const day = (iso: string): string => iso.replace(/T.*/, '');

function printEndpoints(ctx: Context, app: string, list: Endpoint[]): void {
  ctx.out(`=== ${app} Certificates`);
  if (!list.length) return ctx.out('No certificates (paas certs:add CERT KEY, or paas certs:auto:enable).');
  for (const e of list) {
    ctx.out(`${e.id}  ${e.ssl_cert.acm ? 'ACM' : 'uploaded'}  expires ${day(e.ssl_cert.expires_at)}  ${e.ssl_cert.cert_domains.join(', ')}`);
    ctx.out(`    serves: ${e.domains.length ? e.domains.join(', ') : '(none of the app\'s domains)'}  issuer: ${e.ssl_cert.issuer}`);
  }
}

function readPem(file: string | undefined, what: string): string {
  if (!file) throw new CliError('Usage: paas certs:add CERT_FILE KEY_FILE [-a APP]');
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`Cannot read the ${what} file ${file}.`);
  }
}

const httpsToggle = (setting: 'redirect_https' | 'hsts', on: boolean, word: string): Command => ({
  name: `certs:${word}:${on ? 'enable' : 'disable'}`,
  usage: `paas certs:${word}:${on ? 'enable' : 'disable'} [-a APP]`,
  description: setting === 'redirect_https'
    ? (on ? 'redirect plain HTTP requests to HTTPS (308)' : 'stop redirecting plain HTTP to HTTPS')
    : (on ? 'send Strict-Transport-Security on HTTPS responses' : 'stop sending Strict-Transport-Security'),
  async run(ctx) {
    const app = ctx.app();
    const s = await ctx.client().request<HttpsSettings>('PATCH', `/apps/${app}/https`, { [setting]: on });
    if (ctx.wantsJson()) return ctx.json(s);
    ctx.out(`${on ? 'Enabling' : 'Disabling'} ${word === 'redirect' ? 'HTTPS redirect' : 'HSTS'} for ${app}... done`);
  },
});

const acmCommand = (name: string, method: 'POST' | 'DELETE' | 'PATCH', path: string, description: string, done: string): Command => ({
  name, usage: `paas ${name} [-a APP]`, description,
  async run(ctx) {
    const app = ctx.app();
    const acm = await ctx.client().request<Acm>(method, `/apps/${app}/${path}`);
    if (ctx.wantsJson()) return ctx.json(acm);
    ctx.out(`${done} for ${app}... done`);
    if (acm.acm) ctx.out('Certificates are ordered in the background: paas certs:auto shows their status.');
  },
});

export const certsCommands: Command[] = [
  {
    name: 'certs',
    usage: 'paas certs [-a APP] [--json]',
    description: 'list the app\'s certificates with their domains and expiry dates',
    async run(ctx) {
      const app = ctx.app();
      const list = await ctx.client().request<Endpoint[]>('GET', `/apps/${app}/sni-endpoints`);
      if (ctx.wantsJson()) return ctx.json(list);
      printEndpoints(ctx, app, list);
      const s = await ctx.client().request<HttpsSettings>('GET', `/apps/${app}/https`);
      ctx.out(`HTTPS redirect: ${s.redirect_https ? 'on' : 'off'}   HSTS: ${s.hsts ? 'on' : 'off'}`);
    },
  },
  {
    name: 'certs:add',
    usage: 'paas certs:add CERT_FILE KEY_FILE [-a APP]',
    description: 'upload a PEM certificate chain and its private key for the app\'s custom domains',
    async run(ctx) {
      const [certFile, keyFile] = ctx.args.positionals;
      const certificate_chain = readPem(certFile, 'certificate');
      const private_key = readPem(keyFile, 'key');
      const app = ctx.app();
      const e = await ctx.client().request<Endpoint>('POST', `/apps/${app}/sni-endpoints`, { certificate_chain, private_key });
      if (ctx.wantsJson()) return ctx.json(e);
      ctx.out(`Adding SSL certificate to ${app}... done`);
      printEndpoints(ctx, app, [e]);
    },
  },
  {
    name: 'certs:info',
    usage: 'paas certs:info ID [-a APP]',
    description: 'show one certificate',
    async run(ctx) {
      const id = ctx.args.positionals[0];
      if (!id) throw new CliError('Usage: paas certs:info ID');
      const app = ctx.app();
      const e = await ctx.client().request<Endpoint>('GET', `/apps/${app}/sni-endpoints/${encodeURIComponent(id)}`);
      if (ctx.wantsJson()) return ctx.json(e);
      printEndpoints(ctx, app, [e]);
      ctx.out(`    valid from ${e.ssl_cert.starts_at} to ${e.ssl_cert.expires_at}`);
    },
  },
  {
    name: 'certs:remove',
    usage: 'paas certs:remove ID [-a APP]',
    description: 'remove a certificate',
    async run(ctx) {
      const id = ctx.args.positionals[0];
      if (!id) throw new CliError('Usage: paas certs:remove ID');
      const app = ctx.app();
      await ctx.client().request('DELETE', `/apps/${app}/sni-endpoints/${encodeURIComponent(id)}`);
      ctx.out(`Removing SSL certificate ${id} from ${app}... done`);
    },
  },
  {
    name: 'certs:auto',
    usage: 'paas certs:auto [-a APP] [--json]',
    description: 'show automatic certificate management (ACME) status per domain',
    async run(ctx) {
      const app = ctx.app();
      const acm = await ctx.client().request<Acm>('GET', `/apps/${app}/acm`);
      if (ctx.wantsJson()) return ctx.json(acm);
      ctx.out(`=== Automatic Certificate Management is ${acm.acm ? 'enabled' : 'disabled'} on ${app}`);
      for (const d of acm.domains) ctx.out(`${d.hostname}  ${d.status}${d.error ? `  (${d.error})` : ''}`);
    },
  },
  acmCommand('certs:auto:enable', 'POST', 'acm', 'obtain and renew certificates for the app\'s custom domains (ACME HTTP-01)', 'Enabling Automatic Certificate Management'),
  acmCommand('certs:auto:disable', 'DELETE', 'acm', 'stop managing certificates automatically', 'Disabling Automatic Certificate Management'),
  acmCommand('certs:auto:refresh', 'PATCH', 'acm/refresh', 'order missing or expiring automatic certificates now', 'Refreshing certificates'),
  httpsToggle('redirect_https', true, 'redirect'),
  httpsToggle('redirect_https', false, 'redirect'),
  httpsToggle('hsts', true, 'hsts'),
  httpsToggle('hsts', false, 'hsts'),
];
