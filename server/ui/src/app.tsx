import { useSignedIn } from './auth.js';
import { useLive } from './live-store.js';
import { AccountsPage } from './pages/accounts-page.js';
import { AuditPage } from './pages/audit-page.js';
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
import { signOut } from './sign-in.js';

interface NavItem {
  readonly page: Route['page'];
  readonly label: string;
  readonly also: readonly string[];
  /** Shown to admins only (the server refuses the rest anyway). */
  readonly admin?: boolean;
}

const NAV: readonly NavItem[] = [
  { page: 'machines', label: 'Machines', also: ['machine'] },
  { page: 'images', label: 'Images', also: ['image'] },
  { page: 'deploy', label: 'Deploy', also: [] },
  { page: 'sessions', label: 'Sessions', also: ['session'] },
  { page: 'recovery', label: 'Recovery', also: [] },
  { page: 'accounts', label: 'Accounts', also: [], admin: true },
  { page: 'audit', label: 'Audit', also: [], admin: true },
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
    case 'accounts': return <AccountsPage />;
    case 'audit': return <AuditPage />;
    case 'login': return <LoginPage />;
  }
}

const CONNECTION_TEXT = { connecting: 'connecting…', live: 'live', offline: 'reconnecting…' } as const;

/** Who is signed in, with what role, and the way out. */
function SignedInAs() {
  const me = useSignedIn();
  if (me === null) return <a class="account" href="#/login">Sign in</a>;
  return (
    <span class="account" data-testid="signed-in">
      <span data-testid="signed-in-user">{me.user.name}</span> <span class="role">{me.user.role}</span>
      {me.via !== 'local' && <button type="button" onClick={() => void signOut()}>Sign out</button>}
    </span>
  );
}

export function App() {
  const route = useRoute();
  const { connection } = useLive();
  const me = useSignedIn();
  const isAdmin = me?.user.role === 'admin';
  return (
    <>
      <nav class="top">
        <a class="brand" href="#/machines">Rackcast</a>
        {NAV.filter((n) => !n.admin || isAdmin).map((n) => (
          <a key={n.page} href={`#/${n.page}`} class={n.page === route.page || n.also.includes(route.page) ? 'current' : ''}>{n.label}</a>
        ))}
        {me !== null && <span class={`connection connection-${connection}`} data-testid="connection">{CONNECTION_TEXT[connection]}</span>}
        <SignedInAs />
      </nav>
      <main><Page route={route} /></main>
    </>
  );
}
