import { isRackcastErrorCode, RackcastError } from '../errors.js';

/** One server-sent event: its name ("message" when unnamed) and its data lines joined. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Splits server-sent-event text into events (WHATWG HTML §9.2.6, the parts our server uses:
 * `event:` and `data:` fields, blank-line terminated, `:` comments). Returns the complete
 * events and the unfinished rest to prepend to the next chunk. Pure.
 */
export function splitSseEvents(text: string): { events: SseEvent[]; rest: string } {
  const normalised = text.replace(/\r\n?/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: SseEvent[] = [];
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

/** Opens an event stream and yields its events until the server ends it. */
export async function* readSse(url: string, headers: Readonly<Record<string, string>> = {}): AsyncGenerator<SseEvent> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' } });
  } catch (err) {
    throw new RackcastError('RC_ERR_SERVER_UNREACHABLE', `the server at ${url} does not answer: ${(err as Error).message}`, {}, { cause: err });
  }
  if (!res.ok || res.body === null) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: unknown; message?: string } };
    const code = body.error?.code;
    throw new RackcastError(isRackcastErrorCode(code) ? code : res.status === 404 ? 'RC_ERR_SESSION_NOT_FOUND' : 'RC_ERR_INTERNAL', body.error?.message ?? `HTTP ${res.status}`);
  }
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of res.body) {
    const { events, rest } = splitSseEvents(pending + decoder.decode(chunk as Uint8Array, { stream: true }));
    pending = rest;
    yield* events;
  }
}
