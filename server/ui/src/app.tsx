import { useLive } from './live-store.js';
import { DeployPage } from './pages/deploy-page.js';
import { ImagePage } from './pages/image-page.js';
import { ImagesPage } from './pages/images-page.js';
import { LoginPage } from './pages/login-page.js';
import { MachinePage } from './pages/machine-page.js';
import { MachinesPage } from './pages/machines-page.js';
import { RecoveryPage } from './pages/recovery-page.js';
import { SessionPage } from './pages/session-page.js';
import { SessionsPage } from './pages/sessions-page.js';
import { useRoute, type Route } from './route.js';

const NAV: readonly { readonly page: Route['page']; readonly label: string; readonly also: readonly string[] }[] = [
  { page: 'machines', label: 'Machines', also: ['machine'] },
  { page: 'images', label: 'Images', also: ['image'] },
  { page: 'deploy', label: 'Deploy', also: [] },
  { page: 'sessions', label: 'Sessions', also: ['session'] },
  { page: 'recovery', label: 'Recovery', also: [] },
];

function Page({ route }: { readonly route: Route }) {
  switch (route.page) {
    case 'machines': return <MachinesPage />;
    case 'machine': return <MachinePage mac={route.mac} />;
    case 'images': return <ImagesPage />;
    case 'image': return <ImagePage name={route.name} />;
    case 'sessions': return <SessionsPage />;
    case 'session': return <SessionPage id={route.id} />;
    case 'deploy': return <DeployPage />;
    case 'recovery': return <RecoveryPage />;
    case 'login': return <LoginPage />;
  }
}

const CONNECTION_TEXT = { connecting: 'connecting…', live: 'live', offline: 'reconnecting…' } as const;

export function App() {
  const route = useRoute();
  const { connection } = useLive();
  return (
    <>
      <nav class="top">
        <a class="brand" href="#/machines">Rackcast</a>
        {NAV.map((n) => (
          <a key={n.page} href={`#/${n.page}`} class={n.page === route.page || n.also.includes(route.page) ? 'current' : ''}>{n.label}</a>
        ))}
        <span class={`connection connection-${connection}`} data-testid="connection">{CONNECTION_TEXT[connection]}</span>
      </nav>
      <main><Page route={route} /></main>
    </>
  );
}
