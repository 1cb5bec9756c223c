import { render } from 'preact';
import { App } from './app.js';
import { connectLive, reconnectLive } from './live-socket.js';
import { liveStore } from './live-store.js';
import { loadSignedIn } from './sign-in.js';
import './styles.css';

connectLive(liveStore, { onRefused: async () => (await loadSignedIn()) !== null });
// The socket opens once the server says who this is; without a login the sign-in page opens instead.
void loadSignedIn().then((me) => { if (me !== null) reconnectLive(); });
const root = document.getElementById('app');
if (root) render(<App />, root);
