import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { useRoleGate } from '../auth.js';
import { when } from '../format.js';
import { useLive } from '../live-store.js';
import { ErrorNote } from '../parts/badges.js';
import { RestorePlan, refusalOf } from '../parts/restore-plan.js';
import { href } from '../route.js';
import type { ImageView, RestoreView, VersionView } from '../types.js';

interface RestoreForm {
  machine: string;
  image: string;
  point: 'version' | 'at';
  version: string;
  /** A `datetime-local` value, in the browser's time zone. */
  at: string;
  /** The replacement's MAC; '' restores onto the machine itself. */
  onto: string;
}

const EMPTY: RestoreForm = { machine: '', image: '', point: 'version', version: '', at: '', onto: '' };

/** Every version of every image (read again when the image list changes); null while loading. */
function useAllVersions(images: readonly ImageView[]): readonly VersionView[] | null {
  const [versions, setVersions] = useState<readonly VersionView[] | null>(null);
  useEffect(() => {
    let current = true;
    Promise.all(images.map((i) => api<{ versions: VersionView[] }>('GET', `/api/images/${encodeURIComponent(i.name)}/versions`).then((a) => a.versions, () => [])))
      .then((lists) => { if (current) setVersions(lists.flat()); })
      .catch(() => { if (current) setVersions([]); });
    return () => { current = false; };
  }, [images]);
  return versions;
}

/** The body of POST /api/restores for the form. */
function requestBody(f: RestoreForm, dryRun: boolean): Record<string, unknown> {
  const point = f.point === 'at' ? { at: new Date(f.at).toISOString() } : f.version ? { version: Number(f.version) } : {};
  return { machine: f.machine, ...(f.image ? { image: f.image } : {}), ...point, ...(f.onto.trim() ? { onto: f.onto.trim().toLowerCase() } : {}), dryRun };
}

/** The choices the form offers: machines with captures first, the images and versions to restore from. */
function useChoices(form: RestoreForm) {
  const live = useLive();
  const versions = useAllVersions(live.images);
  return useMemo(() => {
    const captured = new Map<string, VersionView[]>();
    for (const v of versions ?? []) if (v.source.kind === 'capture' && v.source.machine) captured.set(v.source.machine, [...(captured.get(v.source.machine) ?? []), v]);
    const macs = [...new Set([...captured.keys(), ...live.machines.keys()])];
    const machines = macs.sort((a, b) => Number(captured.has(b)) - Number(captured.has(a)) || a.localeCompare(b));
    const machine = form.machine || machines[0] || '';
    const mine = (captured.get(machine) ?? []).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const image = form.image || mine[0]?.image || live.images[0]?.name || '';
    const timeline = (versions ?? []).filter((v) => v.image === image).sort((a, b) => b.version - a.version);
    const version = form.version || String(mine.find((v) => v.image === image)?.version ?? timeline[0]?.version ?? '');
    return { live, loading: versions === null, captured, machines, timeline, resolved: { ...form, machine, image, version } };
  }, [live, versions, form]);
}

function versionLabel(v: VersionView, machine: string): string {
  const from = v.source.kind === 'capture' ? (v.source.machine === machine ? 'captured from this machine' : `captured from ${v.source.machine ?? '?'}`) : v.source.kind;
  return `@${v.version} — ${when(v.createdAt)} — ${from}`;
}

/** Where a started restore's progress shows: its deploy session's page. */
function Started({ restore }: { readonly restore: RestoreView }) {
  return (
    <p class="ok" role="status" data-testid="restore-started">
      Restore {restore.id ?? ''} of {restore.image}@{restore.version} onto <span class="mono">{restore.target.mac}</span> started
      {restore.session !== null ? <>: <a href={href({ page: 'session', id: restore.session })}>session {restore.session}</a> shows its progress.</> : '.'}
      {restore.note && <span class="muted"> {restore.note}</span>}
    </p>
  );
}

/**
 * Point-in-time recovery of one machine: choose the machine, a version (or a time) and
 * optionally a replacement; the dry run shows what differs between the captured machine and
 * the target, where each NIC's settings go and the disk plan; Restore starts it. Changing the
 * form drops the plan, so what starts is what was shown.
 */
export function RecoveryPage() {
  const [form, setForm] = useState<RestoreForm>(EMPTY);
  const [plan, setPlan] = useState<RestoreView | null>(null);
  const [started, setStarted] = useState<RestoreView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const gate = useRoleGate('operator');
  const { live, loading, captured, machines, timeline, resolved } = useChoices(form);
  const change = (patch: Partial<RestoreForm>): void => {
    setForm({ ...resolved, ...patch });
    setPlan(null);
    setStarted(null);
  };
  const send = async (dryRun: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const { restore } = await api<{ restore: RestoreView }>('POST', '/api/restores', requestBody(resolved, dryRun));
      if (dryRun) setPlan(restore);
      else setStarted(restore);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const ready = resolved.machine !== '' && (resolved.point === 'at' ? resolved.at !== '' : resolved.version !== '');
  const refused = plan !== null && refusalOf(plan) !== null;
  return (
    <section>
      <header class="page-head"><h1>Recovery</h1></header>
      <form class="panel" aria-label="Restore a machine" onSubmit={(e) => { e.preventDefault(); void send(true); }}>
        <label>Machine <select name="machine" value={resolved.machine} onChange={(e) => change({ machine: e.currentTarget.value, image: '', version: '' })}>
          {machines.map((mac) => {
            const n = captured.get(mac)?.length ?? 0;
            const row = live.machines.get(mac);
            return <option key={mac} value={mac}>{mac} — {n ? `${n} captured version${n > 1 ? 's' : ''}` : 'no captures'}{row?.model ? `, ${row.model}` : ''}</option>;
          })}
        </select></label>
        {loading && <span class="muted">reading versions…</span>}
        <label>Image <select name="image" value={resolved.image} onChange={(e) => change({ image: e.currentTarget.value, version: '' })}>
          {live.images.map((i) => <option key={i.name} value={i.name}>{i.name}</option>)}
        </select></label>
        <fieldset>
          <legend>Point in time</legend>
          <label class="inline"><input type="radio" name="point" checked={resolved.point === 'version'} onChange={() => change({ point: 'version' })} /> version</label>
          <select name="version" value={resolved.version} disabled={resolved.point !== 'version'} onChange={(e) => change({ version: e.currentTarget.value })} aria-label="version">
            {timeline.map((v) => <option key={v.version} value={String(v.version)}>{versionLabel(v, resolved.machine)}</option>)}
          </select>
          <label class="inline"><input type="radio" name="point" checked={resolved.point === 'at'} onChange={() => change({ point: 'at' })} /> as it was at</label>
          <input type="datetime-local" name="at" step={1} value={resolved.at} disabled={resolved.point !== 'at'} onInput={(e) => change({ at: e.currentTarget.value })} aria-label="date and time" />
        </fieldset>
        <label>Onto <input name="onto" list="recovery-machines" value={resolved.onto} placeholder="the same machine" onInput={(e) => change({ onto: e.currentTarget.value })} class="mono" /></label>
        <datalist id="recovery-machines">{[...live.machines.keys()].filter((m) => m !== resolved.machine).map((m) => <option key={m} value={m} />)}</datalist>
        <span class="muted hint">a replacement machine: pick one or type its boot MAC</span>
        <div class="actions">
          <button type="submit" disabled={!ready || busy || gate.disabled} title={gate.title}>Show plan</button>
          <button type="button" class="primary" disabled={plan === null || refused || busy || gate.disabled || started !== null}
            title={gate.title ?? (refused ? 'the plan has refusals: resolve them first' : undefined)} onClick={() => void send(false)}>Restore</button>
        </div>
        <ErrorNote error={error} />
        {started !== null && <Started restore={started} />}
      </form>
      {plan && <RestorePlan restore={plan} />}
    </section>
  );
}
