/** A state word with a colour by kind: good, busy, bad or idle. */
const TONES: Readonly<Record<string, string>> = {
  done: 'ok', complete: 'ok', waiting: 'ok', registered: 'ok', 'local-boot': 'ok',
  receiving: 'busy', verifying: 'busy', fitting: 'busy', personalising: 'busy', planned: 'busy', transfer: 'busy', deploying: 'busy', booting: 'busy', running: 'busy', rebooting: 'busy',
  failed: 'bad', lost: 'bad', cancelled: 'bad', offline: 'bad', 'complete (with failures)': 'bad',
};

export function StateBadge({ state }: { readonly state: string }) {
  return <span class={`badge badge-${TONES[state] ?? TONES[state.split(' ')[0] ?? ''] ?? 'idle'}`}>{state}</span>;
}

/** An error line under a form or section. */
export function ErrorNote({ error }: { readonly error: string | null }) {
  return error === null ? null : <p class="error" role="alert">{error}</p>;
}
