// The official OpenAI SDK with a tollbooth virtual key: the key is its apiKey, a bad key is the
// SDK's AuthenticationError, and a key over its rpm is its RateLimitError with the headers the
// SDK's own retry logic reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationError, PermissionDeniedError, RateLimitError } from 'openai';
import { startStack, thrown } from './stack.mjs';

const ADMIN = 'e2e-admin-key-0123456789';
let stack;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-e2e-keys-'));
  stack = await startStack('', (yaml) => yaml
    .replace('auth: none', `auth: keys\nstore: { sqlite: ${join(dir, 'keys.db')} }`)
    .replace('  workers: 2', `  workers: 2\n  admin_key: ${ADMIN}`));
});
after(() => stack?.stop());

async function createKey(fields) {
  const res = await fetch(`${stack.gw.url}/admin/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  assert.equal(res.status, 201);
  return (await res.json()).secret;
}

const ask = (client, model = 'direct') =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

test('a virtual key is the SDK\'s apiKey; the rate-limit headers come with the answer', async () => {
  const secret = await createKey({ alias: 'sdk', rpm: 10 });
  const client = stack.client({ apiKey: secret });
  const { data, response } = await ask(client).withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.equal(response.headers.get('x-ratelimit-limit-requests'), '10');
  assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '9');
});

test('a wrong key is an AuthenticationError, a model the key may not use a PermissionDeniedError', async () => {
  const wrong = await thrown(() => ask(stack.client({ apiKey: 'tk-' + 'x'.repeat(43) })));
  assert.ok(wrong instanceof AuthenticationError, String(wrong));
  assert.equal(wrong.code, 'invalid_api_key');
  const limited = await createKey({ models: ['gpt-4o'] });
  const denied = await thrown(() => ask(stack.client({ apiKey: limited }), 'direct'));
  assert.ok(denied instanceof PermissionDeniedError, String(denied));
  assert.equal(denied.code, 'model_not_allowed');
});

test('over its rpm the SDK gets a RateLimitError with the Retry-After its retries honour', async () => {
  const secret = await createKey({ rpm: 2 });
  const client = stack.client({ apiKey: secret });
  await ask(client);
  await ask(client);
  const e = await thrown(() => ask(client));
  assert.ok(e instanceof RateLimitError, String(e));
  assert.equal(e.code, 'rate_limit_exceeded');
  const header = (name) => (typeof e.headers?.get === 'function' ? e.headers.get(name) : e.headers?.[name]);
  assert.ok(Number(header('retry-after')) >= 1, `retry-after: ${header('retry-after')}`);
  assert.equal(header('x-ratelimit-remaining-requests'), '0');
});
