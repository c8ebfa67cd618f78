// The dashboard's files at /ui/: embedded in the binary, served without a key (they hold no
// data; the page calls the admin API with the key it is given), with headers that keep any
// script but the page's own from running and the page from being framed, an ETag that gives a
// 304, and a 404 for anything else under /ui/. tests/e2e/dashboard.test.mjs drives the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProcess, stop, tempFile, MOCK_CLOUDS, MOCK_KEYS, gatewayConfig } from './harness.mjs';

let mock;
let gw;

before(async () => {
  mock = await startProcess(['mock', '-l', '127.0.0.1:0', '-c', tempFile('mock.yaml', MOCK_CLOUDS)],
    { env: MOCK_KEYS, prefix: 'mock' });
  gw = await startProcess(['serve', '-c', tempFile('gw.yaml', gatewayConfig(mock.port))],
    { env: { ...MOCK_KEYS, TOLLBOOTH_LOG: 'warn' }, prefix: 'tollbooth' });
});
after(async () => { await stop(gw); await stop(mock); });

test('/ui redirects to /ui/, whose page loads its script and style from the gateway itself', async () => {
  const redirect = await fetch(`${gw.url}/ui`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/ui/');
  const page = await fetch(`${gw.url}/ui/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const html = await page.text();
  // Every script and stylesheet the page names is one of the gateway's own files.
  const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(refs.includes('app.js') && refs.includes('app.css'), refs.join(' '));
  assert.doesNotMatch(html, /<script>(?!<\/script>)/, 'no inline script');
  for (const ref of refs) {
    const res = await fetch(new URL(ref, `${gw.url}/ui/`));
    assert.equal(res.status, 200, ref);
    assert.ok((await res.arrayBuffer()).byteLength > 0, ref);
  }
  const js = await fetch(`${gw.url}/ui/app.js`);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  await js.arrayBuffer();
});

test('a browser that has a file gets a 304 for it; an unknown file is a 404 in OpenAI\'s shape', async () => {
  const first = await fetch(`${gw.url}/ui/app.js`);
  const etag = first.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}"$/);
  await first.arrayBuffer();
  const again = await fetch(`${gw.url}/ui/app.js`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await again.arrayBuffer()).byteLength, 0);
  for (const path of ['/ui/nope.js', '/ui/app.js/x', '/ui/.index.html', '/ui/index.html%00']) {
    const res = await fetch(`${gw.url}${path}`);
    assert.equal(res.status, 404, path);
    const body = await res.json();
    assert.equal(body.error.type, 'invalid_request_error', path);
  }
  const post = await fetch(`${gw.url}/ui/`, { method: 'POST' });
  assert.equal(post.status, 405);
  await post.arrayBuffer();
});
