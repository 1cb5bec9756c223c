import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { ago, bytes, when } from '../format.js';
import { useLive } from '../live-store.js';
import { ErrorNote, StateBadge } from '../parts/badges.js';
import { CapturedVersions } from '../parts/captured-versions.js';
import { href } from '../route.js';
import type { MachineDetail, MachineProfile } from '../types.js';

function Profile({ profile }: { readonly profile: MachineProfile }) {
  const { system: s, firmware: f, cpu } = profile;
  return (
    <>
      <dl class="facts">
        <dt>System</dt><dd>{[s.vendor, s.model].filter(Boolean).join(' ') || '–'}</dd>
        <dt>Serial</dt><dd class="mono">{s.serial || '–'}</dd>
        <dt>UUID</dt><dd class="mono">{s.uuid || '–'}</dd>
        <dt>Firmware</dt><dd>{f.mode}{f.vendor ? `, ${f.vendor} ${f.version}` : ''}{f.secureBoot ? ', Secure Boot' : ''}</dd>
        <dt>CPU</dt><dd>{cpu.model || cpu.architecture} — {cpu.sockets} sockets, {cpu.cores} cores, {cpu.threads} threads</dd>
        <dt>Memory</dt><dd>{bytes(profile.memory.totalBytes)}</dd>
        <dt>Detected</dt><dd>{when(profile.detectedAt)}</dd>
      </dl>
      <h3>Disks</h3>
      <table class="grid-table">
        <thead><tr><th>Name</th><th class="num">Size</th><th>Model</th><th>Serial</th><th>WWN</th><th>Transport</th><th>Removable</th></tr></thead>
        <tbody>
          {profile.disks.map((d) => (
            <tr key={d.name}><td class="mono">{d.name}</td><td class="num">{bytes(d.sizeBytes)}</td><td>{d.model || '–'}</td><td class="mono">{d.serial || '–'}</td><td class="mono">{d.wwn || '–'}</td><td>{d.transport || '–'}</td><td>{d.removable ? 'yes' : 'no'}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Network interfaces</h3>
      <table class="grid-table">
        <thead><tr><th>Name</th><th>MAC</th><th>Driver</th><th>Speed</th><th>State</th><th>Addresses</th></tr></thead>
        <tbody>
          {profile.nics.map((n) => (
            <tr key={n.name}><td class="mono">{n.name}</td><td class="mono">{n.mac}</td><td>{n.driver || '–'}</td><td>{n.speedMbps === null ? '–' : `${n.speedMbps} Mb/s`}</td><td>{n.operstate}</td><td class="mono">{n.addresses.join(', ') || '–'}</td></tr>
          ))}
        </tbody>
      </table>
      {profile.problems.length > 0 && (<><h3>Detection problems</h3><ul>{profile.problems.map((p) => <li key={p}>{p}</li>)}</ul></>)}
    </>
  );
}

/** One machine: its profile, job and event log. Read from the API again whenever the socket says it changed. */
export function MachinePage({ mac }: { readonly mac: string }) {
  const live = useLive();
  const row = live.machines.get(mac);
  const images = live.images;
  const [machine, setMachine] = useState<MachineDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api<{ machine: MachineDetail }>('GET', `/api/machines/${encodeURIComponent(mac)}`)
      .then((answer) => { if (current) { setMachine(answer.machine); setError(null); } })
      .catch((err: unknown) => { if (current) setError(describeError(err)); });
    return () => { current = false; };
  }, [mac, row]);
  return (
    <section>
      <header class="page-head">
        <h1 class="mono">{mac}</h1>
        {machine && <StateBadge state={machine.state} />}
        {machine && <span class="muted">{machine.online ? 'online' : `last seen ${ago(machine.lastSeen)}`}</span>}
      </header>
      <ErrorNote error={error} />
      {machine && (
        <>
          <dl class="facts">
            <dt>Job</dt>
            <dd>{machine.job.action}{machine.job.deploy && <> — <a href={href({ page: 'session', id: machine.job.deploy.sessionId })}>session {machine.job.deploy.sessionId}</a></>} (set {ago(machine.job.setAt)})</dd>
            <dt>Last boot</dt><dd>{machine.lastBoot ? `${when(machine.lastBoot.at)}, ${machine.lastBoot.platform} ${machine.lastBoot.buildarch}` : '–'}</dd>
            <dt>Agent</dt><dd>{machine.agentVersion ?? '–'}</dd>
            <dt>First seen</dt><dd>{when(machine.firstSeen)}</dd>
          </dl>
          <h2>Profile</h2>
          {machine.profile ? <Profile profile={machine.profile} /> : <p class="muted">No profile yet: the agent uploads one when the machine network-boots.</p>}
          <h2>Captured versions</h2>
          <CapturedVersions mac={mac} images={images} />
          <h2>Event log</h2>
          <table class="grid-table" data-testid="event-log">
            <thead><tr><th>When</th><th>Event</th><th>Detail</th></tr></thead>
            <tbody>
              {[...machine.events].reverse().map((e, i) => <tr key={`${e.at}-${i}`}><td>{when(e.at)}</td><td>{e.event}</td><td>{e.detail}</td></tr>)}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
