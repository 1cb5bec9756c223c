export {
  DhcpOption, DhcpMessageType, decodeOptionRun, encodeSubOptions,
  type DhcpMessageTypeId, type DhcpOptions,
} from './options.js';
export {
  ipv4Text, ipv4Bytes, optionText, readMessageType, readServerIdentifier, readRequestedAddress, readSubnetMask, readRouters,
  readDnsServers, readLeaseTime, readHostName, readVendorClass, readTftpServerName, readBootfileName, readParameterRequestList,
  readMaxMessageSize, readClientIdentifier, readUserClass,
} from './option-values.js';
export {
  DHCP_MAGIC_COOKIE, BOOTP_HEADER_LENGTH, DHCP_MIN_LENGTH, BOOTP_MIN_REPLY_LENGTH, DHCP_MAX_LENGTH, BootpOp, BROADCAST_FLAG,
  decodeDhcpPacket, encodeDhcpPacket, hardwareAddress, chaddrBytes, fitsFileField,
  type BootpOpId, type DhcpPacket,
} from './packet.js';
export {
  ClientArch, PxeSubOption, PXE_DISCOVERY_USE_BOOTFILE, IpxeSubOption, readClientArch, readClientNdi, readClientMachineId,
  readPxeVendorOptions, readIpxeOptions, encodePxeBootfileOnly, encodeIpxeNoProxyWait, describeBootClient,
  type BootClientInfo, type ClientNdi,
} from './pxe.js';
export { DHCP_SERVER_PORT, DHCP_CLIENT_PORT, PXE_PROXY_PORT, LIMITED_BROADCAST, routeReply, type ReplyRoute } from './reply-route.js';
