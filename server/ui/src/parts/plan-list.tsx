import { bytes } from '../format.js';
import type { DeployPlan, DiskIdentity, DryRunAnswer, ImageFacts } from '../types.js';

/** A disk in one line: kernel name, size, model, serial. */
export function disk(d: DiskIdentity): string {
  return `${d.nameHint || 'disk'} ${bytes(d.sizeBytes)}${d.model ? ` ${d.model}` : ''}${d.serial ? `, serial ${d.serial}` : ''}`;
}

/** What happens to the partitions on this machine's disk, in words. */
export function partitionChanges(facts: ImageFacts, plan: DeployPlan): string {
  const table = facts.table === 'none' ? 'no partition table' : facts.table.toUpperCase();
  const n = plan.layout.resizePartition;
  if (n === null) return `${table}: every partition keeps its size`;
  const p = facts.partitions.find((x) => x.number === n);
  const what = p ? `partition ${n} (${p.filesystem}${p.label ? ` "${p.label}"` : ''}, ${bytes(p.sizeBytes)})` : `partition ${n}`;
  const verb = plan.target.sizeBytes >= facts.diskBytes ? 'grows' : 'shrinks';
  return `${table}: ${what} ${verb} to the end of the ${bytes(plan.target.sizeBytes)} disk${plan.layout.filesystem === 'ext4' ? ', with its filesystem' : ''}`;
}

/** The dry run's answer: the image's layout, then each machine's plan or refusal. */
export function PlanList({ answer, count }: { readonly answer: DryRunAnswer; readonly count: number | null }) {
  const f = answer.facts;
  return (
    <div class="panel" data-testid="plans">
      <h2>Plans for {f.name}@{f.version}</h2>
      <p>{bytes(f.diskBytes)} disk, {bytes(f.usedEndBytes)} in use; {f.table === 'none' ? 'no partition table' : `${f.table.toUpperCase()} with ${f.partitions.length} partitions`}{f.partitions.length ? ': ' : ''}
        {f.partitions.map((p) => `${p.number} ${p.filesystem}${p.label ? ` "${p.label}"` : ''} ${bytes(p.sizeBytes)}`).join(', ')}</p>
      {f.notes.map((n) => <p key={n} class="muted">{n}</p>)}
      {count !== null && <p>The next {count} machines that boot the agent are planned as they register.</p>}
      <ol class="plans">
        {answer.members.map((m) => (
          <li key={m.mac} data-plan={m.mac} class={m.result?.ok === false ? 'refused' : ''}>
            <strong class="mono">{m.mac}</strong>
            {m.result === null && <span class="muted"> — {m.note}</span>}
            {m.result?.ok === false && <span class="error"> — refused: <code>{m.result.refusal.code}</code> {m.result.refusal.message}</span>}
            {m.result?.ok === true && (
              <dl class="facts">
                <dt>Host name</dt><dd>{m.result.plan.personalise.hostname}</dd>
                <dt>Target disk</dt><dd>{disk(m.result.plan.target)}</dd>
                <dt>Partitions</dt><dd>{partitionChanges(f, m.result.plan)}</dd>
                {m.result.plan.untouched.length > 0 && <><dt>Left alone</dt><dd>{m.result.plan.untouched.map(disk).join('; ')}</dd></>}
                <dt>Why</dt><dd><ul>{m.result.reasons.map((r) => <li key={r}>{r}</li>)}</ul></dd>
              </dl>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
