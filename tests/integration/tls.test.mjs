// HTTPS upstreams: certificates are verified (against ca_file here), SNI and host name checked,
// and an untrusted certificate is a connect failure that falls back, never a silent accept.
// nginx (installed by scripts/install-deps) terminates TLS in front of the mock clouds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, stop, tempFile, chat, MOCK_CLOUDS, MOCK_KEYS } from './harness.mjs';

let mock, gw, nginx, dir;

function freePort() {
  return new Promise((res) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollbooth-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
  const tlsPort = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server {
    listen 127.0.0.1:${tlsPort} ssl;
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    location / { proxy_pass http://127.0.0.1:${mock.port}; proxy_buffering off; }
  }
}`);
  nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  await waitForPort(tlsPort);
  gw = await startProcess(['serve', '-c', tempFile('gw.yaml', `
server: { listen: 127.0.0.1:0, workers: 1 }
auth: none
billing: { unpriced: allow }  # these tests are not about prices
providers:
  trusted:
    kind: openai
    base_url: https://localhost:${tlsPort}/openai/v1
    api_key: env:MOCK_OPENAI_KEY
    ca_file: ${dir}/cert.pem
  untrusted:
    kind: openai
    base_url: https://localhost:${tlsPort}/openai/v1
    api_key: env:MOCK_OPENAI_KEY
  plain:
    kind: openai
    base_url: http://127.0.0.1:${mock.port}/openai/v1
    api_key: env:MOCK_OPENAI_KEY
models:
  over-tls:
    routes: [{ provider: trusted }]
  bad-cert:
    routes: [{ provider: untrusted }, { provider: plain }]
  bad-cert-only:
    routes: [{ provider: untrusted }]
`)], { env: MOCK_KEYS, prefix: 'tollbooth' });
});

after(async () => {
  await stop(gw);
  nginx?.kill('SIGTERM');
  await stop(mock);
});

test('an HTTPS upstream with a trusted certificate serves, streaming included', async () => {
  const res = await chat(gw.url, { model: 'over-tls', messages: [{ role: 'user', content: 'secure hello' }] });
  assert.equal(res.status, 200);
  assert.match((await res.json()).choices[0].message.content, /openai says: secure hello/);
  const s = await chat(gw.url, { model: 'over-tls', messages: [{ role: 'user', content: 'a b c' }], stream: true });
  assert.match(await s.text(), /data: \[DONE\]/);
});

test('an untrusted certificate is refused and the next route serves', async () => {
  const res = await chat(gw.url, { model: 'bad-cert', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-tollbooth-route'), 'plain');
  const only = await chat(gw.url, { model: 'bad-cert-only', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(only.status, 502);
  assert.match((await only.json()).error.message, /untrusted: connection failed|untrusted: connect failed/);
});
