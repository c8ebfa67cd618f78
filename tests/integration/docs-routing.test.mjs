// Every `$ tollbooth ...` example in docs/routing.md, run as written: the output and exit status
// must still be the ones the page shows, so the routing documentation cannot drift from the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from './harness.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const page = readFileSync(resolve(root, 'docs/routing.md'), 'utf8');

// Code blocks whose first line is "$ tollbooth ...": the command, then its output, with an
// optional last line "(exit N)".
const examples = [...page.matchAll(/```\n\$ (tollbooth [^\n]+)\n([\s\S]*?)```/g)].map((m) => {
  const lines = m[2].replace(/\n$/, '').split('\n');
  let exit = 0;
  const last = lines.at(-1).match(/^\(exit (\d+)\)$/);
  if (last) { exit = Number(last[1]); lines.pop(); }
  return { command: m[1], output: lines.join('\n'), exit };
});

// None of examples/routing.yaml's env: secrets is set: planning must not need them.
const env = { PATH: process.env.PATH };

test('docs/routing.md has examples of route --explain and models', () => {
  assert.ok(examples.filter((e) => e.command.includes('--explain')).length >= 6);
  assert.ok(examples.some((e) => e.command.startsWith('tollbooth models')));
});

for (const e of examples) {
  test(`docs/routing.md: ${e.command}`, () => {
    const args = e.command.split(/\s+/).slice(1);
    const r = spawnSync(BIN, args, { cwd: root, env, encoding: 'utf8' });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.replace(/\n$/, ''), e.output);
    assert.equal(r.status, e.exit);
  });
}
