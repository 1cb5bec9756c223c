import type { RunningServer } from '@rackcast/server';
import type { MachineProfile } from '@rackcast/wire';

/** A rack server's profile (2 sockets, 4 disks, 4 NICs): what a real fleet's records weigh. */
export function fleetProfile(i: number, mac: string): MachineProfile {
  const disk = (n: number, sizeBytes: number) => ({
    name: `sd${String.fromCharCode(97 + n)}`, sizeBytes, logicalBlockSize: 512, physicalBlockSize: 4096, rotational: n > 1, removable: false, readOnly: false,
    model: n > 1 ? 'ST8000NM0055-1RM112' : 'SAMSUNG MZ7LH960HAJR-00005', vendor: 'ATA', serial: `S45N${String(i).padStart(6, '0')}${n}`,
    wwn: `naa.5002538e40a${String(i).padStart(5, '0')}${n}`, transport: 'sata', sysfsPath: `pci0000:00/0000:00:17.0/ata${n + 1}/host${n}/target${n}:0:0/${n}:0:0:0`,
  });
  const nic = (n: number) => ({
    name: `eno${n + 1}`, mac: n === 0 ? mac : `${mac.slice(0, 15)}${(n + 16).toString(16)}`, driver: 'ixgbe', speedMbps: n < 2 ? 10_000 : null, carrier: n < 2,
    operstate: n < 2 ? 'up' : 'down', mtu: 1500, sysfsPath: `pci0000:00/0000:00:1c.${n}/0000:0${n + 1}:00.0`, addresses: n === 0 ? [`10.40.${i >> 8}.${i & 255}/16`] : [],
  });
  return {
    schema: 1,
    detectedAt: new Date().toISOString(),
    system: {
      uuid: `4c4c4544-0042-3510-8052-${String(i).padStart(12, '0')}`, serial: `CZJ${String(i).padStart(7, '0')}`, vendor: 'Dell Inc.', model: 'PowerEdge R640',
      boardVendor: 'Dell Inc.', boardModel: '0H28RR', boardSerial: `CNFCP00${i}`, chassisType: '23', chassisSerial: `SVC${i}`, assetTag: `RACK-${i}`,
    },
    firmware: { mode: 'uefi', vendor: 'Dell Inc.', version: '2.17.1', date: '03/14/2023', secureBoot: false },
    cpu: { vendor: 'GenuineIntel', model: 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz', architecture: 'x86_64', sockets: 2, cores: 40, threads: 80, mhz: 2100 },
    memory: { totalBytes: 384 * 2 ** 30 },
    disks: [disk(0, 960_197_124_096), disk(1, 960_197_124_096), disk(2, 8_001_563_222_016), disk(3, 8_001_563_222_016)],
    nics: [nic(0), nic(1), nic(2), nic(3)],
    problems: [],
  };
}

export function fleetMac(i: number): string {
  return `52:54:01:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
}

/**
 * Registers `count` machines through the registry as their agents would (iPXE token, then the
 * profile), and gives each a full event log (the registry keeps 50 events per machine).
 */
export async function registerFleet(server: RunningServer, count: number, eventsPerMachine: number): Promise<string[]> {
  const macs: string[] = [];
  for (let i = 0; i < count; i++) {
    const mac = fleetMac(i);
    const { token } = await server.machines.prepareBoot(mac, { platform: 'efi', buildarch: 'x86_64', uuid: '' });
    if (token === null) throw new Error(`no agent token for ${mac}: check boot.unknownMachines`);
    await server.machines.register(token, { bootMac: mac, agentVersion: '0.1.0', profile: fleetProfile(i, mac) });
    for (let e = 3; e < eventsPerMachine; e++) await server.machines.setJob(mac, 'wait');
    macs.push(mac);
  }
  return macs;
}

/** Creates `sessions` deploys of `image` over the fleet (an equal share each) and cancels all but `keepRunning`. */
export async function createDeploys(url: string, auth: Readonly<Record<string, string>>, image: string, macs: readonly string[], sessions: number, keepRunning: number): Promise<number[]> {
  const per = Math.floor(macs.length / sessions);
  const ids: number[] = [];
  for (let s = 0; s < sessions; s++) {
    const machines = macs.slice(s * per, (s + 1) * per);
    const res = await fetch(`${url}/api/deploys`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ image, machines, hostnamePattern: `rack${s + 1}-{n}`, rate: '100mbit' }),
    });
    if (res.status !== 201) throw new Error(`deploy ${s + 1} refused: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { session: { id: number } }).session.id);
  }
  for (const id of ids.slice(keepRunning)) {
    const res = await fetch(`${url}/api/sessions/${id}`, { method: 'DELETE', headers: auth });
    if (!res.ok) throw new Error(`cancel of session ${id}: ${res.status}`);
  }
  return ids;
}
