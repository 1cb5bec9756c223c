import { render } from 'preact';
import { App } from './app.js';
import { connectLive } from './live-socket.js';
import { liveStore } from './live-store.js';
import './styles.css';

connectLive(liveStore);
const root = document.getElementById('app');
if (root) render(<App />, root);
