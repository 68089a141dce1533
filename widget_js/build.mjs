// Bundle every view into one self-contained ES module in somnium/static/ and
// stamp the sources' hash into somnium/static/SOURCE_HASH.  Every top-level
// widget_js/*.js file is a view's entry (map_view.js -> somnium/static/map_view.js);
// shared parts live in lib/.
//
//   npm run build
//
// anywidget imports a view's module from a Blob URL, so a bundle must not
// import anything relative: esbuild inlines lib/ (bundle: true, no splitting)
// and writes the CSS a view imports next to it (map_view.js -> map_view.css).
//
// SOURCE_HASH covers what the bundles are built from: every file under
// widget_js/ except node_modules/ and tests/ (tests do not reach a bundle),
// in sorted order of their POSIX relative paths, as
//   sha256( for each file: "<path>\n<sha256 hex of its bytes>\n" )
// tests/test_bundle.py recomputes it the same way in Python.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
const STATIC = join(HERE, "..", "somnium", "static");
const ENTRIES = readdirSync(HERE, { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith(".js"))
  .map((entry) => entry.name)
  .sort();
const EXCLUDED_DIRECTORIES = new Set(["node_modules", "tests"]);

function sourceFiles(directory = HERE) {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return EXCLUDED_DIRECTORIES.has(entry.name) ? [] : sourceFiles(path);
    return entry.isFile() ? [relative(HERE, path).split(sep).join("/")] : [];
  });
}

export function sourceHash() {
  const digest = createHash("sha256");
  for (const path of sourceFiles().sort()) {
    const fileHash = createHash("sha256")
      .update(readFileSync(join(HERE, path)))
      .digest("hex");
    digest.update(`${path}\n${fileHash}\n`);
  }
  return digest.digest("hex");
}

for (const entry of ENTRIES) {
  await esbuild.build({
    entryPoints: [join(HERE, entry)],
    outfile: join(STATIC, entry),
    bundle: true,
    format: "esm",
    splitting: false,
    target: "es2020",
    minify: false,
    legalComments: "none",
    charset: "utf8",
    logLevel: "warning",
  });
}
writeFileSync(join(STATIC, "SOURCE_HASH"), `${sourceHash()}\n`);
console.log(`built ${ENTRIES.join(", ")} into somnium/static/`);
