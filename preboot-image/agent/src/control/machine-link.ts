import {
  parseAgentRegistrationReply, parseMachineServerMessage,
  type AgentRegistration, type AgentRegistrationReply, type CaptureJobSpec, type DeployJobSpec, type MachineAgentMessage, type MachineJob, type MachineJobAction,
} from '@rackcast/wire';
import WebSocket from 'ws';

/** How a registration attempt ended. */
export type RegisterOutcome =
  | { readonly kind: 'registered'; readonly reply: AgentRegistrationReply }
  /** 401: the token or credential is not (or no longer) accepted; retrying cannot help. */
  | { readonly kind: 'refused'; readonly message: string }
  /** The server is down, slow, answered 5xx, or answered something that is not a registration. */
  | { readonly kind: 'unreachable'; readonly message: string };

interface ErrorBody {
  readonly error?: { readonly code?: unknown; readonly message?: unknown };
}

function errorText(body: unknown, status: number): string {
  const e = (body as ErrorBody | null)?.error;
  return typeof e?.message === 'string' ? `${String(e.code)}: ${e.message}` : `HTTP ${status}`;
}

/** POST /api/agent/register with the token or credential; never throws. */
export async function registerMachine(server: string, secret: string, registration: AgentRegistration, timeoutMs: number): Promise<RegisterOutcome> {
  let res: Response;
  try {
    res = await fetch(`${server}/api/agent/register`, {
      method: 'POST', signal: AbortSignal.timeout(timeoutMs),
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify(registration),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { kind: 'unreachable', message: cause ?? (err as Error).message };
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.status === 401) return { kind: 'refused', message: errorText(body, res.status) };
  if (!res.ok) return { kind: 'unreachable', message: errorText(body, res.status) };
  try {
    return { kind: 'registered', reply: parseAgentRegistrationReply(body) };
  } catch (err) {
    return { kind: 'unreachable', message: `the server's answer is not a registration: ${(err as Error).message}` };
  }
}

/** How one channel connection ended. */
export type ChannelEnd =
  /** A job that ends the agent's run (reboot, poweroff, local); the server has its acknowledgement. */
  | { readonly kind: 'job'; readonly job: { readonly id: number; readonly action: Exclude<MachineJobAction, 'wait'> } }
  /** The server refused the credential (close code 4401). */
  | { readonly kind: 'refused'; readonly detail: string }
  /** The connection failed or dropped: server restart, network, silence. */
  | { readonly kind: 'lost'; readonly detail: string; readonly opened: boolean };

export interface ChannelOptions {
  readonly server: string;
  readonly credential: string;
  /** Heartbeat (and ping) every this many ms, e.g. 10000. */
  readonly heartbeatMs: number;
  /** Nothing heard for this long: the connection is dead, e.g. 30000. */
  readonly deadMs: number;
  /** Closes the channel (tests). */
  readonly signal?: AbortSignal | undefined;
  /** The channel is open; `send` reaches the server while it stays open. */
  onOpen(send: (message: MachineAgentMessage) => void): void;
  /** The server says: stay and wait. */
  onWait(job: MachineJob): void;
  /** The server says: deploy (sent again on every connect; the channel stays open for its reports). */
  onDeploy(jobId: number, spec: DeployJobSpec): void;
  /** The server says: capture the disk (sent again on every connect; the channel stays open for its reports). */
  onCapture(jobId: number, spec: CaptureJobSpec): void;
  /** The channel closed (whatever the reason). */
  onClose?(): void;
}

/** Bounded wait until everything sent has left the process (so an acknowledgement is not lost to the reboot). */
async function drain(ws: WebSocket, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function send(ws: WebSocket, message: MachineAgentMessage): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

/**
 * One life of the agent's WebSocket to /api/agent/channel: jobs come down, heartbeats (and a
 * deploy's or capture's reports) go up. A reboot, poweroff or local job is acknowledged before
 * the agent acts on it, and ends the channel; wait, deploy and capture keep it open. Resolves (never rejects) with how
 * the connection ended.
 */
export function runChannel(options: ChannelOptions): Promise<ChannelEnd> {
  return new Promise((resolve) => {
    const url = `${options.server.replace(/^http/, 'ws')}/api/agent/channel`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${options.credential}` }, handshakeTimeout: 10_000 });
    let opened = false;
    let lastHeard = Date.now();
    let detail = 'connection closed';
    let settled = false;
    const finish = (end: ChannelEnd): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      options.onClose?.();
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      resolve(end);
    };
    const timer = setInterval(() => {
      if (!opened) return;
      if (Date.now() - lastHeard > options.deadMs) {
        finish({ kind: 'lost', detail: `nothing heard from the server for ${options.deadMs} ms`, opened });
        return;
      }
      ws.ping();
      send(ws, { type: 'heartbeat', uptimeSeconds: Math.round(process.uptime()) });
    }, options.heartbeatMs);
    options.signal?.addEventListener('abort', () => finish({ kind: 'lost', detail: 'stopped', opened }), { once: true });
    const heard = (): void => { lastHeard = Date.now(); };
    ws.on('open', () => { opened = true; heard(); options.onOpen((m) => send(ws, m)); });
    ws.on('ping', heard);
    ws.on('pong', heard);
    ws.on('message', (data, isBinary) => {
      heard();
      if (isBinary) return;
      let job: MachineJob;
      try {
        job = parseMachineServerMessage(JSON.parse(String(data))).job;
      } catch {
        return; // a malformed message is ignored; the channel stays up
      }
      if (job.action === 'wait') {
        options.onWait(job);
        return;
      }
      if (job.action === 'deploy') {
        options.onDeploy(job.id, job.deploy);
        return;
      }
      if (job.action === 'capture') {
        options.onCapture(job.id, job.capture);
        return;
      }
      const action = job.action;
      send(ws, { type: 'ack', jobId: job.id, action });
      void drain(ws, 2000).then(() => {
        ws.close(1000);
        finish({ kind: 'job', job: { id: job.id, action } });
      });
    });
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      finish(res.statusCode === 401 ? { kind: 'refused', detail: 'HTTP 401' } : { kind: 'lost', detail: `HTTP ${res.statusCode ?? '?'} on the channel`, opened });
    });
    ws.on('error', (err) => { detail = (err as { code?: string }).code ?? err.message; });
    ws.on('close', (code, reason) => {
      finish(code === 4401 ? { kind: 'refused', detail: reason.toString() || 'credential refused' } : { kind: 'lost', detail, opened });
    });
  });
}
