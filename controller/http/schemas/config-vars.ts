// Config vars: a patch sets (string) or unsets (null) keys and makes a new release.
import { Type } from '@sinclair/typebox';
import { named, Nullable, route } from './common.ts';

export const ConfigVarsSchema = named('ConfigVars', Type.Record(Type.String(), Type.String()), { DATABASE_URL: 'postgres://db/app', WEB_CONCURRENCY: '2' });
export const ConfigVarsPatch = Type.Record(Type.String(), Nullable(Type.String()), { examples: [{ WEB_CONCURRENCY: '4', OLD_KEY: null }] });

const A = '/apps/{app}';
export const configVarsRoutes = [
  route({ method: 'get', path: `${A}/config-vars`, summary: 'Config vars', response: ConfigVarsSchema }),
  route({ method: 'patch', path: `${A}/config-vars`, summary: 'Set (string) or unset (null) config vars: a new release', body: ConfigVarsPatch, response: ConfigVarsSchema }),
];
