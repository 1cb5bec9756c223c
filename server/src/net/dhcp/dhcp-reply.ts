import {
  BootpOp, BROADCAST_FLAG, DhcpMessageType, DhcpOption, encodeIpxeNoProxyWait, encodePxeBootfileOnly, encodeSubOptions, fitsFileField, ipv4Bytes,
  readPxeVendorOptions, type BootClientInfo, type DhcpMessageTypeId, type DhcpPacket,
} from '@rackcast/wire';

/*
 * Replies as values: which fields and options a ProxyDHCP offer, a port-4011 ACK and a full
 * DHCP offer carry for each boot answer (research/peers.md §5.4, research/lab.md §3 and §7).
 */

/** What the boot policy hands a client (declared here, implemented by boot/). */
export type DhcpBootAnswer =
  | { readonly kind: 'tftp'; readonly bootFile: string }
  | { readonly kind: 'http'; readonly url: string }
  | { readonly kind: 'ipxe-script'; readonly url: string };

/** Which of the three reply shapes boot information goes into. */
export type BootReplyShape = 'proxy-offer' | 'proxy-ack' | 'full';

const PXE_SUB_BOOT_ITEM = 71; // PXE 2.1 §2.4: echoed in a boot server ACK

/** The reply skeleton: the request's xid, flags, giaddr and hardware address (RFC 2131 table 3). */
export function replyTo(request: DhcpPacket, type: DhcpMessageTypeId, serverAddress: string, fields: Partial<Pick<DhcpPacket, 'ciaddr' | 'yiaddr'>> = {}): { packet: DhcpPacket; options: Map<number, Uint8Array> } {
  const options = new Map<number, Uint8Array>([
    [DhcpOption.MessageType, Uint8Array.of(type)],
    [DhcpOption.ServerIdentifier, ipv4Bytes(serverAddress)],
  ]);
  const packet: DhcpPacket = {
    op: BootpOp.Reply, htype: request.htype, hlen: request.hlen, hops: 0, xid: request.xid, secs: 0, flags: request.flags,
    ciaddr: fields.ciaddr ?? '0.0.0.0', yiaddr: fields.yiaddr ?? '0.0.0.0', siaddr: '0.0.0.0', giaddr: request.giaddr,
    chaddr: request.chaddr, sname: '', file: '', options,
  };
  return { packet, options };
}

/** A NAK: no addresses, no boot information (RFC 2131 table 3). */
export function nakTo(request: DhcpPacket, serverAddress: string, message: string): DhcpPacket {
  const { packet, options } = replyTo(request, DhcpMessageType.Nak, serverAddress);
  options.set(DhcpOption.Message, Buffer.from(message, 'latin1'));
  // Through a relay the NAK must be broadcast on the client's segment (RFC 2131 §4.1).
  return request.giaddr === '0.0.0.0' ? packet : { ...packet, flags: packet.flags | BROADCAST_FLAG };
}

/**
 * Adds the boot answer to a reply. The URL or file name goes in `file` when it fits (PXE ROMs
 * read only that) and in option 67 (iPXE and HTTP boot read it; URLs may exceed 127 bytes).
 * Option 60 is set only where firmware needs it: every ProxyDHCP reply (PXE 2.1 §2.2: how a
 * proxy offer is recognised) and every HTTP-boot reply (EDK2 checks "HTTPClient"); a full DHCP
 * offer to PXE firmware carries none (peers.md §5.4: it breaks UEFI PXE). Option 43 with
 * discovery control 8 goes only to BIOS in a proxy offer; UEFI gets no 43 there and so asks
 * again on port 4011 (pixiecore's choice, seen to work with OVMF). iPXE on a full DHCP server
 * gets 175.176 = 1 so it does not wait for ProxyDHCP offers (research/lab.md §7.3).
 */
export function addBootAnswer(reply: DhcpPacket, options: Map<number, Uint8Array>, request: DhcpPacket, client: BootClientInfo, answer: DhcpBootAnswer, serverAddress: string, shape: BootReplyShape): DhcpPacket {
  const target = answer.kind === 'tftp' ? answer.bootFile : answer.url;
  options.set(DhcpOption.BootfileName, Buffer.from(target, 'latin1'));
  if (answer.kind === 'http') options.set(DhcpOption.VendorClassIdentifier, Buffer.from('HTTPClient'));
  else if (shape !== 'full') options.set(DhcpOption.VendorClassIdentifier, Buffer.from('PXEClient'));
  if (client.machineId !== null) options.set(DhcpOption.ClientMachineId, client.machineId);
  const vendor = vendorOptions(request, client, answer, shape);
  if (vendor !== null) options.set(DhcpOption.VendorSpecific, vendor);
  if (client.isIpxe && shape === 'full') options.set(DhcpOption.IpxeEncapsulated, encodeIpxeNoProxyWait());
  return { ...reply, siaddr: serverAddress, file: fitsFileField(target) ? target : '' };
}

function vendorOptions(request: DhcpPacket, client: BootClientInfo, answer: DhcpBootAnswer, shape: BootReplyShape): Uint8Array | null {
  if (shape === 'proxy-ack') {
    const bootItem = readPxeVendorOptions(request.options)?.get(PXE_SUB_BOOT_ITEM);
    return bootItem === undefined ? null : encodeSubOptions(new Map([[PXE_SUB_BOOT_ITEM, bootItem]]));
  }
  const biosFirmware = answer.kind === 'tftp' && !client.isIpxe && (client.arch ?? 0) === 0;
  return shape === 'proxy-offer' && biosFirmware ? encodePxeBootfileOnly() : null;
}

/** Address options of a full-mode OFFER/ACK (no router unless configured: research/lab.md §7.4). */
export function addLeaseOptions(options: Map<number, Uint8Array>, lease: { subnetMask: string; router: string; dns: readonly string[]; leaseSeconds?: number }): void {
  options.set(DhcpOption.SubnetMask, ipv4Bytes(lease.subnetMask));
  if (lease.router !== '') options.set(DhcpOption.Router, ipv4Bytes(lease.router));
  if (lease.dns.length > 0) options.set(DhcpOption.DomainNameServer, Uint8Array.from(lease.dns.flatMap((a) => [...ipv4Bytes(a)])));
  if (lease.leaseSeconds !== undefined) {
    const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    options.set(DhcpOption.LeaseTime, u32(lease.leaseSeconds));
    options.set(DhcpOption.RenewalTime, u32(Math.floor(lease.leaseSeconds / 2)));
    options.set(DhcpOption.RebindingTime, u32(Math.floor((lease.leaseSeconds * 7) / 8)));
  }
}
