// Where the widget manager finds the widgets' modules: on this site, never on a CDN.
// The saved state names "anywidget", "bqplot" and "bqscales"; @jupyter-widgets/html-manager's
// embed-amd.js asks require.js for them first and only falls back to a CDN when that fails.
(() => {
  const base = new URL("widgets/", document.currentScript.src).href;
  window.requirejs.config({
    paths: {
      anywidget: `${base}anywidget`,
      bqplot: `${base}bqplot`,
      bqscales: `${base}bqscales`,
    },
  });
})();
