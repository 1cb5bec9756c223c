import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { useRoleGate } from '../auth.js';
import { bytes } from '../format.js';
import { useLive } from '../live-store.js';
import { ErrorNote, StateBadge } from '../parts/badges.js';
import { PlanList } from '../parts/plan-list.js';
import { href } from '../route.js';
import type { DryRunAnswer, SessionView, VersionView } from '../types.js';

interface DeployForm {
  image: string;
  version: string;
  mode: 'machines' | 'count';
  machines: readonly string[];
  count: number;
  hostnamePattern: string;
  nics: 'boot-dhcp' | 'all-dhcp';
  rate: string;
}

/** The body of POST /api/deploys for the form. */
function requestBody(f: DeployForm, dryRun: boolean): Record<string, unknown> {
  return {
    image: f.version === 'latest' ? f.image : `${f.image}@${f.version}`,
    ...(f.mode === 'machines' ? { machines: f.machines } : { count: f.count }),
    ...(f.hostnamePattern.trim() ? { hostnamePattern: f.hostnamePattern.trim() } : {}),
    nics: f.nics,
    ...(f.rate.trim() ? { rate: f.rate.trim() } : {}),
    dryRun,
  };
}

function useVersions(image: string): readonly VersionView[] {
  const [versions, setVersions] = useState<readonly VersionView[]>([]);
  useEffect(() => {
    if (image === '') return;
    let current = true;
    api<{ versions: VersionView[] }>('GET', `/api/images/${encodeURIComponent(image)}/versions`)
      .then((a) => { if (current) setVersions(a.versions); })
      .catch(() => { if (current) setVersions([]); });
    return () => { current = false; };
  }, [image]);
  return versions;
}

/**
 * A deploy in two steps: the plans first (the API's dry run: target disk, partition changes and
 * host name per machine, or why a machine is refused), then the start. Changing the form drops
 * the plans, so what starts is what was shown.
 */
export function DeployPage() {
  const live = useLive();
  const [form, setForm] = useState<DeployForm>({ image: '', version: 'latest', mode: 'machines', machines: [], count: 1, hostnamePattern: '', nics: 'boot-dhcp', rate: '' });
  const [plans, setPlans] = useState<DryRunAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const gate = useRoleGate('operator');
  const image = form.image || live.images[0]?.name || '';
  const versions = useVersions(image);
  const machines = useMemo(() => [...live.machines.values()].sort((a, b) => Number(b.online) - Number(a.online) || a.mac.localeCompare(b.mac)), [live.machines]);
  const change = (patch: Partial<DeployForm>): void => {
    setForm({ ...form, image, ...patch });
    setPlans(null);
  };
  const toggle = (mac: string, on: boolean): void => change({ machines: on ? [...form.machines, mac] : form.machines.filter((m) => m !== mac) });
  const send = async (dryRun: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const body = requestBody({ ...form, image }, dryRun);
      if (dryRun) setPlans(await api<DryRunAnswer>('POST', '/api/deploys', body));
      else location.hash = href({ page: 'session', id: (await api<{ session: SessionView }>('POST', '/api/deploys', body)).session.id });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const ready = image !== '' && (form.mode === 'count' ? form.count > 0 : form.machines.length > 0);
  return (
    <section>
      <header class="page-head"><h1>Deploy</h1></header>
      <form class="panel" aria-label="Deploy" onSubmit={(e) => { e.preventDefault(); void send(true); }}>
        <label>Image <select name="image" value={image} onChange={(e) => change({ image: e.currentTarget.value, version: 'latest' })}>
          {live.images.map((i) => <option key={i.name} value={i.name}>{i.name}</option>)}
        </select></label>
        <label>Version <select name="version" value={form.version} onChange={(e) => change({ version: e.currentTarget.value })}>
          <option value="latest">newest</option>
          {[...versions].reverse().map((v) => <option key={v.version} value={String(v.version)}>@{v.version} — {bytes(v.usedBytes)}</option>)}
        </select></label>
        <fieldset>
          <legend>Machines</legend>
          <label class="inline"><input type="radio" name="mode" checked={form.mode === 'machines'} onChange={() => change({ mode: 'machines' })} /> these machines</label>
          <label class="inline"><input type="radio" name="mode" checked={form.mode === 'count'} onChange={() => change({ mode: 'count' })} /> the next</label>
          <input type="number" name="count" min={1} max={1000} value={form.count} disabled={form.mode !== 'count'} onInput={(e) => change({ count: Number(e.currentTarget.value) })} aria-label="how many machines" /> that boot
          {form.mode === 'machines' && (
            <div class="pick-list" data-testid="machine-picker">
              {machines.length === 0 && <p class="muted">No machines yet.</p>}
              {machines.map((m) => (
                <label key={m.mac} class="pick">
                  <input type="checkbox" value={m.mac} checked={form.machines.includes(m.mac)} onChange={(e) => toggle(m.mac, e.currentTarget.checked)} />
                  <span class="mono">{m.mac}</span> <StateBadge state={m.state} /> <span class="muted">{m.model || 'no profile yet'}{m.disks.length ? `, disks ${m.disks.map(bytes).join(', ')}` : ''}</span>
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <label>Host names <input name="hostname-pattern" value={form.hostnamePattern} placeholder="{image}-{n}" onInput={(e) => change({ hostnamePattern: e.currentTarget.value })} /></label>
        <span class="muted hint">{'{n}'} member number, {'{mac}'}, {'{serial}'}, {'{image}'}</span>
        <label>NICs <select name="nics" value={form.nics} onChange={(e) => change({ nics: e.currentTarget.value === 'all-dhcp' ? 'all-dhcp' : 'boot-dhcp' })}>
          <option value="boot-dhcp">DHCP on the boot NIC</option><option value="all-dhcp">DHCP on every NIC</option>
        </select></label>
        <label>Rate <input name="rate" value={form.rate} placeholder="server default" onInput={(e) => change({ rate: e.currentTarget.value })} /></label>
        <div class="actions">
          <button type="submit" disabled={!ready || busy || gate.disabled} title={gate.title}>Show plans</button>
          <button type="button" class="primary" disabled={plans === null || busy || gate.disabled} title={gate.title} onClick={() => void send(false)}>Start deploy</button>
        </div>
        <ErrorNote error={error} />
      </form>
      {plans && <PlanList answer={plans} count={form.mode === 'count' ? form.count : null} />}
    </section>
  );
}
