// Bundles the dashboard into OUT_DIR (argv[2]): index.html, favicon.svg, app.js (one minified
// IIFE: preact, htm, uPlot and the app) and app.css. Run by the build (CMakeLists.txt), which
// embeds the directory's files in the binary (cmake/embed_assets.cmake); the binary serves them at /ui/.
// No network: everything comes from ui/node_modules (scripts/install-deps runs npm ci here).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, '..', 'build', 'generated', 'ui'));
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) rmSync(join(out, f), { recursive: true });

await build({
  entryPoints: { app: join(here, 'src', 'main.js') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: out,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of ['index.html', 'favicon.svg']) copyFileSync(join(here, 'src', f), join(out, f));
