/* Start Swagger UI on /api/docs from the settings the page carries as JSON (no inline script: CSP). */
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("swagger-ui-settings").textContent);
  var config = {url: settings.url, dom_id: "#swagger-ui-container"};
  Object.keys(settings.config || {}).forEach(function (key) { config[key] = settings.config[key]; });
  window.addEventListener("load", function () { window.ui = SwaggerUIBundle(config); });
})();
