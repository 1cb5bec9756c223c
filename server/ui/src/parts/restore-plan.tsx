import { when } from '../format.js';
import type { DeployPlan, NicMapping, RestoreDifference, RestoreView } from '../types.js';
import { disk } from './plan-list.js';

const SEVERITY_TEXT = { info: 'info', adapt: 'adapted', refuse: 'refused' } as const;

/** Why the restore cannot start, or null: the planner's refusal, else the refused differences. */
export function refusalOf(restore: RestoreView): string | null {
  if (restore.refused) return `${restore.refused.code}: ${restore.refused.message}`;
  const refused = restore.diff.filter((d) => d.severity === 'refuse');
  return refused.length === 0 ? null : refused.map((d) => `${d.area}: ${d.message}`).join('; ');
}

function DiffTable({ rows }: { readonly rows: readonly RestoreDifference[] }) {
  if (rows.length === 0) return <p class="ok">The target matches the captured machine: nothing to adapt.</p>;
  return (
    <table class="grid-table" data-testid="restore-diff">
      <thead><tr><th>Area</th><th>Captured machine</th><th>Target</th><th>What the restore does</th><th /></tr></thead>
      <tbody>
        {rows.map((d, i) => (
          <tr key={i} class={`sev-${d.severity}`} data-severity={d.severity} data-area={d.area}>
            <td>{d.area}</td><td class="mono">{d.source}</td><td class="mono">{d.target}</td><td>{d.message}</td>
            <td><span class={`badge sev-badge-${d.severity}`}>{SEVERITY_TEXT[d.severity]}</span></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NicTable({ rows }: { readonly rows: readonly NicMapping[] }) {
  if (rows.length === 0) return <p class="muted">The capture found no network configuration to carry over.</p>;
  return (
    <table class="grid-table" data-testid="restore-nics">
      <thead><tr><th>Interface</th><th>Configured by</th><th>Captured NIC</th><th>Target NIC</th><th>Matched</th><th>Settings</th><th>Note</th></tr></thead>
      <tbody>
        {rows.map((m) => (
          <tr key={`${m.interface}-${m.sourceMac}`} data-interface={m.interface}>
            <td class="mono">{m.interface}</td><td>{m.source}</td><td class="mono">{m.sourceMac || '–'}</td><td class="mono">{m.targetMac ?? 'none'}</td><td>{m.match}</td>
            <td>{m.mode === 'static' ? `static ${m.address}${m.gateway ? ` via ${m.gateway}` : ''}${m.dns.length ? `, DNS ${m.dns.join(' ')}` : ''}` : 'DHCP'}</td>
            <td class="muted">{m.note}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DiskPlan({ plan, reasons }: { readonly plan: DeployPlan; readonly reasons: readonly string[] }) {
  const resize = plan.layout.resizePartition;
  return (
    <dl class="facts" data-testid="restore-disk-plan">
      <dt>Host name</dt><dd>{plan.personalise.hostname}</dd>
      <dt>Target disk</dt><dd>{disk(plan.target)}</dd>
      <dt>Partitions</dt><dd>{resize === null ? 'every partition keeps its size' : `partition ${resize} is fitted to the disk${plan.layout.filesystem === 'ext4' ? ', with its filesystem' : ''}`}</dd>
      {plan.untouched.length > 0 && <><dt>Left alone</dt><dd>{plan.untouched.map(disk).join('; ')}</dd></>}
      {plan.personalise.uefiBootEntry && <><dt>UEFI entry</dt><dd>{plan.personalise.uefiBootEntry.label}</dd></>}
      {reasons.length > 0 && <><dt>Why</dt><dd><ul>{reasons.map((r) => <li key={r}>{r}</li>)}</ul></dd></>}
    </dl>
  );
}

/** A restore's dry run: the profile differences, where each NIC's settings go, and the disk plan. */
export function RestorePlan({ restore }: { readonly restore: RestoreView }) {
  const refusal = refusalOf(restore);
  const source = restore.source.mac || restore.source.machine;
  const target = restore.target.mac;
  return (
    <div class="panel" data-testid="restore-plan">
      <h2>Restore {restore.image}@{restore.version} onto <span class="mono">{target}</span></h2>
      <p>Captured {when(restore.capturedAt)} from <span class="mono">{source}</span>{restore.source.hostname ? ` (${restore.source.hostname})` : ''}{source === target ? ', onto the same machine' : ', onto a replacement machine'}.</p>
      {restore.note && <p class="muted">{restore.note}</p>}
      {refusal !== null && <p class="error" role="alert" data-testid="restore-refusal">This restore cannot start: {refusal}</p>}
      <h3>Differences</h3>
      <DiffTable rows={restore.diff} />
      <h3>Network interfaces</h3>
      <NicTable rows={restore.nicMap} />
      <h3>Target disk</h3>
      {restore.plan ? <DiskPlan plan={restore.plan} reasons={restore.reasons} /> : <p class="muted">No disk plan{refusal !== null ? ': the restore is refused' : ' yet'}.</p>}
    </div>
  );
}
