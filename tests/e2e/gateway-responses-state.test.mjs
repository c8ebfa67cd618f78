// Stateful Responses through the gateway, as the official OpenAI SDK uses them, on all three
// provider kinds: responses.retrieve and input_items, previous_response_id chains (pinned to the
// cloud that keeps the conversation, or rebuilt by the gateway for Bedrock and chat-only routes,
// usable the moment a stream ends), a key reading only its own, delete, store: false, and the
// responses still there after a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequestError, NotFoundError } from 'openai';
import { startStack, thrown, withChatOnlyProvider } from './stack.mjs';

const ADMIN = 'e2e-admin-key-responses-state';
let s;
let alice;  // a client with one key
let bob;    // a client with another

async function createKey() {
  const res = await fetch(`${s.gw.url}/admin/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scopes: ['responses', 'chat', 'routing:explain'] }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).secret;
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-e2e-state-'));
  // openai-then-azure: the plan tries Azure first, so only the pin sends a conversation kept at
  // OpenAI back there. chat-only: the mock OpenAI reached as a server with chat only.
  s = await startStack(`  openai-second:
    routes:
      - { provider: azure-east, deployment: gpt4o-prod }
      - { provider: openai }
  chat-only:
    routes: [{ provider: chat-only }]
`, (yaml) => withChatOnlyProvider(yaml)
    .replace('auth: none', `auth: keys\nstore: { sqlite: ${join(dir, 'state.db')} }`)
    .replace('  workers: 2', `  workers: 2\n  admin_key: ${ADMIN}`));
  alice = s.client({ apiKey: await createKey() });
  bob = s.client({ apiKey: await createKey() });
});
after(async () => { await s?.stop(); });

// The text of every message the cloud was sent, in order: Converse messages (Bedrock) or chat
// messages (chat-only).
function sentTexts(body) {
  const sent = JSON.parse(body);
  return (sent.messages ?? []).flatMap((m) => {
    if (typeof m.content === 'string') return [m.content];
    return (m.content ?? []).map((c) => c.text).filter((t) => t !== undefined);
  });
}

test('OpenAI: retrieve and input_items read a kept response; a chain stays at the cloud that keeps it', async () => {
  const first = await alice.responses.create({ model: 'direct', input: 'remember the blue door' });
  const got = await alice.responses.retrieve(first.id);
  assert.equal(got.id, first.id);
  assert.equal(got.output_text, first.output_text);
  const items = await alice.responses.inputItems.list(first.id);
  assert.equal(items.data.length, 1);
  assert.equal(items.data[0].role, 'user');
  assert.equal(items.data[0].content[0].text, 'remember the blue door');

  // openai-second plans Azure first; the conversation lives at OpenAI, so the plan is pinned
  // there (the mock Azure would refuse an id it never made).
  await s.clear();
  const { data: second, response } = await alice.responses
    .create({ model: 'openai-second', previous_response_id: first.id, input: 'which door?' })
    .withResponse();
  assert.equal(response.headers.get('x-tollbooth-route'), 'openai');
  assert.match(response.headers.get('x-tollbooth-plan'), /azure-east=skip:conversation_elsewhere\(openai\)/);
  assert.equal(second.output_text, 'openai says: which door?');
  const [up] = await s.requests();
  assert.equal(JSON.parse(up.body).previous_response_id, first.id, 'the cloud continues its own conversation');
});

test('Azure: a chain stays at Azure, the deployment that keeps it', async () => {
  const first = await alice.responses.create({ model: 'gpt-4o', input: 'one' });
  await s.clear();
  const { data: second, response } = await alice.responses
    .create({ model: 'gpt-4o', previous_response_id: first.id, input: 'two' })
    .withResponse();
  assert.equal(response.headers.get('x-tollbooth-route'), 'azure-east');
  assert.equal(second.status, 'completed');
  const [up] = await s.requests();
  assert.equal(JSON.parse(up.body).previous_response_id, first.id);
  assert.equal((await alice.responses.retrieve(second.id)).id, second.id);
});

test('Bedrock: the gateway keeps the conversation, usable the moment a stream ends', async () => {
  const first = await alice.responses.create({ model: 'claude', input: 'my name is Ada' });
  assert.ok(first.id.startsWith('resp_'));
  // A streamed second turn, continued at once by a third: no wait between them.
  const stream = alice.responses.stream({ model: 'claude', previous_response_id: first.id, input: 'what is my name?' });
  for await (const event of stream) void event;
  const second = await stream.finalResponse();
  await s.clear();
  const third = await alice.responses.create({ model: 'claude', previous_response_id: second.id, input: 'thanks' });
  assert.equal(third.output_text, 'bedrock says: thanks');
  const [up] = await s.requests();
  assert.deepEqual(sentTexts(up.body), [
    'my name is Ada', first.output_text,
    'what is my name?', second.output_text,
    'thanks',
  ], 'Bedrock got the whole history, in order');
  // The streamed one reads back whole, with its own input items.
  const got = await alice.responses.retrieve(second.id);
  assert.equal(got.output_text, second.output_text);
  const items = await alice.responses.inputItems.list(second.id, { order: 'asc' });
  assert.deepEqual(items.data.map((i) => i.content[0].text), ['what is my name?']);
});

test('chat-only upstream: the history is rebuilt into the chat messages', async () => {
  const first = await alice.responses.create({ model: 'chat-only', input: 'alpha' });
  await s.clear();
  await alice.responses.create({ model: 'chat-only', previous_response_id: first.id, input: 'beta' });
  const [up] = await s.requests();
  assert.equal(up.target, '/openai/v1/chat/completions');
  assert.deepEqual(sentTexts(up.body), ['alpha', first.output_text, 'beta']);
});

test('a key reads and continues only its own responses', async () => {
  const mine = await alice.responses.create({ model: 'claude', input: 'private' });
  const read = await thrown(() => bob.responses.retrieve(mine.id));
  assert.ok(read instanceof NotFoundError, String(read));
  const items = await thrown(() => bob.responses.inputItems.list(mine.id));
  assert.ok(items instanceof NotFoundError, String(items));
  const chained = await thrown(() => bob.responses.create({ model: 'claude', previous_response_id: mine.id, input: 'x' }));
  assert.ok(chained instanceof BadRequestError, String(chained));
  assert.equal(chained.code, 'previous_response_not_found');
  assert.equal(chained.param, 'previous_response_id');
  const gone = await thrown(() => bob.responses.delete(mine.id));
  assert.ok(gone instanceof NotFoundError, String(gone));
  assert.equal((await alice.responses.retrieve(mine.id)).id, mine.id, 'still there for its key');
});

test('delete removes a response: it can be neither read nor continued after', async () => {
  const r = await alice.responses.create({ model: 'claude', input: 'forget me' });
  const res = await fetch(`${s.gw.url}/v1/responses/${r.id}`, {
    method: 'DELETE', headers: { authorization: `Bearer ${alice.apiKey}` },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { id: r.id, object: 'response', deleted: true });
  assert.ok(await thrown(() => alice.responses.retrieve(r.id)) instanceof NotFoundError);
  const chained = await thrown(() => alice.responses.create({ model: 'claude', previous_response_id: r.id, input: 'x' }));
  assert.equal(chained.code, 'previous_response_not_found');
});

test('deleting a response OpenAI or Azure keeps deletes it there too, with the provider\'s key', async () => {
  for (const [model, target] of [['direct', '/openai/v1/responses/'], ['gpt-4o', '/azure-east/openai/responses/']]) {
    const r = await alice.responses.create({ model, input: 'delete me everywhere' });
    await s.clear();
    const res = await fetch(`${s.gw.url}/v1/responses/${r.id}`, {
      method: 'DELETE', headers: { authorization: `Bearer ${alice.apiKey}` },
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await res.json()).deleted, true);
    const [up] = await s.requests();
    assert.equal(up.method, 'DELETE');
    assert.ok(up.target.startsWith(target + r.id), up.target);
    if (model === 'direct') assert.equal(up.headers.authorization, 'Bearer sk-mock-openai', 'the provider\'s own key');
    else assert.equal(up.headers['api-key'], 'azure-mock-key', 'the provider\'s own key');
    assert.ok(!JSON.stringify(up.headers).includes(alice.apiKey), 'never the client\'s key');
    assert.ok(await thrown(() => alice.responses.retrieve(r.id)) instanceof NotFoundError);
  }
});

test('store: false keeps nothing', async () => {
  const r = await alice.responses.create({ model: 'claude', input: 'ephemeral', store: false });
  assert.ok(await thrown(() => alice.responses.retrieve(r.id)) instanceof NotFoundError);
});

test('kept responses survive a restart, and their conversations go on', async () => {
  const before = await alice.responses.create({ model: 'claude', input: 'before the restart' });
  await s.restartGateway();
  const client = s.client({ apiKey: alice.apiKey });
  assert.equal((await client.responses.retrieve(before.id)).output_text, before.output_text);
  await s.clear();
  await client.responses.create({ model: 'claude', previous_response_id: before.id, input: 'after' });
  const [up] = await s.requests();
  assert.deepEqual(sentTexts(up.body), ['before the restart', before.output_text, 'after']);
});
