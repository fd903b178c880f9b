import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, loadSession, logout, setUnauthorizedHandler, whoami } from './api';
import { Badge } from './components';
import { feed, useFeed } from './events';
import { DeployPage } from './pages/deploy';
import { ImageDetailPage } from './pages/image-detail';
import { ImagesPage } from './pages/images';
import { LoginPage } from './pages/login';
import { NodeDetailPage } from './pages/node-detail';
import { OverviewPage } from './pages/overview';
import { ServiceDetailPage } from './pages/service-detail';
import { href, Route, useRoute } from './router';
import type { Principal } from './types';

type AuthState = { phase: 'checking' } | { phase: 'signed-out'; message?: string } | { phase: 'signed-in'; principal: Principal };

export function App() {
  const [auth, setAuth] = useState<AuthState>(() => (loadSession() ? { phase: 'checking' } : { phase: 'signed-out' }));
  const route = useRoute();

  const signedOut = useCallback((message?: string) => {
    feed.reset();
    setAuth({ phase: 'signed-out', message });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler((error: ApiError) =>
      signedOut(error.code === 'SESSION_EXPIRED' ? 'Your session has expired. Sign in again.' : `Signed out: ${error.message}`),
    );
  }, [signedOut]);

  // a reload of the tab: the stored session is still good if whoami says so
  useEffect(() => {
    if (auth.phase !== 'checking') return;
    whoami().then(
      (principal) => setAuth({ phase: 'signed-in', principal }),
      (err: unknown) => {
        if (!(err instanceof ApiError && err.status === 401)) signedOut(err instanceof Error ? `Cannot check the session: ${err.message}` : undefined);
      },
    );
  }, [auth.phase, signedOut]);

  useEffect(() => {
    if (auth.phase !== 'signed-in') return;
    feed.start();
    return () => feed.stop();
  }, [auth.phase]);

  if (auth.phase === 'checking') return <p class="muted centered">Checking the session…</p>;
  if (auth.phase === 'signed-out') return <LoginPage message={auth.message} onSignedIn={(principal) => setAuth({ phase: 'signed-in', principal })} />;

  const onLogout = async () => {
    await logout();
    signedOut('Signed out.');
  };
  return (
    <Layout principal={auth.principal} route={route} onLogout={onLogout}>
      <Page route={route} principal={auth.principal} />
    </Layout>
  );
}

function Page({ route, principal }: { route: Route; principal: Principal }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage principal={principal} />;
    case 'node':
      return <NodeDetailPage id={route.id} principal={principal} />;
    case 'service':
      return <ServiceDetailPage name={route.name} principal={principal} />;
    case 'deploy':
      return <DeployPage principal={principal} />;
    case 'images':
      return <ImagesPage />;
    case 'image':
      return <ImageDetailPage name={route.name} principal={principal} />;
    default:
      return (
        <div class="page">
          <h1>Not found</h1>
          <p>
            Nothing at <code>{route.path}</code>. <a href={href('/')}>Back to the overview</a>.
          </p>
        </div>
      );
  }
}

function Layout({ principal, route, onLogout, children }: { principal: Principal; route: Route; onLogout: () => void; children: ComponentChildren }) {
  const { status } = useFeed();
  const section = route.page === 'deploy' ? 'deploy' : route.page === 'images' || route.page === 'image' ? 'images' : 'overview';
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href={href('/')}>
          <span class="brand-mark" aria-hidden="true" />
          Silo
        </a>
        <nav class="nav">
          <a href={href('/')} class={section === 'overview' ? 'active' : ''} data-testid="nav-overview">
            Overview
          </a>
          <a href={href('/deploy')} class={section === 'deploy' ? 'active' : ''} data-testid="nav-deploy">
            Deploy
          </a>
          <a href={href('/images')} class={section === 'images' ? 'active' : ''} data-testid="nav-images">
            Images
          </a>
        </nav>
        <div class="topbar-right">
          <span class="live" title="Live events (Server-Sent Events)" data-testid="events-status">
            <Badge value={status} />
          </span>
          <span class="whoami" data-testid="whoami">
            {principal.name} <span class="muted">({principal.role})</span>
          </span>
          <button type="button" class="button button-ghost" onClick={onLogout} data-testid="logout">
            Sign out
          </button>
        </div>
      </header>
      <main class="content">{children}</main>
    </div>
  );
}
