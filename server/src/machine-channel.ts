import { parseMachineAgentMessage } from '@rackcast/wire';
import type { MachineRegistry } from './machine/index.js';
import type { MachineChannelHandler } from './net/agent-channel.js';

/**
 * Composition glue beside main.ts: joins registered agents' WebSocket (net/) to the machine
 * registry, authenticating by the agent credential and parsing every message before use (a
 * bad one throws, and the channel drops it with one log line).
 */
export function machineChannelHandler(machines: MachineRegistry): MachineChannelHandler {
  return {
    accept(credential, connection) {
      const link = machines.attachAgent(credential, { send: (m) => connection.sendJson(m), close: () => connection.close() });
      return {
        onText(text) {
          link.onMessage(parseMachineAgentMessage(JSON.parse(text)));
        },
        onBinary() {
          throw new Error('the machine channel carries no binary messages');
        },
        onClose() {
          link.onClose();
        },
      };
    },
  };
}
