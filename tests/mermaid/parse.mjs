// Parses each file given with Mermaid's own parser, as a browser rendering
// the diagram would, and exits non-zero naming every file it refuses.
//
//   node tests/mermaid/parse.mjs MODULES_DIR FILE...
//
// MODULES_DIR holds the node_modules that `npm ci` installed from this
// directory's package-lock.json (.ci/run keeps it outside the repository).
// Mermaid sanitises labels with DOMPurify, which needs a DOM: jsdom gives it
// one, so no browser is needed.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
if (!modules || files.length === 0) {
  console.error("usage: node parse.mjs MODULES_DIR FILE...");
  process.exit(2);
}
const require = createRequire(join(modules, "package.json"));
const load = (name) => import(pathToFileURL(require.resolve(name)).href);

const { JSDOM } = await load("jsdom");
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await load("mermaid");
mermaid.initialize({ startOnLoad: false });

let refused = 0;
for (const file of files) {
  try {
    const { diagramType } = await mermaid.parse(readFileSync(file, "utf8"));
    console.log(`${file}: ${diagramType}`);
  } catch (e) {
    refused += 1;
    console.log(`${file}: REFUSED\n${e.message ?? e}`);
  }
}
process.exit(refused === 0 ? 0 : 1);
