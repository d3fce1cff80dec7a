// The dashboard's entry: a header and the page the path names (/dashboard/, /dashboard/apps/NAME,
// /dashboard/status). Bundled by bin/build-dashboard.ts into dashboard/dist/app.js.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { logout, me } from './api.ts';
import { AppPage } from './app-page.ts';
import { AppsPage } from './apps-page.ts';
import { Link } from './nav.ts';
import { StatusPage } from './status-page.ts';

function Page({ path }: { path: string }) {
  const app = /^\/dashboard\/apps\/([^/]+)\/?$/.exec(path);
  if (app) return html`<${AppPage} key=${app[1]} name=${decodeURIComponent(app[1])} />`;
  if (/^\/dashboard\/status\/?$/.test(path)) return html`<${StatusPage} />`;
  return html`<${AppsPage} />`;
}

function Dashboard() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const user = me();
  return html`<header class="top">
      <h1><${Link} href="/dashboard/">paas</${Link}></h1>
      <nav><${Link} href="/dashboard/">Apps</${Link}>${user.admin ? html` <${Link} href="/dashboard/status" testId="nav-status">Status</${Link}>` : ''}</nav>
      <span class="user" data-testid="user">${user.email}</span>
      <button type="button" class="small" onClick=${() => void logout()} data-testid="logout">Log out</button>
    </header>
    <main><${Page} path=${path} /></main>`;
}

const root = document.getElementById('app');
if (root) render(html`<${Dashboard} />`, root);
