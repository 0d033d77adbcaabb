#!/usr/bin/env bash
# Re-fetch the GraphiQL page's browser bundles into gateway/graphiql_assets/ from the npm
# registry, at the versions pinned below, with their licences and a NOTICE.md.
#
#   scripts/fetch_graphiql_assets.sh            # needs npm (it only runs `npm pack`)
#
# Upgrading is: change a version here, run this, run tests/browser/test_graphiql.py, commit.
# The files are copied byte for byte (NOTICE.md records their sha384, the same value unpkg's
# subresource-integrity hashes carry), so they can be checked against the registry any time.
set -euo pipefail

REACT=18.2.0
GRAPHIQL=3.8.3
PLUGIN_EXPLORER=1.0.2
GRAPHIQL_EXPLORER=0.9.0 # bundled inside the explorer plugin's UMD file; fetched for its licence

here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/gateway/graphiql_assets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

unpack() { # unpack NAME@VERSION DIR
    (cd "$work" && npm pack --silent "$1" >/dev/null)
    mkdir -p "$work/$2"
    tar xzf "$work"/*.tgz -C "$work/$2" && rm "$work"/*.tgz
}

unpack "react@$REACT" react
unpack "react-dom@$REACT" react-dom
unpack "graphiql@$GRAPHIQL" graphiql
unpack "@graphiql/plugin-explorer@$PLUGIN_EXPLORER" plugin-explorer
unpack "graphiql-explorer@$GRAPHIQL_EXPLORER" graphiql-explorer

rm -rf "$out"
mkdir -p "$out"
cp "$work/react/package/umd/react.production.min.js" "$out/react.production.min.js"
cp "$work/react-dom/package/umd/react-dom.production.min.js" "$out/react-dom.production.min.js"
cp "$work/graphiql/package/graphiql.min.js" "$out/graphiql.min.js"
cp "$work/graphiql/package/graphiql.min.css" "$out/graphiql.min.css"
cp "$work/plugin-explorer/package/dist/index.umd.js" "$out/plugin-explorer.umd.js"
cp "$work/plugin-explorer/package/dist/style.css" "$out/plugin-explorer.css"
cp "$work/react/package/LICENSE" "$out/LICENSE.react"
cp "$work/react-dom/package/LICENSE" "$out/LICENSE.react-dom"
cp "$work/graphiql/package/LICENSE" "$out/LICENSE.graphiql"
cp "$work/graphiql-explorer/package/LICENSE" "$out/LICENSE.graphiql-explorer"

sri() { printf 'sha384-%s' "$(openssl dgst -sha384 -binary "$out/$1" | base64 -w0)"; }

cat >"$out/NOTICE.md" <<EOF
# Third-party files served with GraphiQL

Fetched from the npm registry by \`scripts/fetch_graphiql_assets.sh\` (do not edit by hand;
change the versions there and run it). Each file is the package's own, unchanged.

| file | package | version | licence | licence file | source |
| --- | --- | --- | --- | --- | --- |
| \`react.production.min.js\` | react (\`umd/react.production.min.js\`) | $REACT | MIT | \`LICENSE.react\` | https://registry.npmjs.org/react/-/react-$REACT.tgz |
| \`react-dom.production.min.js\` | react-dom (\`umd/react-dom.production.min.js\`) | $REACT | MIT | \`LICENSE.react-dom\` | https://registry.npmjs.org/react-dom/-/react-dom-$REACT.tgz |
| \`graphiql.min.js\`, \`graphiql.min.css\` | graphiql | $GRAPHIQL | MIT | \`LICENSE.graphiql\` | https://registry.npmjs.org/graphiql/-/graphiql-$GRAPHIQL.tgz |
| \`plugin-explorer.umd.js\` (\`dist/index.umd.js\`), \`plugin-explorer.css\` (\`dist/style.css\`) | @graphiql/plugin-explorer | $PLUGIN_EXPLORER | MIT | \`LICENSE.graphiql\` (the package ships none; it is MIT by its package.json, from the same graphql/graphiql repository and copyright holders) | https://registry.npmjs.org/@graphiql/plugin-explorer/-/plugin-explorer-$PLUGIN_EXPLORER.tgz |
| (inside \`plugin-explorer.umd.js\`) | graphiql-explorer | $GRAPHIQL_EXPLORER | MIT | \`LICENSE.graphiql-explorer\` | https://registry.npmjs.org/graphiql-explorer/-/graphiql-explorer-$GRAPHIQL_EXPLORER.tgz |

\`graphiql.min.js\` bundles its own dependencies (among them @graphiql/react, graphql-js,
CodeMirror 5, graphql-ws, markdown-it, each under the MIT licence), as the graphiql package
publishes it.

## sha384 (subresource integrity)

| file | sha384 |
| --- | --- |
EOF
for f in react.production.min.js react-dom.production.min.js graphiql.min.js graphiql.min.css \
    plugin-explorer.umd.js plugin-explorer.css; do
    printf '| `%s` | `%s` |\n' "$f" "$(sri "$f")" >>"$out/NOTICE.md"
done
echo "wrote $(ls "$out" | wc -l) files to $out"
