import type { RackcastConfig } from '../config/index.js';
import { connectServer } from './server-api.js';
import { readSse } from './sse-reader.js';
import { exitCodeOf, headLine, isOver, plainLine, renderRow, watchRows, type WatchedSession } from './watch-render.js';

export interface WatchOptions {
  readonly json: boolean;
  readonly out?: NodeJS.WriteStream;
}

/** Redraws the block of lines it drew last time (a terminal): cursor up, clear each line. */
function terminalDrawer(out: NodeJS.WriteStream): (s: WatchedSession) => void {
  let drawn = 0;
  return (s) => {
    const rows = watchRows(s);
    const width = Math.max(10, ...rows.map((r) => r.label.length));
    const lines = [headLine(s), ...rows.map((r) => renderRow(r, width))];
    out.write(`${drawn > 0 ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
    drawn = lines.length;
  };
}

/** Prints a line per member whose state changed or that moved 10 % (logs, pipes). */
function plainDrawer(out: NodeJS.WriteStream): (s: WatchedSession) => void {
  const seen = new Map<string, string>();
  let head = '';
  return (s) => {
    const line = headLine(s);
    if (line !== head) out.write(`${line}\n`);
    head = line;
    for (const row of watchRows(s)) {
      const key = `${row.state} ${Math.floor(row.fraction * 10)}`;
      if (seen.get(row.key) === key) continue;
      seen.set(row.key, key);
      out.write(`${plainLine(row)}\n`);
    }
  };
}

/**
 * `rackcast session watch <id>`: follows GET /api/sessions/:id/events until the session is over.
 * A terminal gets one live bar per machine; a pipe gets plain lines; --json prints each event's
 * session view as one JSON line. Returns the exit code (0 when every machine is done).
 */
export async function watchSession(config: Readonly<RackcastConfig>, id: string, options: WatchOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const api = await connectServer(config);
  const draw = options.json ? (s: WatchedSession) => { out.write(`${JSON.stringify(s)}\n`); } : out.isTTY ? terminalDrawer(out) : plainDrawer(out);
  let last: WatchedSession | null = null;
  for await (const event of readSse(new URL(`/api/sessions/${encodeURIComponent(id)}/events`, api.url).toString(), api.headers)) {
    if (event.event !== 'session') continue;
    last = JSON.parse(event.data) as WatchedSession;
    draw(last);
    if (isOver(last)) break;
  }
  return last !== null && isOver(last) ? exitCodeOf(last) : 1;
}
