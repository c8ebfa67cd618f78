// scripts/check-layers on small source trees written into a temp dir: what it accepts, what it
// reports (with file:line and the allowed list), and how it refuses a page without a table.
// Needs no build: it only runs the script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(root, 'scripts/check-layers');

const TABLE = `# Architecture

<!-- layers:begin -->
| area | may include |
| --- | --- |
| \`core\` | — |
| \`testing\` | \`core\` |
| \`config\` | \`core\` |
| server | core, config |
| \`api\` | \`core\` |
| \`main\` | any |
<!-- layers:end -->
`;

// A tree that keeps to TABLE: own-area includes (api/openai counts as api), library includes,
// main including everything.
const CLEAN = {
  'src/core/text.hpp': '#pragma once\n#include <string>\n',
  'src/core/text.cpp': '#include "core/text.hpp"\n',
  'src/config/config.hpp': '#pragma once\n#include "core/text.hpp"\n#include <boost/asio.hpp>\n',
  'src/config/config.cpp': '#include "config/config.hpp"\n',
  'src/server/session.cpp': '#include "server/session.hpp"\n#include "config/config.hpp"\n',
  'src/server/session.hpp': '#pragma once\n#include "core/text.hpp"\n',
  'src/api/openai/errors.hpp': '#pragma once\n#include "api/openai/sse.hpp"\n',
  'src/api/openai/sse.hpp': '#pragma once\n',
  'src/testing/fixtures.hpp': '#pragma once\n#include "core/text.hpp"\n',
  'src/main.cpp': '#include "server/session.hpp"\n#include "api/openai/errors.hpp"\n',
};

// Writes files ({path: text}) under a fresh temp dir and runs the script there, the page at
// docs/architecture.md and the tree at src/, so reported paths read src/....
function run(files, doc = TABLE, args = ['--doc', 'docs/architecture.md', '--src', 'src']) {
  const dir = mkdtempSync(join(tmpdir(), 'check-layers-'));
  try {
    const all = doc === null ? files : { ...files, 'docs/architecture.md': doc };
    for (const [rel, text] of Object.entries(all)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    const r = spawnSync(script, args, { cwd: dir, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.trim().split('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a clean tree passes with one summary line', () => {
  const r = run(CLEAN);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'layers: 10 files, 10 includes, no crossing\n');
  assert.equal(r.status, 0);
});

test('a crossing include is reported with file:line and the allowed list', () => {
  const r = run({
    ...CLEAN,
    'src/server/session.cpp': '#include "server/session.hpp"\n\n#include "api/openai/errors.hpp"\n',
    'src/core/text.cpp': '#include "core/text.hpp"\n#include "config/config.hpp"\n',
  });
  assert.equal(r.status, 1);
  assert.deepEqual(r.lines, [
    'src/core/text.cpp:2: core includes config/config.hpp (core may include: no other area)',
    'src/server/session.cpp:3: server includes api/openai/errors.hpp (server may include: core, config)',
    'layers: 10 files, 11 includes, 2 problems',
  ]);
});

test('unit tests may include testing; the rest of the area may not', () => {
  const ok = run({ ...CLEAN, 'src/server/session_test.cpp': '#include "server/session.hpp"\n#include "testing/fixtures.hpp"\n' });
  assert.equal(ok.status, 0, ok.stdout);

  const r = run({
    ...CLEAN,
    'src/server/session_test.cpp': '#include "testing/fixtures.hpp"\n#include "api/openai/sse.hpp"\n',
    'src/server/helper.cpp': '#include "testing/fixtures.hpp"\n',
  });
  assert.equal(r.status, 1);
  assert.deepEqual(r.lines.slice(0, -1), [
    'src/server/helper.cpp:1: server includes testing/fixtures.hpp (server may include: core, config)',
    'src/server/session_test.cpp:2: server includes api/openai/sse.hpp (server tests may include: core, config, testing)',
  ]);
});

test('an area includes its own files, nested folders included', () => {
  const r = run({ ...CLEAN, 'src/core/money.hpp': '#include "core/text.hpp"\n', 'src/api/openai/chat.cpp': '#include "api/openai/errors.hpp"\n#include "api/openai/sse.hpp"\n' });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^layers: 12 files, 13 includes, no crossing\n$/);
});

test('"any" lets an area include every area', () => {
  const r = run({ ...CLEAN, 'src/main.cpp': '#include "core/text.hpp"\n#include "config/config.hpp"\n#include "server/session.hpp"\n#include "testing/fixtures.hpp"\n' });
  assert.equal(r.status, 0, r.stdout);
  // The same include from an area without "any" is a crossing.
  const strict = run(CLEAN, TABLE.replace('| `main` | any |', '| `main` | `core` |'));
  assert.equal(strict.status, 1);
  assert.deepEqual(strict.lines.slice(0, -1), [
    'src/main.cpp:1: main includes server/session.hpp (main may include: core)',
    'src/main.cpp:2: main includes api/openai/errors.hpp (main may include: core)',
  ]);
});

test('an area folder missing from the table is reported once, and an include of no area folder', () => {
  const r = run({
    ...CLEAN,
    'src/mock/mock_server.cpp': '#include "server/session.hpp"\n',
    'src/mock/mock_server.hpp': '#pragma once\n',
    'src/server/session.cpp': '#include "server/session.hpp"\n#include "confg/config.hpp"\n#include "session.hpp"\n',
  });
  assert.equal(r.status, 1);
  assert.deepEqual(r.lines, [
    'src/mock/: area mock (2 files) is not in the layers table',
    'src/server/session.cpp:2: includes confg/config.hpp, but there is no area folder src/confg/',
    'src/server/session.cpp:3: includes "session.hpp", which names no area folder (write it from src/: "server/session.hpp")',
    'layers: 12 files, 12 includes, 3 problems',
  ]);
});

test('a table area with no folder is reported, in either column', () => {
  const doc = TABLE.replace('| `core` | — |', '| `core` | — |\n| `net` | — |').replace('| server | core, config |', '| server | core, config, nett |');
  const r = run(CLEAN, doc);
  assert.equal(r.status, 1);
  assert.deepEqual(r.lines, [
    'docs/architecture.md:7: the table names area net, but there is no src/net/',
    'docs/architecture.md:10: the table names area nett, but there is no src/nett/',
    'layers: 10 files, 10 includes, 2 problems',
  ]);
});

test('a commented-out include does not count', () => {
  const r = run({ ...CLEAN, 'src/core/text.cpp': '#include "core/text.hpp"\n// #include "server/session.hpp"\n  //#include "config/config.hpp"\n' });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /10 includes, no crossing/);
});

test('markers shown in a fenced example do not make a second table', () => {
  const doc = `${TABLE}\nThe format:\n\n\`\`\`\n<!-- layers:begin -->\n| area | may include |\n<!-- layers:end -->\n\`\`\`\n`;
  assert.equal(run(CLEAN, doc).status, 0);
});

// The page without a usable table: exit 2 and a message that shows the expected format.
for (const [name, doc, says] of [
  ['no markers', '# Architecture\n\n| area | may include |\n| --- | --- |\n| `core` | — |\n',
    'no layers table (missing <!-- layers:begin --> and <!-- layers:end -->)'],
  ['no end marker', '<!-- layers:begin -->\n| area | may include |\n| --- | --- |\n| `core` | — |\n', 'missing <!-- layers:end -->'],
  ['no --- row', '<!-- layers:begin -->\n| area | may include |\n| `core` | — |\n<!-- layers:end -->\n',
    'needs a header row, a --- row and at least one area'],
  ['three cells', '<!-- layers:begin -->\n| area | may include |\n| --- | --- |\n| `core` | — | x |\n<!-- layers:end -->\n',
    'docs/architecture.md:4: a row has two cells (area | may include), this one has 3'],
  ['an empty list', '<!-- layers:begin -->\n| area | may include |\n| --- | --- |\n| `core` |  |\n<!-- layers:end -->\n',
    'empty "may include" (write — for none)'],
  ['two tables', `${TABLE}\n${TABLE}`, 'more than one layers table'],
]) {
  test(`a page with ${name} is an error that shows the expected table`, () => {
    const r = run(CLEAN, doc);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(says), r.stderr);
    assert.ok(r.stderr.includes('expected a Markdown table between the marker comments'), r.stderr);
  });
}

test('a missing page is an error too', () => {
  const r = run(CLEAN, null);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot read docs\/architecture\.md/);
});

// The real tree, with a table letting every area include anything: every file is read, and
// every quoted include names an area folder.
test('the repository tree reads with no unknown include', () => {
  const entries = readdirSync(join(root, 'src'), { withFileTypes: true });
  const areas = entries.filter((e) => e.isDirectory()).map((e) => e.name)
    .concat(entries.filter((e) => e.isFile() && /\.(cpp|hpp)$/.test(e.name)).map((e) => e.name.replace(/\.(cpp|hpp)$/, '')));
  const doc = `<!-- layers:begin -->\n| area | may include |\n| --- | --- |\n${[...new Set(areas)].map((a) => `| \`${a}\` | any |`).join('\n')}\n<!-- layers:end -->\n`;
  const r = run({}, doc, ['--doc', 'docs/architecture.md', '--src', join(root, 'src')]);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^layers: \d+ files, \d+ includes, no crossing\n$/);
});
