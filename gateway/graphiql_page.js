// GraphiQL with the docs explorer, the headers editor, the explorer plugin, the example
// operations as its first tabs, and subscriptions over graphql-transport-ws on this URL.
// Served from the gateway itself (no inline script: the page's CSP allows only 'self').
(function () {
  "use strict";

  const examples = JSON.parse(document.getElementById("gateway-examples").textContent);
  const url = window.location.href.split(/[?#]/)[0];
  const socketUrl = new URL(url);
  socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";

  // ?q=...&variables=... open that operation, and editing keeps the URL shareable.
  const parameters = new URLSearchParams(window.location.search);
  function remember(key, value) {
    if (value) parameters.set(key, value);
    else parameters.delete(key);
    const search = parameters.toString();
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  const fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: socketUrl.toString() });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function Page() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultTabs: examples,
      query: parameters.get("q") || undefined,
      variables: parameters.get("variables") || undefined,
      onEditQuery: function (query) { remember("q", query); },
      onEditVariables: function (variables) { remember("variables", variables); },
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // An API key typed into the headers editor is not kept in the browser's storage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Page));
})();
