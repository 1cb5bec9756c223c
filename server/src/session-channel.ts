import { decodeNakReport } from '@rackcast/wire';
import { z } from 'zod';
import type { AgentChannelHandler } from './net/agent-channel.js';
import type { SessionRegistry } from './session/index.js';

const Progress = z.object({
  type: z.literal('progress'),
  state: z.enum(['receiving', 'backfill']),
  blocksDone: z.number().int().min(0),
  blocksTotal: z.number().int().min(0),
  bytesDone: z.number().min(0),
  bytesTotal: z.number().min(0),
  rate: z.number().min(0),
  etaSeconds: z.number().min(0).nullable(),
  repairs: z.number().int().min(0),
  authFailures: z.number().int().min(0),
  overruns: z.number().int().min(0),
  lossRate: z.number().min(0).max(1),
  completed: z.array(z.tuple([z.number().int().min(0), z.number().int().min(1)])).max(100_000),
});
const Done = z.object({ type: z.literal('done') });
const Fail = z.object({ type: z.literal('fail'), code: z.string().max(64), message: z.string().max(1000) });
const Message = z.discriminatedUnion('type', [Progress, Done, Fail]);

/**
 * Composition glue beside main.ts: joins the agents' WebSocket channel (net/) to the sessions,
 * authenticating receivers by token and validating their messages before routing them.
 */
export function sessionChannelHandler(sessions: SessionRegistry): AgentChannelHandler {
  return {
    accept(sessionId, token, connection) {
      const session = sessions.get(sessionId);
      const receiver = session.receiverFor(token);
      const channel = { send: (m: unknown) => connection.sendJson(m), close: () => connection.close() };
      session.attach(receiver.id, channel);
      return {
        onText(text) {
          const message = Message.parse(JSON.parse(text));
          if (message.type === 'progress') {
            const { type: _t, completed, state, ...progress } = message;
            session.onProgress(receiver.id, progress, completed, state);
          } else if (message.type === 'done') session.onDone(receiver.id);
          else session.onFail(receiver.id, message.code, message.message);
        },
        onBinary(bytes) {
          session.onReport(receiver.id, decodeNakReport(bytes));
        },
        onClose() {
          session.detach(receiver.id, channel);
        },
      };
    },
  };
}
