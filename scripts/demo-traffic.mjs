// Sends the demo's traffic through the gateway and prints what happened. Plain fetch: the
// official-SDK checks live in tests/e2e.
const base = process.argv[2] ?? 'http://127.0.0.1:4000';
const rows = [];

// The admin key (scripts/demo sets it) lets the demo see each request's routing plan; the
// application's key (DEMO_KEY, made with `tollbooth keys create`) sees none and has a limit.
const ADMIN = process.env.TOLLBOOTH_ADMIN_KEY ?? 'demo-client';

async function chat(title, body, key = ADMIN) {
  const started = performance.now();
  const headers = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body) });
  const route = res.headers.get('x-tollbooth-route') ?? '-';
  const plan = res.headers.get('x-tollbooth-plan');
  let text = '';
  let usage;
  if (body.stream && res.ok) {
    process.stdout.write(`\n-- ${title}\n   `);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const part of res.body) {
      buf += decoder.decode(part, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const data = buf.slice(0, i).replace(/^data: /, '');
        buf = buf.slice(i + 2);
        if (data === '[DONE]') continue;
        const chunk = JSON.parse(data);
        if (chunk.usage) usage = chunk.usage;
        const delta = chunk.choices?.[0]?.delta?.content ?? '';
        text += delta;
        process.stdout.write(delta);
      }
    }
    process.stdout.write('\n');
  } else {
    const json = await res.json();
    text = json.choices?.[0]?.message?.content ?? `error: ${json.error?.message}`;
    usage = json.usage;
    console.log(`\n-- ${title}\n   HTTP ${res.status}: ${text}`);
  }
  const limit = res.headers.get('x-ratelimit-limit-requests');
  if (limit) {
    console.log(`   x-ratelimit: ${res.headers.get('x-ratelimit-remaining-requests')} of ${limit} ` +
      `requests left, resets in ${res.headers.get('x-ratelimit-reset-requests')}` +
      (res.headers.get('retry-after') ? `; Retry-After: ${res.headers.get('retry-after')}` : ''));
  }
  if (plan) console.log(`   plan: ${plan}`);
  const ms = (performance.now() - started).toFixed(1);
  // The charge: x-tollbooth-cost on a whole answer, usage.cost in a stream's usage chunk.
  const cost = res.headers.get('x-tollbooth-cost') ?? (usage?.cost !== undefined ? String(usage.cost) : '-');
  rows.push({ request: title, status: res.status, route, in: usage?.prompt_tokens ?? '-', out: usage?.completion_tokens ?? '-', 'cost $': cost, ms });
}

// POST /v1/responses (the Responses API, as Codex CLI speaks it), and POST /v1/embeddings.
async function post(title, path, body, show) {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  console.log(`\n-- ${title}\n   HTTP ${res.status}: ${res.ok ? show(json) : `error: ${json.error?.message}`}`);
  const plan = res.headers.get('x-tollbooth-plan');
  if (plan) console.log(`   plan: ${plan}`);
  const u = json.usage ?? {};
  rows.push({ request: title, status: res.status, route: res.headers.get('x-tollbooth-route') ?? '-',
    in: u.input_tokens ?? u.prompt_tokens ?? '-', out: u.output_tokens ?? (path.endsWith('embeddings') ? 0 : '-'),
    'cost $': res.headers.get('x-tollbooth-cost') ?? '-', ms: (performance.now() - started).toFixed(1) });
  return json;
}
const text = (r) => r.output?.flatMap((i) => i.content ?? []).map((c) => c.text).join('') ?? '';

const user = (content) => [{ role: 'user', content }];
const models = await (await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
console.log(`models served: ${models.data.map((m) => m.id).join(', ')}`);

await chat('gpt-4o, non-streaming (primary: Azure east)', { model: 'gpt-4o', messages: user('What does a toll booth do?') });
await chat('gpt-4o, streaming with usage', { model: 'gpt-4o', messages: user('Stream me a short answer about clouds'), stream: true, stream_options: { include_usage: true } });
await chat('gpt-4o with an image: the primary lacks vision, so OpenAI serves', {
  model: 'gpt-4o',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
});
await chat('gpt-4o-mini, primary (Azure west) answers 503, falls back to OpenAI', { model: 'gpt-4o-mini', messages: user('Are you there?') });
await chat('gpt-4o-mini, streaming, same fallback', { model: 'gpt-4o-mini', messages: user('Stream through the fallback'), stream: true, stream_options: { include_usage: true } });
await chat('claude-sonnet on AWS Bedrock (translated to Converse, SigV4-signed)', { model: 'claude-sonnet', messages: user('Hello from the OpenAI API') });
await chat('claude-sonnet on AWS Bedrock, streaming (event-stream → SSE)', { model: 'claude-sonnet', messages: user('Stream from Bedrock please'), stream: true, stream_options: { include_usage: true } });
await chat('claude-sonnet: temperature 1.5 is over Bedrock\'s limit of 1, a 400 naming it', { model: 'claude-sonnet', messages: user('hi'), temperature: 1.5 });
await chat('unknown model: an OpenAI-shaped 404', { model: 'gpt-9', messages: user('hello') });
await post('Responses API on gpt-4o (passed through as it is)', '/v1/responses',
  { model: 'gpt-4o', input: 'What does a toll booth do?' }, text);
const turn = await post('Responses API on claude-sonnet (bridged to chat, translated to Converse)', '/v1/responses',
  { model: 'claude-sonnet', instructions: 'Be brief.', input: 'Hello from the Responses API' }, text);
await post('...continued by previous_response_id: the gateway kept that turn and rebuilds the history for Bedrock', '/v1/responses',
  { model: 'claude-sonnet', previous_response_id: turn.id, input: 'And once more' }, text);
await post('embeddings on gpt-4o\'s routes', '/v1/embeddings',
  { model: 'gpt-4o', input: ['a toll booth', 'a gateway'], encoding_format: 'float' },
  (r) => `${r.data.length} vectors of ${r.data[0].embedding.length}`);

if (process.env.DEMO_KEY) {
  await chat('no key at all: 401 invalid_api_key', { model: 'gpt-4o', messages: user('hello') }, null);
  for (let i = 1; i <= 6; i++) {
    await chat(`the application's key (rpm 5), request ${i}${i === 6 ? ': over the limit, 429' : ''}`,
      { model: 'gpt-4o', messages: user('hello') }, process.env.DEMO_KEY);
  }
}

console.log('\n== what happened');
console.table(rows);
