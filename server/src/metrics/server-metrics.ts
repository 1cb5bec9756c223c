import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { CaptureRegistry, CaptureState } from '../capture/index.js';
import type { DeployRegistry } from '../deploy/index.js';
import type { MachineRegistry, MachineState } from '../machine/index.js';
import type { DhcpRequestOutcome, DhcpRequestType } from '../net/dhcp/index.js';
import type { TftpRequestOutcome } from '../net/tftp/index.js';
import type { ReceiverStateName, SessionPhase, SessionRegistry } from '../session/index.js';
import type { ImageStore } from '../store/index.js';
import { StoreSizeProbe, storeChangeKey } from './store-size.js';

/** What the scrape-time gauges read; every field is read only when /metrics is asked. */
export interface MetricSources {
  readonly store: ImageStore;
  readonly sessions: SessionRegistry;
  readonly machines: MachineRegistry;
  readonly deploys?: DeployRegistry | undefined;
  /** Absent: no capture gauge (an app built without the server's shared registry). */
  readonly captures?: CaptureRegistry | undefined;
}

/** The hooks DHCP and TFTP call as requests happen (they know nothing of Prometheus). */
export interface BootCounters {
  readonly dhcpRequest: (type: DhcpRequestType, outcome: DhcpRequestOutcome) => void;
  readonly tftpRequest: (outcome: TftpRequestOutcome) => void;
}

// The values of a bounded label, so a series exists (at 0) before its first event. Machine and
// capture states are Partial: a state added later still shows, from its first machine on.
const SESSION_PHASES: Record<SessionPhase, true> = { waiting: true, transfer: true, complete: true, cancelled: true };
const RECEIVER_STATES: Record<ReceiverStateName, true> = { registered: true, receiving: true, backfill: true, done: true, failed: true, lost: true };
const MACHINE_STATES: Partial<Record<MachineState, true>> = {
  known: true, booting: true, registered: true, waiting: true, deploying: true, offline: true, rebooting: true, 'powered-off': true, 'local-boot': true, capturing: true,
};
const CAPTURE_STATES: Partial<Record<CaptureState, true>> = { waiting: true, uploading: true, committed: true, cancelled: true, failed: true };

/** A count per label value, every known value present. */
function tally<K extends string>(known: Partial<Record<K, true>>, values: Iterable<K>): Map<K, number> {
  const counts = new Map<K, number>(Object.keys(known).map((k) => [k as K, 0]));
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/**
 * The server's Prometheus metrics, in a registry of its own (never prom-client's global one, so
 * two servers in one process, as in tests, do not share series). Counters of things that happen
 * on the wire (DHCP, TFTP) are counted as they happen through `boot`; everything else is read
 * from the registries at scrape time by `observe`.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly boot: BootCounters;

  constructor(version: string) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'rackcast_build_info', help: 'Always 1; the label carries the server version.', labelNames: ['version'], registers: [this.registry] }).set({ version }, 1);
    const dhcp = new Counter({
      name: 'rackcast_dhcp_requests_total', help: 'DHCP and ProxyDHCP requests received, by DHCP message type and what became of them.',
      labelNames: ['type', 'outcome'], registers: [this.registry],
    });
    const tftp = new Counter({
      name: 'rackcast_tftp_requests_total', help: 'TFTP requests received (a repeated RRQ is not counted again), by how they ended.',
      labelNames: ['outcome'], registers: [this.registry],
    });
    this.boot = {
      dhcpRequest: (type, outcome) => dhcp.inc({ type, outcome }),
      tftpRequest: (outcome) => tftp.inc({ outcome: outcome.replace(/ /g, '_') }),
    };
  }

  /** Registers the gauges and totals read from the server's registries at each scrape. */
  observe(sources: MetricSources): void {
    this.#sessionMetrics(sources);
    this.#storeMetrics(sources.store);
    this.#machineMetrics(sources);
  }

  #sessionMetrics({ sessions, deploys }: MetricSources): void {
    const registers = [this.registry];
    new Gauge({
      name: 'rackcast_sessions', help: 'Stream sessions the server holds, by phase.', labelNames: ['phase'], registers,
      collect() {
        this.reset();
        for (const [phase, n] of tally(SESSION_PHASES, sessions.list().map((s) => s.record.phase))) this.set({ phase }, n);
      },
    });
    new Gauge({
      name: 'rackcast_receivers', help: 'Receivers of the stream sessions, by receiver state and the phase of their session.', labelNames: ['state', 'session_phase'], registers,
      collect() {
        this.reset();
        for (const phase of Object.keys(SESSION_PHASES) as SessionPhase[]) {
          const receivers = sessions.list().filter((s) => s.record.phase === phase).flatMap((s) => s.record.receivers.map((r) => r.state));
          for (const [state, n] of tally(RECEIVER_STATES, receivers)) this.set({ state, session_phase: phase }, n);
        }
      },
    });
    // Totals summed over sessions: sessions are never dropped from the registry, so the sums only grow.
    const total = (name: string, help: string, value: () => number): void => {
      new Counter({ name, help, registers, collect() { this.reset(); this.inc(value()); } });
    };
    const sum = (f: (s: ReturnType<SessionRegistry['list']>[number]) => number) => () => sessions.list().reduce((acc, s) => acc + f(s), 0);
    total('rackcast_multicast_sent_bytes_total', 'UDP payload bytes the multicast senders sent (data and control datagrams), since the server started.', sum((s) => s.multicastBytesSent));
    total('rackcast_multicast_data_datagrams_total', 'Data datagrams sent over multicast, every pass included (kept across restarts).', sum((s) => s.record.fragmentsSent));
    total('rackcast_multicast_repair_datagrams_total', 'Data datagrams re-sent: repair passes (pass 2 and later) and in-pass repairs.', sum((s) => s.record.repairFragments));
    total('rackcast_multicast_repair_passes_total', 'Repair passes run (every pass after the first).', sum((s) => Math.max(0, s.record.pass - 1)));
    total('rackcast_backfill_blocks_total', 'Sealed blocks served to receivers over HTTP backfill.', sum((s) => s.record.receivers.reduce((acc, r) => acc + r.backfilledBlocks, 0)));
    new Gauge({
      name: 'rackcast_deploys', help: 'Deploys the server holds, by state.', labelNames: ['state'], registers,
      collect() {
        this.reset();
        const views = sessions.list().map((s) => deploys?.view(s.record.id)).filter((v) => v != null);
        for (const [state, n] of tally({ running: true, complete: true }, views.map((v) => v.state))) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'rackcast_deploy_members', help: 'Machines taking part in deploys, by member state.', labelNames: ['state'], registers,
      collect() {
        this.reset();
        const members = sessions.list().flatMap((s) => deploys?.view(s.record.id)?.members ?? []);
        for (const [state, n] of tally<string>({}, members.map((m) => m.state))) this.set({ state }, n);
      },
    });
  }

  #storeMetrics(store: ImageStore): void {
    const registers = [this.registry];
    const probe = new StoreSizeProbe(store);
    // One index read per scrape, shared by the gauges below (a scrape runs their collects together).
    let scrape: Promise<{ images: number; versions: number; usedBytes: number; blocks: number; bytes: number }> | null = null;
    const read = () => {
      scrape ??= (async () => {
        const [images, versions] = await Promise.all([store.index.listImages(), store.index.allVersions()]);
        const size = await probe.read(storeChangeKey(versions, store.blocks.removals));
        return { images: images.length, versions: versions.length, usedBytes: versions.reduce((acc, v) => acc + v.usedBytes, 0), ...size };
      })().finally(() => { scrape = null; });
      return scrape;
    };
    const gauge = (name: string, help: string, pick: (s: Awaited<ReturnType<typeof read>>) => number): void => {
      new Gauge({ name, help, registers, async collect() { this.set(pick(await read())); } });
    };
    gauge('rackcast_store_images', 'Images in the store.', (s) => s.images);
    gauge('rackcast_store_versions', 'Image versions in the store.', (s) => s.versions);
    gauge('rackcast_store_blocks', 'Block files in the store (distinct content-addressed blocks).', (s) => s.blocks);
    gauge('rackcast_store_blocks_bytes', 'Bytes the block files take on disk (compressed); measured again when versions change or gc removed blocks.', (s) => s.bytes);
    gauge('rackcast_store_versions_used_bytes', 'Disk bytes the versions describe (used blocks, uncompressed), summed over versions.', (s) => s.usedBytes);
  }

  #machineMetrics({ machines, captures }: MetricSources): void {
    const registers = [this.registry];
    new Gauge({
      name: 'rackcast_machines', help: 'Machines the server knows, by state.', labelNames: ['state'], registers,
      collect() {
        this.reset();
        for (const [state, n] of tally(MACHINE_STATES, machines.list().map((m) => m.state))) this.set({ state }, n);
      },
    });
    if (captures === undefined) return;
    new Gauge({
      name: 'rackcast_captures', help: 'Captures the server holds, by state.', labelNames: ['state'], registers,
      async collect() {
        const list = await captures.list();
        this.reset();
        for (const [state, n] of tally(CAPTURE_STATES, list.map((c) => c.state))) this.set({ state }, n);
      },
    });
  }
}
