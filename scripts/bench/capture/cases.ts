// One measured case each: a Rackcast server in the server namespace, a capture by the agent CLI
// in the agent namespace, and the peer (partclone + lz4 over TCP). Bytes on the wire are the
// agent end of the veth's counters (both directions, Ethernet, IP, TCP and HTTP headers
// included), read the same way around every case.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { TOOL_ENV } from './real-disk.js';
import { finish, type BenchLink } from './link.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const SERVER_CLI = join(root, 'server/bin/rackcast.js');
const AGENT_CLI = join(root, 'preboot-image/agent/bin/rackcast-agent.js');
const TCP_PIPE = fileURLToPath(new URL('./tcp-pipe.js', import.meta.url));
const PEER_PORT = 9000;
const START_WAIT_MS = 30_000;
const CASE_TIMEOUT_MS = 20 * 60_000;
/** `node -e` body: METHOD URL TOKEN JSON-BODY → the answer on stdout, exit 1 unless 2xx. */
const API_CALL = `const [method, url, token, body] = process.argv.slice(1);
const headers = { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) };
const res = await fetch(url, { method, headers, ...(body === 'null' ? {} : { body }), signal: AbortSignal.timeout(30000) });
process.stdout.write(await res.text());
process.exitCode = res.ok ? 0 : 1;`;

export interface Measured {
  readonly seconds: number;
  /** Bytes through the agent's end of the veth: sent + received. */
  readonly wireBytes: number;
}

/** What the agent printed (`{"result": …}`) and the server's own accounting (GET /api/captures/:id). */
export interface CaptureMeasured extends Measured {
  readonly offer: string;
  readonly blocks: number;
  readonly offered: number;
  readonly uploadedBlocks: number;
  /** The agent's own phases: map the used blocks, read and hash them, offer + upload + commit. */
  readonly agentSeconds: { readonly map: number; readonly hash: number; readonly upload: number; readonly total: number };
  readonly server: { readonly offerBytes: number; readonly fingerprintBytes: number; readonly frameBytes: number };
}

export interface PeerMeasured extends Measured {
  /** What the sink stored: partclone's image, LZ4-compressed. */
  readonly imageBytes: number;
}

interface AgentResult {
  capture: number;
  offer: string;
  blocks: number;
  uploaded: { blocks: number; frameBytes: number };
  seconds: { map: number; hash: number; upload: number; total: number };
}

interface CaptureView {
  offer: { offered: number } | null;
  uploads: { bytes: number };
  wire: { offerBytes: number; fingerprintBytes: number };
}

const total = async (link: BenchLink): Promise<number> => { const b = await link.wireBytes(); return b.tx + b.rx; };

/** `rackcast serve` in the server namespace on a fresh store. */
export class RackcastServer {
  private constructor(private readonly link: BenchLink, private readonly child: ChildProcess, readonly store: string, readonly url: string) {}

  static async start(link: BenchLink, store: string): Promise<RackcastServer> {
    const env = { ...TOOL_ENV, RACKCAST_STORE_DIR: store, RACKCAST_HTTP_HOST: link.server.ip, RACKCAST_HTTP_PORT: '0', RACKCAST_LOG_LEVEL: 'warn' };
    const child = link.spawn(link.server, process.execPath, [SERVER_CLI, 'serve'], env);
    child.stdout?.resume();
    child.stderr?.resume();
    const deadline = Date.now() + START_WAIT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`rackcast serve exited ${child.exitCode}`);
      const state = await readFile(join(store, 'server.json'), 'utf8').then((t) => JSON.parse(t) as { url: string }, () => null);
      if (state) return new RackcastServer(link, child, store, state.url);
      await sleep(100);
    }
    await link.stop(child);
    throw new Error(`rackcast serve did not start within ${START_WAIT_MS / 1000} s`);
  }

  /**
   * One API request from inside the server namespace (over its loopback: not on the veth), with
   * the local token the server leaves in its state file when it has one.
   */
  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const state = JSON.parse(await readFile(join(this.store, 'server.json'), 'utf8')) as { localToken?: string };
    const child = this.link.spawn(this.link.server, process.execPath, ['--input-type=module', '-e', API_CALL, method, new URL(path, this.url).href, state.localToken ?? '', JSON.stringify(body ?? null)], TOOL_ENV);
    const out = await finish(child, `${method} ${path}`, 60_000);
    if (out.code !== 0) throw new Error(`${method} ${path} failed: ${out.stdout} ${out.stderr}`);
    return JSON.parse(out.stdout) as T;
  }

  stop(): Promise<void> {
    return this.link.stop(this.child, 10_000);
  }
}

/** POST /api/captures (what `rackcast capture start` does) then `rackcast-agent capture` of `disk` in the agent namespace. */
export async function captureCase(link: BenchLink, server: RackcastServer, image: string, disk: string, sysRoot: string, concurrency: number): Promise<CaptureMeasured> {
  const { token } = await server.api<{ token: string }>('POST', '/api/captures', { image });
  const before = await total(link);
  const child = link.spawn(link.agent, process.execPath, [AGENT_CLI, 'capture', '--server', server.url, '--token', token, '--source', disk, '--image', image, '--no-profile', '--sysfs-root', sysRoot, '--concurrency', String(concurrency), '--quiet'], TOOL_ENV);
  const out = await finish(child, `capture of ${disk}`, CASE_TIMEOUT_MS);
  const wireBytes = (await total(link)) - before;
  if (out.code !== 0) throw new Error(`rackcast-agent capture exited ${out.code}: ${out.stderr}`);
  const { result } = JSON.parse(out.stdout.trim().split('\n').pop() ?? '') as { result: AgentResult };
  const { capture: view } = await server.api<{ capture: CaptureView }>('GET', `/api/captures/${result.capture}`);
  return {
    seconds: out.seconds, wireBytes, offer: result.offer, blocks: result.blocks, offered: view.offer?.offered ?? 0,
    uploadedBlocks: result.uploaded.blocks, agentSeconds: result.seconds,
    server: { offerBytes: view.wire.offerBytes, fingerprintBytes: view.wire.fingerprintBytes, frameBytes: view.uploads.bytes },
  };
}

/**
 * The peer, Clonezilla's way: `partclone.ext4 -c -s <partition> -o - | lz4 -1` over TCP to a sink
 * in the server namespace that writes the stream to a file and fsyncs it. Wall time is the
 * sender's, which ends when the sink closes after the fsync.
 */
export async function peerCase(link: BenchLink, partition: string, out: string, log: string): Promise<PeerMeasured> {
  const sink = link.spawn(link.server, process.execPath, [TCP_PIPE, 'sink', '--host', link.server.ip, '--port', String(PEER_PORT), '--out', out], TOOL_ENV);
  const sunk = finish(sink, 'peer sink', CASE_TIMEOUT_MS);
  const deadline = Date.now() + START_WAIT_MS;
  let listening = false;
  sink.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('listening')) listening = true; });
  while (!listening && Date.now() < deadline && sink.exitCode === null) await sleep(50);
  if (!listening) throw new Error('the peer sink did not listen');
  const before = await total(link);
  const pipeline = `set -o pipefail; partclone.ext4 -c -s '${partition}' -o - -L '${log}' 2>/dev/null | lz4 -1 -c | '${process.execPath}' '${TCP_PIPE}' send --host ${link.server.ip} --port ${PEER_PORT}`;
  const sent = await finish(link.spawn(link.agent, 'bash', ['-c', pipeline], TOOL_ENV), 'partclone | lz4 | send', CASE_TIMEOUT_MS);
  const wireBytes = (await total(link)) - before;
  if (sent.code !== 0) throw new Error(`the peer pipeline exited ${sent.code}: ${sent.stderr}`);
  const stored = await sunk;
  if (stored.code !== 0) throw new Error(`the peer sink exited ${stored.code}: ${stored.stderr}`);
  const { bytes } = JSON.parse(stored.stdout.trim().split('\n').pop() ?? '') as { bytes: number };
  return { seconds: sent.seconds, wireBytes, imageBytes: bytes };
}
