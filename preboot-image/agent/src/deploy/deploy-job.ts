import { join } from 'node:path';
import type { DeployFailure, DeployJobSpec, DeployProgress, DeployStage, MachineProfile } from '@rackcast/wire';
import { MulticastReceiver, type ReceiveOptions, type ReceiveProgress, type ReceiveResult } from '../receive/index.js';
import { failureOf } from './deploy-error.js';
import type { DiskLibrary } from './disk-library.js';
import { verifyTarget } from './verify-target.js';

/** One report of a running deploy: its stage, progress, and (when failed) why. */
export interface DeployReport {
  readonly stage: DeployStage;
  readonly progress: DeployProgress | null;
  readonly failure: DeployFailure | null;
}

export interface DeployJobOptions {
  /** Boot server base URL, e.g. "http://10.0.0.1:8080". */
  readonly server: string;
  readonly spec: DeployJobSpec;
  /** The profile this agent uploaded: its disks are where the planned one is looked for. */
  readonly profile: MachineProfile;
  /** Folder of the disks' device nodes, e.g. "/dev"; tests point it at a folder of disk files. */
  readonly devDir: string;
  readonly disks: DiskLibrary;
  /** Every stage change and progress sample; the caller throttles what goes to the server. */
  report(report: DeployReport): void;
  say(line: string): void;
  /** Receiver settings tests shorten (idle timeout, memory). */
  readonly receive?: Pick<ReceiveOptions, 'idleTimeoutMs' | 'memoryBudget' | 'iface'>;
}

/** What the receive stage left for the next ones. */
interface Received {
  readonly devicePath: string;
  readonly progress: DeployProgress;
  readonly receiver: MulticastReceiver;
  /** Size of the planned disk in bytes. */
  readonly diskBytes: number;
}

function toProgress(p: ReceiveProgress): DeployProgress {
  return {
    bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, blocksDone: p.blocksDone, blocksTotal: p.blocksTotal, rate: p.rate,
    etaSeconds: p.etaSeconds, repairs: p.repairs, resumedBlocks: p.resumedBlocks, fetchedBlocks: p.fetchedBlocks,
  };
}

/**
 * Runs one deploy job on this machine: find the planned disk and check it (a refusal is
 * reported and nothing is written), wipe the boot area, receive the session onto the disk with
 * the boot area written last, verify by reading back, fit the layout, personalise, done. Every
 * stage and a progress sample reach `report`; a failure is reported with its code and message,
 * never thrown. A resumed try (the machine was reset) does the same: the receiver keeps the
 * blocks already on the disk that verify and fetches the rest.
 */
export async function runDeployJob(o: DeployJobOptions): Promise<'done' | 'failed'> {
  let last: DeployProgress | null = null;
  const stage = (name: DeployStage, progress: DeployProgress | null = last): void => {
    last = progress;
    o.report({ stage: name, progress, failure: null });
  };
  try {
    stage('planned', null);
    const received = await receive(o, (p) => stage('receiving', p));
    const total = received.progress;
    stage('verifying', { ...total, bytesDone: 0, blocksDone: 0, rate: 0, etaSeconds: null });
    await verifyTarget(received.devicePath, received.receiver.manifest, (blocksDone, bytesDone) => stage('verifying', { ...total, blocksDone, bytesDone }), received.receiver.clippedHashes);
    const manifest = received.receiver.manifest;
    await o.disks.zeroUnstored(received.devicePath, manifest.blocks, Math.min(o.spec.plan.image.usedEndBytes, received.diskBytes));
    stage('fitting', total);
    await o.disks.fitTargetDisk(received.devicePath, o.spec.plan);
    stage('personalising', total);
    await o.disks.personaliseClone(received.devicePath, o.spec.plan);
    stage('done', total);
    return 'done';
  } catch (err) {
    const failure = failureOf(err);
    o.say(`rackcast-agent: deploy: failed: ${failure.code}: ${failure.message}`);
    o.report({ stage: 'failed', progress: last, failure });
    return 'failed';
  }
}

/** Finds and checks the disk (before writing anything), wipes the boot area, receives the image. */
async function receive(o: DeployJobOptions, onProgress: (p: DeployProgress) => void): Promise<Received> {
  const { plan } = o.spec;
  const disk = o.disks.findPlannedDisk(plan.target, o.profile.disks);
  const devicePath = join(o.devDir, disk.name);
  await o.disks.checkDiskSafety(devicePath, plan, o.profile.disks);
  o.say(`rackcast-agent: deploy: writing ${plan.image.name}@${plan.image.version} to ${devicePath} (${disk.sizeBytes} bytes, serial ${disk.serial || '-'})`);
  const { deferred } = o.disks.bootArea(plan, disk.sizeBytes);
  await o.disks.wipeBootArea(devicePath, disk.sizeBytes);
  let latest: DeployProgress | null = null;
  const receiver = new MulticastReceiver({
    server: o.server, session: o.spec.sessionId, token: o.spec.token, target: devicePath, deferred,
    minimumTargetBytes: plan.image.usedEndBytes, ...o.receive,
    onProgress: (p) => {
      latest = toProgress(p);
      onProgress(latest);
    },
  });
  const result = await receiver.run();
  o.say(`rackcast-agent: deploy: received ${result.blocks} blocks (${result.resumedBlocks} already on the disk, ${result.multicastBlocks} by multicast, ${result.backfillBlocks} by backfill); ${socketLine(result.socket)}`);
  const done: DeployProgress = {
    ...(latest ?? { rate: 0, repairs: 0 }), bytesDone: result.bytes, bytesTotal: result.bytes, blocksDone: result.blocks, blocksTotal: result.blocks,
    etaSeconds: 0, resumedBlocks: result.resumedBlocks, fetchedBlocks: result.multicastBlocks + result.backfillBlocks,
  };
  onProgress(done);
  return { devicePath, progress: done, receiver, diskBytes: disk.sizeBytes };
}

/** How the multicast was read, for the console: a fallback to dgram says why. */
function socketLine(socket: ReceiveResult['socket']): string {
  if (!socket) return 'no multicast socket (backfill only)';
  const buffer = `receive buffer ${Math.round(socket.receiveBufferBytes / 1048576)} MiB`;
  return socket.kind === 'batched' ? `socket batched, ${buffer}` : `socket dgram (${socket.fallbackReason ?? 'no reason'}), ${buffer}`;
}
