import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMutating, requiredAccess } from './route-policy.js';

describe('route policy', () => {
  test('reading needs a viewer, changing an operator; a viewer cannot start a deploy', () => {
    assert.equal(requiredAccess('GET', '/api/images'), 'viewer');
    assert.equal(requiredAccess('HEAD', '/api/machines'), 'viewer');
    assert.equal(requiredAccess('GET', '/api/sessions/3/events'), 'viewer');
    assert.equal(requiredAccess('GET', '/metrics'), 'viewer');
    assert.equal(requiredAccess('POST', '/api/deploys'), 'operator');
    assert.equal(requiredAccess('PUT', '/api/machines/52:54:00:00:00:01/job'), 'operator');
    assert.equal(requiredAccess('DELETE', '/api/images/golden'), 'operator');
    assert.equal(requiredAccess('PATCH', '/api/anything'), 'operator');
  });

  test('accounts, tokens and the audit log need an admin whatever the method', () => {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      for (const path of ['/api/users', '/api/users/alice', '/api/tokens', '/api/tokens/ab12', '/api/audit']) assert.equal(requiredAccess(method, path), 'admin', `${method} ${path}`);
    }
    assert.equal(requiredAccess('GET', '/api/usersx'), 'viewer', 'a prefix is matched by whole segments');
  });

  test('agent, boot, health, login and the dashboard files are public; nothing more', () => {
    const open: [string, string][] = [
      ['GET', '/api/health'], ['GET', '/api/openapi.json'], ['POST', '/api/auth/login'], ['POST', '/api/auth/logout'],
      ['POST', '/api/agent/register'], ['GET', '/api/agent/channel'], ['GET', '/api/captures/agent'], ['PUT', '/api/captures/agent/blocks/ab'],
      ['POST', '/api/captures/agent/commit'], ['POST', '/api/sessions/7/receivers'], ['GET', '/api/sessions/7/manifest'], ['GET', '/api/sessions/7/blocks/12'],
      ['GET', '/boot/ipxe'], ['GET', '/boot/files/vmlinuz'], ['GET', '/'], ['GET', '/assets/index-abc.js'],
    ];
    for (const [method, path] of open) assert.equal(requiredAccess(method, path), 'public', `${method} ${path}`);
    const closed: [string, string][] = [
      ['GET', '/api/auth/me'], ['GET', '/api/sessions/7'], ['GET', '/api/sessions/7/receivers'], ['DELETE', '/api/sessions/7/manifest'],
      ['POST', '/api/captures'], ['GET', '/api/captures/agentx'], ['GET', '/api/health/x'], ['POST', '/api/health'], ['GET', '/api/events'],
    ];
    for (const [method, path] of closed) assert.notEqual(requiredAccess(method, path), 'public', `${method} ${path}`);
  });

  test('case, repeated slashes, escapes and dot segments do not make a route public or lower its role', () => {
    assert.equal(requiredAccess('GET', '/API/Users'), 'admin');
    assert.equal(requiredAccess('GET', '//api//users'), 'admin');
    assert.equal(requiredAccess('GET', '/api/%75sers'), 'admin');
    assert.equal(requiredAccess('GET', '/%61pi/images'), 'viewer');
    assert.equal(requiredAccess('GET', '/api/agent/../users'), 'admin');
    assert.equal(requiredAccess('GET', '/api/agent/%2e%2e/images'), 'viewer');
    assert.equal(requiredAccess('GET', '/api/captures/agent/..'), 'viewer');
    assert.equal(requiredAccess('GET', '/api/%zz'), 'viewer', 'a malformed escape is not public');
  });

  test('changes are the methods other than GET, HEAD and OPTIONS', () => {
    assert.deepEqual(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'].map(isMutating), [false, false, false, true, true, true, true]);
  });
});
