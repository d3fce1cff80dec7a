// Scopes of API tokens: a token without a row is global (all its user may do); a deploy token
// is limited to one app and to deploying it (controller/http/validate.ts enforces it).
import type { Db } from './db.ts';
import { hashToken } from './users.ts';

export type TokenScopeName = 'global' | 'deploy';
export interface TokenScope { scope: TokenScopeName; appId: string | null }

export const GLOBAL_SCOPE: TokenScope = { scope: 'global', appId: null };

export function setTokenScope(db: Db, tokenId: string, scope: TokenScope): void {
  db.prepare('INSERT OR REPLACE INTO token_scopes (token_id, scope, app_id) VALUES (?, ?, ?)').run(tokenId, scope.scope, scope.appId);
}

export function scopeOfToken(db: Db, token: string): TokenScope {
  const row = db.prepare('SELECT s.scope, s.app_id FROM token_scopes s JOIN tokens t ON t.id = s.token_id WHERE t.hash = ?')
    .get(hashToken(token)) as { scope: TokenScopeName; app_id: string | null } | undefined;
  return row ? { scope: row.scope, appId: row.app_id } : GLOBAL_SCOPE;
}

export function scopesOfTokens(db: Db, tokenIds: string[]): Map<string, TokenScope> {
  const out = new Map<string, TokenScope>();
  const stmt = db.prepare('SELECT scope, app_id FROM token_scopes WHERE token_id = ?');
  for (const id of tokenIds) {
    const row = stmt.get(id) as { scope: TokenScopeName; app_id: string | null } | undefined;
    out.set(id, row ? { scope: row.scope, appId: row.app_id } : GLOBAL_SCOPE);
  }
  return out;
}
