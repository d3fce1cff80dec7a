// Custom domains, deploy checks, certificates, HTTPS settings.
import { Type } from '@sinclair/typebox';
import { AppRef, Nullable, Timestamp, Uuid, named, route } from './common.ts';

export const DomainSchema = named('Domain', Type.Object({
  id: Type.String(),
  hostname: Type.String({ examples: ['www.example.com'] }),
  kind: Type.Union([Type.Literal('custom'), Type.Literal('heroku')], { description: "heroku: the app's own <app>.<domain> name, as Heroku's" }),
  cname: Nullable(Type.String()),
  status: Type.String(),
  app: AppRef,
  sni_endpoint: Type.Optional(Nullable(Type.Object({ id: Uuid, name: Type.String() }, { description: 'the certificate the router presents for this hostname (picked by hostname)' }))),
  created_at: Timestamp,
}));

export const ChecksSchema = named('Checks', Type.Object({
  app: AppRef,
  health_check_path: Type.String({ examples: ['/up'] }),
  boot_timeout: Type.Integer(),
  drain_grace: Type.Integer(),
}));
export const ChecksPatch = Type.Object({
  health_check_path: Type.Optional(Nullable(Type.String())),
  boot_timeout: Type.Optional(Nullable(Type.Integer())),
  drain_grace: Type.Optional(Nullable(Type.Integer())),
}, { additionalProperties: false });

export const SniEndpointSchema = named('SniEndpoint', Type.Object({
  id: Uuid,
  name: Type.String(),
  app: AppRef,
  domains: Type.Array(Type.String()),
  ssl_cert: Type.Object({
    cert_domains: Type.Array(Type.String()), issuer: Type.String(), subject: Type.String(), starts_at: Timestamp, expires_at: Timestamp,
    acm: Type.Boolean(), self_signed: Type.Boolean(),
    'ca_signed?': Type.Boolean({ description: "Heroku's field: here, not self-signed (trust by a root store is not checked)" }),
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
}));

export const AcmSchema = named('Acm', Type.Object({
  app: AppRef,
  acm: Type.Boolean(),
  domains: Type.Array(Type.Object({ hostname: Type.String(), status: Type.String(), error: Nullable(Type.String()), updated_at: Nullable(Timestamp) })),
}));
export const SniEndpointCreateBody = Type.Object({ certificate_chain: Type.String({ description: 'PEM' }), private_key: Type.String({ description: 'PEM' }) }, { additionalProperties: false });
export const HttpsPatch = Type.Object({ redirect_https: Type.Optional(Type.Boolean()), hsts: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
export const HttpsSchema = named('Https', Type.Object({ app: AppRef, redirect_https: Type.Boolean(), hsts: Type.Boolean() }));

const A = '/apps/{app}';
export const domainsRoutes = [
  route({ method: 'get', path: `${A}/domains`, summary: 'Hostnames the app answers to', response: Type.Array(DomainSchema) }),
  route({
    method: 'post', path: `${A}/domains`, summary: 'Add a custom hostname', status: 201, response: DomainSchema,
    body: Type.Object({
      hostname: Type.String({ examples: ['www.example.com'] }),
      sni_endpoint: Type.Optional(Nullable(Type.String({ description: "Heroku's certificate choice; ignored: the router picks the app's certificate by hostname" }))),
    }, { additionalProperties: false }),
  }),
  route({ method: 'get', path: `${A}/domains/{hostname}`, summary: 'One hostname of the app, with the certificate served for it', response: DomainSchema }),
  route({
    method: 'patch', path: `${A}/domains/{hostname}`, summary: "Heroku's certificate choice for a hostname: accepted when that certificate covers it (the router picks certificates by hostname)",
    response: DomainSchema, body: Type.Object({ sni_endpoint: Nullable(Type.String({ description: 'SNI endpoint id or name' })) }, { additionalProperties: false }),
  }),
  route({ method: 'delete', path: `${A}/domains/{hostname}`, summary: 'Remove a custom hostname', response: Type.Object({ hostname: Type.String(), app: AppRef }) }),
  route({ method: 'get', path: `${A}/checks`, summary: 'Deploy checks: health_check_path (GET, any status below 500 passes), boot_timeout and drain_grace in seconds', response: ChecksSchema }),
  route({ method: 'patch', path: `${A}/checks`, summary: 'Change deploy checks (null resets to the platform default); used from the next cutover', body: ChecksPatch, response: ChecksSchema }),
  route({ method: 'get', path: `${A}/sni-endpoints`, summary: 'Certificates of the app, with their domains and expiry (never the key)', response: Type.Array(SniEndpointSchema) }),
  route({
    method: 'post', path: `${A}/sni-endpoints`, summary: 'Upload a certificate chain and its private key', status: 201, response: SniEndpointSchema,
    body: SniEndpointCreateBody,
  }),
  route({ method: 'get', path: `${A}/sni-endpoints/{id}`, summary: 'One certificate (by id or name)', response: SniEndpointSchema }),
  route({ method: 'delete', path: `${A}/sni-endpoints/{id}`, summary: 'Remove a certificate (by id or name)', response: SniEndpointSchema }),
  route({ method: 'get', path: `${A}/acm`, summary: 'Automatic certificates (ACME): on/off and status per domain', response: AcmSchema }),
  route({ method: 'post', path: `${A}/acm`, summary: 'Turn automatic certificates on (issuance starts in the background)', response: AcmSchema }),
  route({ method: 'delete', path: `${A}/acm`, summary: 'Turn automatic certificates off', response: AcmSchema }),
  route({ method: 'patch', path: `${A}/acm/refresh`, summary: 'Order missing or expiring automatic certificates now', response: AcmSchema }),
  route({ method: 'get', path: `${A}/https`, summary: 'HTTPS settings: redirect_https, hsts', response: HttpsSchema }),
  route({
    method: 'patch', path: `${A}/https`, summary: 'Change HTTPS settings', response: HttpsSchema,
    body: HttpsPatch,
  }),
];
