import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { useRoleGate } from '../auth.js';
import { bytes, when } from '../format.js';
import { useLive } from '../live-store.js';
import { ErrorNote } from '../parts/badges.js';
import { ConfirmButton } from '../parts/confirm-button.js';
import { VersionTimeline, dedupRatio } from '../parts/version-timeline.js';
import type { VersionView } from '../types.js';

function source(v: VersionView): string {
  const s = v.source;
  if (s.kind === 'import') return `import of ${s.file ?? 'a file'}${s.format ? ` (${s.format})` : ''}`;
  if (s.kind === 'compose') return `composed over version ${s.baseVersion ?? '?'}`;
  return s.kind;
}

/** One image: its versions on a timeline with size, new bytes and dedup; delete a version or the image. */
export function ImagePage({ name }: { readonly name: string }) {
  const summary = useLive().images.find((i) => i.name === name);
  const [versions, setVersions] = useState<readonly VersionView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const gate = useRoleGate('operator');
  useEffect(() => {
    let current = true;
    api<{ versions: VersionView[] }>('GET', `/api/images/${encodeURIComponent(name)}/versions`)
      .then((a) => { if (current) { setVersions(a.versions); setError(null); } })
      .catch((err: unknown) => { if (current) setError(describeError(err)); });
    return () => { current = false; };
  }, [name, summary, reload]);
  const remove = async (path: string): Promise<void> => {
    try {
      await api('DELETE', path);
      setReload((n) => n + 1);
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <section>
      <header class="page-head">
        <h1>{name}</h1>
        <ConfirmButton {...gate} label="Delete image" confirm={`Delete ${name} and all its versions`} onConfirm={async () => { await remove(`/api/images/${encodeURIComponent(name)}`); location.hash = '#/images'; }} />
      </header>
      <ErrorNote error={error} />
      {versions && versions.length > 0 && (
        <>
          <VersionTimeline versions={versions} />
          <table class="grid-table" data-testid="versions-table">
            <thead><tr><th>Version</th><th>Point in time</th><th class="num">Disk</th><th class="num">Used</th><th class="num">New bytes</th><th class="num">Stored</th><th class="num">Dedup</th><th>Source</th><th /></tr></thead>
            <tbody>
              {[...versions].reverse().map((v) => (
                <tr key={v.version} data-version={v.version}>
                  <td>{name}@{v.version}</td>
                  <td>{when(v.createdAt)}</td>
                  <td class="num">{bytes(v.diskSize)}</td>
                  <td class="num">{bytes(v.usedBytes)}</td>
                  <td class="num">{bytes(v.newBytes)}</td>
                  <td class="num">{bytes(v.newStoredBytes)}</td>
                  <td class="num">{dedupRatio(v)}</td>
                  <td>{source(v)}</td>
                  <td><ConfirmButton {...gate} label="Delete" confirm={`Delete ${name}@${v.version}`} onConfirm={() => remove(`/api/images/${encodeURIComponent(name)}/versions/${v.version}`)} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {versions && versions.length === 0 && <p class="muted">This image has no versions.</p>}
    </section>
  );
}
