// The mock Bedrock cloud is a faithful Bedrock Runtime: the official AWS SDK
// (@aws-sdk/client-bedrock-runtime) talks to it directly, signs with SigV4, and gets Converse
// answers, ConverseStream event streams and modeled errors it understands. @smithy/signature-v4
// cross-checks the mock's signature verification, which uses tollbooth's own signer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { startMockWith, thrown } from './stack.mjs';

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const MODEL = 'us.anthropic.claude-3-5-sonnet-20240620-v1:0';
const CREDS = `region: us-east-1, access_key_id: ${AKID}, secret_access_key: "${SECRET}"`;

const YAML = `
clouds:
  br: {kind: bedrock, prefix: /br, ${CREDS}}
  br-throttled: {kind: bedrock, prefix: /br-throttled, fault: "status=429", ${CREDS}}
  br-exception: {kind: bedrock, prefix: /br-exception, fault: "exception=throttlingException", ${CREDS}}
  br-key: {kind: bedrock, prefix: /br-key, api_key: bedrock-key}
`;

let m;
before(async () => { m = await startMockWith(YAML, 'bedrock-mock.yaml'); });
after(async () => { await m?.stop(); });

const client = (prefix = 'br', secretAccessKey = SECRET) => new BedrockRuntimeClient({
  region: 'us-east-1',
  endpoint: `${m.mock.url}/${prefix}`,
  credentials: { accessKeyId: AKID, secretAccessKey },
  maxAttempts: 1,
  // The SDK defaults to HTTP/2 (for bidirectional streams); the mock speaks HTTP/1.1, which the
  // SDK also uses for Converse and ConverseStream when given this handler.
  requestHandler: new NodeHttpHandler(),
});

const ask = (text) => [{ role: 'user', content: [{ text }] }];
const TOOLS = {
  tools: [
    { toolSpec: { name: 'get_weather', description: 'Weather', inputSchema: { json: { type: 'object' } } } },
    { toolSpec: { name: 'get_time', description: 'Time', inputSchema: { json: { type: 'object' } } } },
  ],
};

test('ConverseCommand: text answer, usage, and the signed request the cloud saw', async () => {
  await m.clear();
  const r = await client().send(new ConverseCommand({ modelId: MODEL, messages: ask('hello bedrock') }));
  assert.equal(r.stopReason, 'end_turn');
  assert.equal(r.output.message.role, 'assistant');
  assert.equal(r.output.message.content[0].text, 'br says: hello bedrock');
  assert.equal(r.usage.inputTokens, 2 + 3);
  assert.equal(r.usage.outputTokens, 4);
  assert.equal(r.usage.totalTokens, 9);
  assert.ok(r.$metadata.requestId, 'x-amzn-RequestId reaches the SDK');

  const [up] = await m.requests();
  assert.equal(up.cloud, 'br');
  assert.equal(up.target, '/br/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
  assert.match(up.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=/);
});

test('ConverseCommand with tools: toolUse blocks, parallel calls, named toolChoice, tool results', async () => {
  const c = client();
  let r = await c.send(new ConverseCommand({ modelId: MODEL, messages: ask('weather in Paris?'), toolConfig: TOOLS }));
  assert.equal(r.stopReason, 'tool_use');
  assert.deepEqual(r.output.message.content, [
    { toolUse: { toolUseId: 'tooluse_mock_1', name: 'get_weather', input: { echo: 'weather in Paris?' } } },
  ]);

  r = await c.send(new ConverseCommand({ modelId: MODEL, messages: ask('both in parallel'), toolConfig: TOOLS }));
  assert.deepEqual(r.output.message.content.map((b) => [b.toolUse.toolUseId, b.toolUse.name]),
    [['tooluse_mock_1', 'get_weather'], ['tooluse_mock_2', 'get_time']]);

  r = await c.send(new ConverseCommand({
    modelId: MODEL, messages: ask('what time?'), toolConfig: { ...TOOLS, toolChoice: { tool: { name: 'get_time' } } },
  }));
  assert.equal(r.output.message.content.length, 1);
  assert.equal(r.output.message.content[0].toolUse.name, 'get_time');

  r = await c.send(new ConverseCommand({
    modelId: MODEL,
    toolConfig: TOOLS,
    messages: [
      ...ask('weather in Paris?'),
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_mock_1', name: 'get_weather', input: { echo: 'x' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_mock_1', content: [{ text: '18C sunny' }] } }] },
    ],
  }));
  assert.equal(r.stopReason, 'end_turn');
  assert.equal(r.output.message.content[0].text, 'br got tool results: 18C sunny');
});

test('ConverseCommand: Bedrock validation errors come back as ValidationException', async () => {
  const e = await thrown(() => client().send(new ConverseCommand({
    modelId: MODEL, messages: ask('hi'), inferenceConfig: { temperature: 1.5 },
  })));
  assert.equal(e.name, 'ValidationException');
  assert.equal(e.$metadata.httpStatusCode, 400);
  assert.match(e.message, /inferenceConfig\.temperature/);
});

test('ConverseStreamCommand: text reassembled, messageStop and metadata usage', async () => {
  const plain = await client().send(new ConverseCommand({ modelId: MODEL, messages: ask('stream this please') }));
  const r = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages: ask('stream this please') }));
  let text = '';
  const kinds = [];
  let stop;
  let usage;
  for await (const event of r.stream) {
    const kind = Object.keys(event).find((k) => event[k] !== undefined);
    kinds.push(kind);
    if (event.contentBlockDelta) text += event.contentBlockDelta.delta.text;
    if (event.messageStop) stop = event.messageStop.stopReason;
    if (event.metadata) usage = event.metadata.usage;
  }
  assert.equal(text, plain.output.message.content[0].text);
  assert.equal(kinds[0], 'messageStart');
  assert.equal(kinds.at(-1), 'metadata');
  assert.equal(stop, 'end_turn');
  assert.deepEqual(usage, plain.usage);
});

test('ConverseStreamCommand with tools: contentBlockStart and the input in fragments', async () => {
  const r = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages: ask('weather?'), toolConfig: TOOLS }));
  let start;
  let input = '';
  let stop;
  for await (const event of r.stream) {
    if (event.contentBlockStart) start = event.contentBlockStart.start.toolUse;
    if (event.contentBlockDelta) input += event.contentBlockDelta.delta.toolUse.input;
    if (event.messageStop) stop = event.messageStop.stopReason;
  }
  assert.deepEqual(start, { toolUseId: 'tooluse_mock_1', name: 'get_weather' });
  assert.deepEqual(JSON.parse(input), { echo: 'weather?' });
  assert.equal(stop, 'tool_use');
});

test('a wrong secret key: the SDK throws InvalidSignatureException (403)', async () => {
  const e = await thrown(() => client('br', 'not-the-secret').send(new ConverseCommand({ modelId: MODEL, messages: ask('hi') })));
  assert.equal(e.name, 'InvalidSignatureException');
  assert.equal(e.$metadata.httpStatusCode, 403);
  assert.match(e.message, /signature we calculated does not match/);
});

test('a status=429 fault: the SDK throws ThrottlingException', async () => {
  const e = await thrown(() => client('br-throttled').send(new ConverseCommand({ modelId: MODEL, messages: ask('hi') })));
  assert.equal(e.name, 'ThrottlingException');
  assert.equal(e.$metadata.httpStatusCode, 429);
});

test('an exception fault in a stream: iterating the stream throws ThrottlingException', async () => {
  const r = await client('br-exception').send(new ConverseStreamCommand({ modelId: MODEL, messages: ask('hi there') }));
  const seen = [];
  const e = await thrown(async () => {
    for await (const event of r.stream) seen.push(Object.keys(event)[0]);
  });
  assert.equal(e.name, 'ThrottlingException');
  assert.deepEqual(seen, ['messageStart']);
});

test('a Bedrock API key: Authorization: Bearer is accepted instead of SigV4', async () => {
  const url = `${m.mock.url}/br-key/model/${encodeURIComponent(MODEL)}/converse`;
  const body = JSON.stringify({ messages: ask('bearer') });
  let r = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer bedrock-key', 'content-type': 'application/json' }, body });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).output.message.content[0].text, 'br-key says: bearer');
  r = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' }, body });
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('x-amzn-errortype'), 'UnrecognizedClientException');
});

// node:crypto as the Checksum constructor SignatureV4 wants (new Sha256(secret?), update, digest).
class NodeSha256 {
  constructor(secret) { this.h = secret ? createHmac('sha256', secret) : createHash('sha256'); }
  update(data) { this.h.update(data); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

test('@smithy/signature-v4 and tollbooth\'s signer agree on a Converse request', async () => {
  const signer = new SignatureV4({
    service: 'bedrock', region: 'us-east-1', sha256: NodeSha256,
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
  });
  const path = `/br/model/${encodeURIComponent(MODEL)}/converse`;
  const body = JSON.stringify({ messages: ask('signed by smithy'), inferenceConfig: { maxTokens: 64 } });
  const when = new Date(Math.floor(Date.now() / 60000) * 60000); // fixed to the minute, near now
  const sign = (b) => signer.sign({
    method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: m.mock.port, path, query: {},
    headers: { host: `127.0.0.1:${m.mock.port}`, 'content-type': 'application/json' }, body: b,
  }, { signingDate: when });
  const signed = await sign(body);
  assert.match(signed.headers.authorization, /SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
  const send = (b, headers) => {
    const h = { ...headers };
    delete h.host; // fetch sets the same Host itself
    return fetch(`${m.mock.url}${path}`, { method: 'POST', headers: h, body: b });
  };
  // The mock recomputes the signature with tollbooth's signer: it accepts smithy's.
  let r = await send(body, signed.headers);
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal((await r.json()).output.message.content[0].text, 'br says: signed by smithy');

  // One changed body character (headers kept, so x-amz-content-sha256 still names the old body).
  const tampered = body.replace('smithy', 'smithz');
  r = await send(tampered, signed.headers);
  assert.equal(r.status, 403);
  assert.equal(r.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  assert.match((await r.json()).message, /^The request signature we calculated does not match the signature you provided/);

  // A date too far from now is refused even with a correct signature.
  const stale = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: m.mock.port, path, query: {},
    headers: { host: `127.0.0.1:${m.mock.port}`, 'content-type': 'application/json' }, body,
  }, { signingDate: new Date(Date.now() - 3600_000) });
  r = await send(body, stale.headers);
  assert.equal(r.status, 403);
  assert.match((await r.json()).message, /Signature expired/);
});
