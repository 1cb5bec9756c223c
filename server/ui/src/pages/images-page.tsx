import { useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { useRoleGate } from '../auth.js';
import { bytes, when } from '../format.js';
import { useLive } from '../live-store.js';
import { ErrorNote } from '../parts/badges.js';
import { href } from '../route.js';
import type { VersionView } from '../types.js';

/** Imports a disk image file that is on the server's own disk, as a new version of an image. */
function ImportForm() {
  const [name, setName] = useState('');
  const [file, setFile] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const gate = useRoleGate('operator');
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const { version } = await api<{ version: VersionView }>('POST', `/api/images/${encodeURIComponent(name.trim())}/versions`, { file: file.trim() });
      setDone(`Imported ${version.image}@${version.version}: ${bytes(version.usedBytes)} used, ${bytes(version.newBytes)} new.`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={(e) => void submit(e)} aria-label="Import an image">
      <h2>Import</h2>
      <label>Image name <input name="image-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="golden" /></label>
      <label>File on the server <input name="image-file" required value={file} onInput={(e) => setFile(e.currentTarget.value)} placeholder="/srv/images/disk.qcow2" class="wide" /></label>
      <button type="submit" disabled={busy || gate.disabled} title={gate.title}>{busy ? 'Importing…' : 'Import'}</button>
      <p class="muted">raw, qcow2, vmdk, vdi, vhdx or vpc. A second import under the same name stores only the blocks that changed.</p>
      <ErrorNote error={error} />
      {done && <p class="ok" role="status">{done}</p>}
    </form>
  );
}

/** Every image with its newest version; the list follows the store live. */
export function ImagesPage() {
  const live = useLive();
  return (
    <section>
      <header class="page-head"><h1>Images</h1></header>
      <ImportForm />
      {live.images.length === 0 ? <p class="muted">{live.ready ? 'No images yet.' : 'Loading…'}</p> : (
        <table class="grid-table" data-testid="images-table">
          <thead><tr><th>Image</th><th class="num">Versions</th><th>Newest</th><th class="num">Size</th><th class="num">Used</th><th>Created</th></tr></thead>
          <tbody>
            {live.images.map((image) => (
              <tr key={image.name} data-image={image.name}>
                <td><a href={href({ page: 'image', name: image.name })}>{image.name}</a></td>
                <td class="num">{image.versionCount}</td>
                <td>{image.latest ? `${image.name}@${image.latest.version}` : '–'}</td>
                <td class="num">{image.latest ? bytes(image.latest.diskSize) : '–'}</td>
                <td class="num">{image.latest ? bytes(image.latest.usedBytes) : '–'}</td>
                <td>{when(image.latest?.createdAt ?? image.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
