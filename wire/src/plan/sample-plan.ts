import type { DeployPlan } from './deploy-plan.js';

/** A plan shaped like the golden image's onto a 1 GiB VM disk; for this package's tests (not exported). */
export function samplePlan(): DeployPlan {
  return {
    schema: 1,
    image: { name: 'golden', version: 1, diskBytes: 536_870_912, usedEndBytes: 536_870_912, table: 'gpt' },
    target: { serial: 'rackcast-disk-1', wwn: '', sizeBytes: 1_073_741_824, model: 'QEMU HARDDISK', nameHint: 'vda' },
    untouched: [{ serial: 'scratch-1', wwn: 'naa.5000c500a1b2c3d4', sizeBytes: 2_147_483_648, model: '', nameHint: 'vdb' }],
    layout: { resizePartition: 2, filesystem: 'ext4' },
    personalise: {
      rootPartition: 2, hostname: 'rack1-1',
      nics: [{ mac: '52:54:00:12:34:56', mode: 'dhcp', address: '', gateway: '', dns: [] }],
      newMachineId: true, removeSshHostKeys: true,
      uefiBootEntry: { label: 'rack1-1', partition: 1, loader: '\\EFI\\BOOT\\BOOTX64.EFI' },
    },
  };
}
