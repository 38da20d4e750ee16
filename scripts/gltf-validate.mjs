#!/usr/bin/env node
// Runs the Khronos glTF-Validator over every file named on the command line and
// prints one JSON object per file, one per line:
//
//   {"file":…,"numErrors":N,"numWarnings":N,"messages":[{"code","message","severity","pointer"}]}
//
// Only errors (severity 0) and warnings (severity 1) are listed; infos and hints
// are noise for Strata's purposes. The validator is loaded from the folder in
// STRATA_TEST_NODE_MODULES (set by scripts/testenv.sh) rather than from a
// package.json next to this script, so the repository carries no node_modules.
//
// Validation findings never change the exit status: the caller decides what a
// finding means. Exit 2 is a usage error, exit 1 an unreadable file or a
// validator crash.
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import path from "node:path";

function usage(msg) {
  process.stderr.write(`gltf-validate: ${msg}\n`);
  process.stderr.write("usage: STRATA_TEST_NODE_MODULES=DIR node scripts/gltf-validate.mjs FILE.glb|FILE.gltf…\n");
  process.exit(2);
}

const modulesDir = process.env.STRATA_TEST_NODE_MODULES;
if (!modulesDir) {
  usage("STRATA_TEST_NODE_MODULES is not set (run via scripts/testenv.sh run …)");
}
const files = process.argv.slice(2);
if (files.length === 0) {
  usage("no files given");
}

// createRequire needs a file path inside the folder; the file itself need not exist.
const require = createRequire(path.join(path.resolve(modulesDir), "strata-gltf-validate.cjs"));
let validator;
try {
  validator = require("gltf-validator");
} catch (err) {
  usage(`cannot load gltf-validator from ${modulesDir}: ${err.message}`);
}

async function validateFile(file) {
  const data = await readFile(file);
  const dir = path.dirname(path.resolve(file));
  const ext = path.extname(file).toLowerCase();
  const options = {
    uri: path.basename(file),
    maxIssues: 0, // unlimited: the Go side wants to list every error
    writeTimestamp: false,
    externalResourceFunction: async (uri) => new Uint8Array(await readFile(path.resolve(dir, decodeURIComponent(uri)))),
  };
  // Only force the format for known extensions; anything else is auto-detected.
  if (ext === ".glb") options.format = "glb";
  else if (ext === ".gltf") options.format = "gltf";

  let report;
  try {
    report = await validator.validateBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), options);
  } catch (err) {
    // validateBytes rejects only when it cannot tell glTF from GLB at all (e.g.
    // garbage bytes in a .bin file). That is a finding about the file, not a
    // harness failure, so it is reported like any other error.
    return {
      file,
      numErrors: 1,
      numWarnings: 0,
      messages: [{ code: "UNDETECTED_FORMAT", message: String(err?.message ?? err), severity: 0, pointer: "" }],
    };
  }
  const issues = report.issues ?? {};
  const messages = (issues.messages ?? [])
    .filter((m) => m.severity === 0 || m.severity === 1)
    .map((m) => ({ code: m.code, message: m.message, severity: m.severity, pointer: m.pointer ?? "" }));
  return {
    file,
    numErrors: issues.numErrors ?? 0,
    numWarnings: issues.numWarnings ?? 0,
    messages,
  };
}

let failed = false;
for (const file of files) {
  try {
    process.stdout.write(JSON.stringify(await validateFile(file)) + "\n");
  } catch (err) {
    // An unreadable file is the caller's mistake; say so and keep going so one
    // bad path does not hide the reports for the others.
    process.stderr.write(`gltf-validate: ${file}: ${err?.message ?? err}\n`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
