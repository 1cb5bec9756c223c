import { BROADCAST_FLAG, type DhcpPacket } from './packet.js';

/** UDP ports of DHCP. RFC 2131 §4.1 */
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
/** PXE boot server discovery / ProxyDHCP requests (PXE 2.1 §2.2.3). */
export const PXE_PROXY_PORT = 4011;
export const LIMITED_BROADCAST = '255.255.255.255';

/** Where a reply to a request on port 67 goes. */
export interface ReplyRoute {
  readonly address: string;
  readonly port: number;
  /**
   * RFC 2131 wants a unicast to chaddr/yiaddr here (client without an address, broadcast bit
   * clear). That needs an ARP entry the sender cannot add from user space without raw
   * sockets, so the reply is broadcast instead, which every client listens for anyway.
   */
  readonly broadcastInsteadOfUnicast: boolean;
}

/**
 * RFC 2131 §4.1 as a pure function: via the relay in giaddr (to its server port); else to
 * ciaddr; else broadcast. A NAK without a relay is always broadcast.
 */
export function routeReply(request: Pick<DhcpPacket, 'giaddr' | 'ciaddr' | 'flags'>, isNak = false): ReplyRoute {
  if (request.giaddr !== '0.0.0.0') return { address: request.giaddr, port: DHCP_SERVER_PORT, broadcastInsteadOfUnicast: false };
  if (isNak) return { address: LIMITED_BROADCAST, port: DHCP_CLIENT_PORT, broadcastInsteadOfUnicast: false };
  if (request.ciaddr !== '0.0.0.0') return { address: request.ciaddr, port: DHCP_CLIENT_PORT, broadcastInsteadOfUnicast: false };
  return { address: LIMITED_BROADCAST, port: DHCP_CLIENT_PORT, broadcastInsteadOfUnicast: (request.flags & BROADCAST_FLAG) === 0 };
}
