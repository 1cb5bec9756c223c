import { useMemo, useState } from 'preact/hooks';
import { ago, bytes } from '../format.js';
import { useLive } from '../live-store.js';
import { StateBadge } from '../parts/badges.js';
import { href } from '../route.js';
import type { MachineRow } from '../types.js';

function matches(m: MachineRow, filter: string): boolean {
  if (filter === '') return true;
  const f = filter.toLowerCase();
  return m.mac.includes(f) || m.state.includes(f) || m.model.toLowerCase().includes(f) || m.serial.toLowerCase().includes(f);
}

function disks(sizes: readonly number[]): string {
  return sizes.length === 0 ? '–' : sizes.map(bytes).join(', ');
}

/** Every machine the server knows, kept current by the events socket. */
export function MachinesPage() {
  const live = useLive();
  const [filter, setFilter] = useState('');
  const rows = useMemo(() => [...live.machines.values()].filter((m) => matches(m, filter.trim())), [live.machines, filter]);
  const online = useMemo(() => [...live.machines.values()].filter((m) => m.online).length, [live.machines]);
  const now = Date.now();
  return (
    <section>
      <header class="page-head">
        <h1>Machines</h1>
        <span class="muted" data-testid="machine-count">{live.machines.size} machines, {online} online</span>
        <input type="search" placeholder="Filter by MAC, state, model, serial" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} aria-label="Filter machines" />
      </header>
      {!live.ready ? <p class="muted">Loading…</p> : live.machines.size === 0 ? (
        <p class="muted">No machines yet. A machine appears here when it network-boots the agent.</p>
      ) : (
        <table class="grid-table" data-testid="machines-table">
          <thead>
            <tr><th>MAC</th><th>State</th><th>Last seen</th><th>Model</th><th class="num">CPUs</th><th class="num">Memory</th><th>Disks</th><th>Job</th></tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.mac} data-mac={m.mac}>
                <td class="mono"><a href={href({ page: 'machine', mac: m.mac })}>{m.mac}</a></td>
                <td><StateBadge state={m.state} /></td>
                <td>{m.online ? 'online' : ago(m.lastSeen, now)}</td>
                <td>{m.model || '–'}</td>
                <td class="num">{m.cpus || '–'}</td>
                <td class="num">{m.memoryBytes ? bytes(m.memoryBytes) : '–'}</td>
                <td>{disks(m.disks)}</td>
                <td>{m.jobSession !== null ? <a href={href({ page: 'session', id: m.jobSession })}>{m.job} #{m.jobSession}</a> : m.job}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
