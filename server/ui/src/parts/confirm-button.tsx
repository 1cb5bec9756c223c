import { useState } from 'preact/hooks';

interface Props {
  readonly label: string;
  /** What the second click says, e.g. "Really delete golden@2?". */
  readonly confirm: string;
  readonly onConfirm: () => Promise<void>;
  readonly disabled?: boolean;
  /** Why it is disabled, e.g. the role it needs. */
  readonly title?: string | undefined;
}

/** A destructive action in two clicks: the first arms it, the second runs it (no browser dialog). */
export function ConfirmButton({ label, confirm, onConfirm, disabled = false, title }: Props) {
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!armed) return <button type="button" class="danger" disabled={disabled} title={title} onClick={() => setArmed(true)}>{label}</button>;
  const run = async (): Promise<void> => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setArmed(false);
    }
  };
  return (
    <span class="confirm">
      <button type="button" class="danger" disabled={busy} onClick={() => void run()}>{confirm}</button>
      <button type="button" disabled={busy} onClick={() => setArmed(false)}>Keep</button>
    </span>
  );
}
