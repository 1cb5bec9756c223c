/** Placeholder: point-in-time restore of one machine comes with the capture/restore work. */
export function RecoveryPage() {
  return (
    <section>
      <header class="page-head"><h1>Recovery</h1></header>
      <div class="panel">
        <p>Restoring a machine to a point in time — pick the machine and a time, see the difference between its profile now and the
          profile the version was captured from, then restore — comes with the capture and restore work.</p>
        <p class="muted">Until then an image version can be deployed to a machine from the <a href="#/deploy">Deploy</a> page.</p>
      </div>
    </section>
  );
}
