import { parseMachineProfile, type AgentRegistration } from '@rackcast/wire';

export interface RegistrationFixture {
  readonly diskBytes?: number;
  readonly diskSerial?: string;
  readonly systemSerial?: string;
  readonly uuid?: string;
}

/** For the registries' tests: an agent registration with a one-disk (vda) QEMU BIOS profile. */
export function agentRegistration(mac: string, o: RegistrationFixture = {}): AgentRegistration {
  const profile = parseMachineProfile({
    schema: 1, detectedAt: '2025-01-31T10:00:00.000Z',
    system: { uuid: o.uuid ?? 'abc', serial: o.systemSerial ?? '', vendor: 'QEMU', model: 'pc', boardVendor: '', boardModel: '', boardSerial: '', chassisType: '', chassisSerial: '', assetTag: '' },
    firmware: { mode: 'bios', vendor: '', version: '', date: '', secureBoot: null },
    cpu: { vendor: '', model: '', architecture: 'x86_64', sockets: 1, cores: 1, threads: 1, mhz: 0 },
    memory: { totalBytes: 2 ** 30 },
    disks: [{
      name: 'vda', sizeBytes: o.diskBytes ?? 2 ** 31, logicalBlockSize: 512, physicalBlockSize: 512, rotational: null, removable: false, readOnly: false,
      model: '', vendor: '', serial: o.diskSerial ?? 's1', wwn: '', transport: 'virtio', sysfsPath: '',
    }],
    nics: [], problems: [],
  });
  return { bootMac: mac, agentVersion: '0.1.0', profile };
}
