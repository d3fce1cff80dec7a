// The dashboard's two HTML documents: the login form (all an unauthenticated visitor sees) and
// the shell the bundled UI runs in. No inline script or style: the CSP forbids both.
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const head = (title: string, extra = ''): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/dashboard/assets/app.css">${extra}</head>`;

export function loginPage(opts: { loginCsrf: string; error?: string }): string {
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  return `${head('paas — log in')}
<body class="login"><main class="login-box">
<h1>paas</h1>
<form method="post" action="/dashboard/login" autocomplete="off">
<input type="hidden" name="csrf" value="${escapeHtml(opts.loginCsrf)}">
<label for="token">API token</label>
<input id="token" name="token" type="password" required autofocus >
<button type="submit">Log in</button>
${error}
<p class="hint">The API token you gave <code>paas login</code> (the password in <code>~/.netrc</code>), a new one from <code>paas authorizations:create</code>, or <code>~/.paas/admin.token</code> for the first admin.</p>
</form></main></body></html>
`;
}

export function shellPage(opts: { csrf: string; email: string; admin: boolean }): string {
  const meta = `<meta name="csrf-token" content="${escapeHtml(opts.csrf)}">`
    + `<meta name="paas-user" content="${escapeHtml(opts.email)}" data-admin="${opts.admin ? 'true' : 'false'}">`
    + '<script type="module" src="/dashboard/assets/app.js"></script>';
  return `${head('paas dashboard', meta)}
<body><div id="app"></div></body></html>
`;
}

export function notBuiltPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>paas dashboard</title></head>
<body><p>The dashboard is not built: run <code>node bin/build-dashboard.ts</code> (bin/setup does it).</p></body></html>
`;
}
