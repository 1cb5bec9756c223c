import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { bytes, when } from '../format.js';
import { href } from '../route.js';
import type { ImageView, VersionView } from '../types.js';
import { dedupRatio } from './version-timeline.js';

/** Versions captured from one machine (source.machine), over every image; read again when the image list changes. */
export function CapturedVersions({ mac, images }: { readonly mac: string; readonly images: readonly ImageView[] }) {
  const [versions, setVersions] = useState<readonly VersionView[] | null>(null);
  useEffect(() => {
    let current = true;
    Promise.all(images.map((i) => api<{ versions: VersionView[] }>('GET', `/api/images/${encodeURIComponent(i.name)}/versions`).then((a) => a.versions, () => [])))
      .then((lists) => { if (current) setVersions(lists.flat().filter((v) => v.source.kind === 'capture' && v.source.machine === mac)); })
      .catch(() => { if (current) setVersions([]); });
    return () => { current = false; };
  }, [mac, images]);
  if (versions === null) return <p class="muted">Loading…</p>;
  if (versions.length === 0) return <p class="muted">No version was captured from this machine.</p>;
  return (
    <table class="grid-table" data-testid="captured-versions">
      <thead><tr><th>Version</th><th>Point in time</th><th class="num">Used</th><th class="num">New bytes</th><th class="num">Dedup</th></tr></thead>
      <tbody>
        {versions.map((v) => (
          <tr key={`${v.image}@${v.version}`}>
            <td><a href={href({ page: 'image', name: v.image })}>{v.image}@{v.version}</a></td>
            <td>{when(v.createdAt)}</td><td class="num">{bytes(v.usedBytes)}</td><td class="num">{bytes(v.newBytes)}</td><td class="num">{dedupRatio(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
