import { Router, type Request } from 'express';
import {
  findBootFile, renderAgentScript, renderChainScript, renderLocalBootScript, renderRefusalScript,
  type BootEndpoints, type BootFileFolders,
} from '../boot/index.js';
import type { Logger } from '../log.js';
import type { SendFileOptions } from 'express-serve-static-core';
import { normaliseMac, type MachineRegistry } from '../machine/index.js';

/** Read size for boot files (kernel, initramfs): large sequential files. */
const BOOT_FILE_READ_BYTES = 1024 * 1024;

/** What the boot routes need besides the registry. */
export interface BootRoutesOptions extends BootFileFolders {
  /** Where machines reach this server; resolved once the HTTP server listens (its port may be 0 in config). */
  readonly endpoints: () => BootEndpoints;
  /** boot.kernelArgs, e.g. "console=tty0 console=ttyS0,115200". */
  readonly kernelArgs: string;
}

/** A query value iPXE filled in (platform, buildarch, uuid): short, plain characters, else "". */
function queryWord(req: Request, name: string): string {
  const value = req.query[name];
  return typeof value === 'string' && /^[A-Za-z0-9_-]{0,40}$/.test(value) ? value : '';
}

/**
 * /boot: iPXE scripts and boot files, outside /api because firmware fetches them. Every script
 * answer is 200 with a valid script, even a refusal (which says why on the machine's console
 * and exits), so iPXE never stops on an HTTP error page.
 */
export function bootRouter(machines: MachineRegistry, options: BootRoutesOptions, log: Logger): Router {
  const router = Router();
  router.get('/ipxe', async (req, res) => {
    res.type('text/plain');
    const base = options.endpoints().httpBaseUrl;
    const macText = req.query['mac'];
    if (macText === undefined) {
      res.send(renderChainScript(base));
      return;
    }
    let mac: string;
    try {
      mac = normaliseMac(typeof macText === 'string' ? macText : '');
    } catch {
      log.info({ mac: String(macText).slice(0, 40) }, 'ipxe script refused: malformed mac');
      res.send(renderRefusalScript('the boot MAC address is malformed'));
      return;
    }
    const prepared = await machines.prepareBoot(mac, { platform: queryWord(req, 'platform'), buildarch: queryWord(req, 'buildarch'), uuid: queryWord(req, 'uuid').toLowerCase() });
    if (prepared.target === 'agent' && prepared.token !== null) {
      res.send(renderAgentScript({ baseUrl: base, kernelArgs: options.kernelArgs, token: prepared.token }));
    } else if (prepared.target === 'local') {
      res.send(renderLocalBootScript());
    } else {
      log.info({ mac }, 'ipxe script refused: machine not managed here');
      res.send(renderRefusalScript('this machine is not managed by this server'));
    }
  });
  // GET answers HEAD too; sendFile (the `send` module) handles Range, If-Range, 416 and HEAD.
  router.get('/files/:name', async (req, res, next) => {
    const file = await findBootFile(req.params.name, options);
    // `send` hands extra options to fs.createReadStream: 1 MiB reads instead of 64 KiB halve the
    // CPU per preboot download (scripts/bench/boot-files: 1.78x busybox httpd -> 1.09x, one client).
    res.sendFile(file.path, { acceptRanges: true, lastModified: true, etag: true, dotfiles: 'allow', highWaterMark: BOOT_FILE_READ_BYTES } as SendFileOptions, (err?: Error) => {
      // A client that hangs up mid-file is normal (iPXE cancels, a VM resets): not an error.
      if (err !== undefined && !res.headersSent) next(err);
    });
  });
  return router;
}
