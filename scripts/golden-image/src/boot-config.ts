import { ROOT_LABEL } from './layout.js';

/** Kernel command line: serial console, root by label (the initramfs resolves it), reboot 10 s after a panic. */
export const KERNEL_ARGS = `console=ttyS0,115200 root=LABEL=${ROOT_LABEL} rootwait=30 panic=10`;

/**
 * syslinux.cfg, the same for BIOS (ldlinux.sys reads /syslinux.cfg) and UEFI (syslinux.efi reads
 * the one beside it in /EFI/BOOT). Paths are from the FAT root in both cases. No menu, no wait.
 */
export function syslinuxConfig(kernelArgs = KERNEL_ARGS): string {
  return [
    'DEFAULT golden',
    'PROMPT 0',
    'TIMEOUT 0',
    'SERIAL 0 115200',
    'LABEL golden',
    '  LINUX /vmlinuz',
    '  INITRD /initrd.img',
    `  APPEND ${kernelArgs}`,
    '',
  ].join('\n');
}
