import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderAgentScript, renderChainScript, renderLocalBootScript, renderRefusalScript } from './ipxe-script.js';

const BASE = 'http://10.0.0.1:8080';
const TOKEN = 'Fd1BRTZuKH8xgiNFxDWtoCibtRfWhzNr';

describe('iPXE scripts', () => {
  test('the chain script asks for the per-machine script with MAC, UUID, platform and build architecture', () => {
    assert.equal(renderChainScript(BASE),
      '#!ipxe\nchain http://10.0.0.1:8080/boot/ipxe?mac=${net0/mac}&uuid=${uuid}&platform=${platform}&buildarch=${buildarch}\n');
  });

  test('the agent script boots the kernel with both initrds by name, the server, the token and BOOTIF', () => {
    assert.equal(renderAgentScript({ baseUrl: BASE, kernelArgs: 'console=tty0 console=ttyS0,115200', token: TOKEN }), [
      '#!ipxe',
      `kernel ${BASE}/boot/files/vmlinuz initrd=initrd.img initrd=agent.img console=tty0 console=ttyS0,115200 rackcast.server=${BASE} rackcast.token=${TOKEN} BOOTIF=01-\${net0/mac:hexhyp}`,
      `initrd ${BASE}/boot/files/initrd.img`,
      `initrd ${BASE}/boot/files/agent.img`,
      'boot',
      '',
    ].join('\n'));
  });

  test('kernel arguments stay on the kernel line; empty ones leave no double space', () => {
    const script = renderAgentScript({ baseUrl: BASE, kernelArgs: ' quiet\n  shell\r\nexit ', token: TOKEN });
    assert.equal(script.split('\n').length, 6, 'no line break from the config reaches the script');
    assert.match(script, /initrd=agent\.img quiet shell exit rackcast\.server=/);
    assert.doesNotMatch(renderAgentScript({ baseUrl: BASE, kernelArgs: '', token: TOKEN }), / {2}/);
  });

  test('values that could change the script are refused', () => {
    assert.throws(() => renderAgentScript({ baseUrl: BASE, kernelArgs: '', token: 'abc${evil}def0123456789' }), /token/);
    assert.throws(() => renderChainScript('http://10.0.0.1:8080/x y'), /base URL/);
    assert.throws(() => renderChainScript('http://10.0.0.1:8080\nshell'), /base URL/);
  });

  test('local boot exits with 1 (EDK2 shows its boot manager on a plain exit); a refusal says why', () => {
    assert.equal(renderLocalBootScript(), '#!ipxe\nexit 1\n');
    assert.equal(renderRefusalScript('not managed here; ${x}\nshell'), '#!ipxe\necho Rackcast: not managed here;   x  shell\nexit 1\n');
  });
});
