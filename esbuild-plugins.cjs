// esbuild plugins of the Lambda bundles: serverless.yml's custom.esbuild.plugins names this file (serverless-esbuild
// loads it with require), and bench/cold-start.ts builds the inspect bundle with it. The plugins only change how much
// work a cold start does and where files go; what the code does is the same. No maintained esbuild plugin does any of
// this, hence these.
'use strict';

const path = require('node:path');

/**
 * sharp's JavaScript in the bundle, its native addon outside it.
 *
 * Loaded from node_modules, sharp's entry costs about 60 ms of each cold start on this project's machines: Node resolves,
 * reads and compiles some 70 small files (sharp's own, semver, detect-libc, @img/colour) before the addon. Bundled, that
 * JavaScript is compiled with the rest (about 20 ms less). The addon and libvips (`@img/sharp-<platform>`, which sharp
 * requires by name) stay external. `sharp` stays listed among serverless.yml's externals, so the packager installs it
 * with those binaries for Lambda's platform; the two functions that decode images take the linux-arm64 addon and
 * libvips into their zips by `package.patterns` (serverless-esbuild's scan of a bundle does not see sharp's own require).
 */
const sharpJavaScriptBundled = {
  name: 'waferwatch-sharp-javascript-bundled',
  setup(build) {
    // Plugins resolve before the `external` option applies, so `sharp` is bundled although it is listed there.
    build.onResolve({ filter: /^sharp$/ }, (args) => {
      const entry = require.resolve('sharp', { paths: [args.resolveDir || process.cwd()] });
      // The CommonJS entry sharp's `require` export names; its ESM twin in the same folder is what `import` would get.
      return { path: path.join(path.dirname(entry), 'index.mjs') };
    });
    build.onResolve({ filter: /^@img\/sharp-/ }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * node:http and node:https through `require`, not `import`.
 *
 * An ESM `import` of node:http makes Node build the module's ESM facade, which reads every export, including the lazy
 * WebSocket, CloseEvent and MessageEvent getters: that loads Node's bundled undici (fetch) at start, 5 to 8 ms of each
 * cold start, for a client that never uses it. The bundle's banner defines `require` (createRequire), so the SDK's
 * `import { request } from "http"` becomes a property read of the CommonJS module instead.
 */
const nodeHttpViaRequire = {
  name: 'waferwatch-node-http-via-require',
  setup(build) {
    build.onResolve({ filter: /^(node:)?https?$/ }, (args) =>
      // The stand-in's own require() is the real, external module.
      args.namespace === 'waferwatch-builtin-via-require'
        ? { path: args.path, external: true }
        : { path: args.path.startsWith('node:') ? args.path : `node:${args.path}`, namespace: 'waferwatch-builtin-via-require' },
    );
    build.onLoad({ filter: /.*/, namespace: 'waferwatch-builtin-via-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * Each function's chunks in a folder of its own, named after its entry: `functions/handlers/<entry>.chunks/`.
 *
 * With `splitting`, what the code only reaches through `import()` (the SDK's credential providers but the environment's,
 * its STS and SSO clients, a browser's user-agent parser...) is a chunk of its own that a cold start neither reads nor
 * compiles; what is shared goes to chunks the entry imports. serverless-esbuild builds each function alone into the
 * same folder and leaves out of a function's zip every file whose name starts with another function's entry and a dot:
 * so this folder goes into its own function's zip only.
 */
const chunksBesideTheirEntry = {
  name: 'waferwatch-chunks-beside-their-entry',
  setup(build) {
    const options = build.initialOptions;
    if (!options.splitting) return;
    const entries = Array.isArray(options.entryPoints) ? options.entryPoints : Object.keys(options.entryPoints ?? {});
    if (entries.length !== 1) throw new Error('Split bundles are built one entry at a time (as serverless-esbuild does)');
    const entry = typeof entries[0] === 'string' ? entries[0] : (entries[0].out ?? entries[0].in);
    options.chunkNames = `${path.basename(entry).replace(/\.[cm]?[jt]s$/, '')}.chunks/[name]-[hash]`;
  },
};

module.exports = [sharpJavaScriptBundled, nodeHttpViaRequire, chunksBesideTheirEntry];
