import { TFTP_DEFAULT_BLOCK_SIZE, tftpOptionList, type TftpOption, type TftpRequestedOptions } from '@rackcast/wire';

/** What the server grants at most. */
export interface TransferLimits {
  /** Example: 1468 */
  readonly maxBlockSize: number;
  /** Example: 16 */
  readonly maxWindowSize: number;
}

/** How one transfer runs, agreed from the request's options and the server's limits. */
export interface TransferPlan {
  readonly blockSize: number;
  readonly windowSize: number;
  /** Retransmission interval the client asked for (RFC 2349), in seconds: the server waits no longer; null = not asked. */
  readonly timeoutSeconds: number | null;
  /** What the OACK says; empty = no OACK, the transfer starts with DATA 1 (RFC 2347). */
  readonly oack: readonly TftpOption[];
}

/**
 * Answers a request's options (already range-checked by parseTftpOptions). blksize and
 * windowsize may be granted smaller than asked (RFC 2348 §"Block Size Option", RFC 7440 §3);
 * timeout is echoed and bounds the retransmission interval (RFC 2349; see TftpTransfer); tsize is
 * answered with the file's size when the server knows it as sent (not for netascii, like
 * tftpd-hpa), else left out. An option the server does not answer is simply not in the OACK.
 */
export function planTransfer(requested: TftpRequestedOptions, limits: TransferLimits, size: number | null): TransferPlan {
  const blksize = requested.blksize === undefined ? undefined : Math.min(requested.blksize, limits.maxBlockSize);
  const windowsize = requested.windowsize === undefined ? undefined : Math.min(requested.windowsize, limits.maxWindowSize);
  const tsize = requested.tsize === undefined || size === null ? undefined : size;
  const granted: TftpRequestedOptions = { blksize, tsize, timeout: requested.timeout, windowsize };
  return {
    blockSize: blksize ?? TFTP_DEFAULT_BLOCK_SIZE,
    windowSize: windowsize ?? 1,
    timeoutSeconds: requested.timeout ?? null,
    oack: tftpOptionList(granted),
  };
}
