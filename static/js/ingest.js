/* The import pages: show progress while a file uploads; poll a running import until it ends. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (form) {
    form.addEventListener("submit", function () {
      document.getElementById("upload-status").hidden = false;
      document.getElementById("upload-button").disabled = true;
    });
  }
  var progress = document.getElementById("run-progress");
  var url = progress && progress.getAttribute("data-progress-url");
  if (!url) return;
  (function poll() {
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        var bar = document.getElementById("run-progress-bar");
        bar.max = p.rows_total || 1; bar.value = p.rows_done;
        document.getElementById("run-progress-text").textContent = p.rows_done + " / " + p.rows_total;
        if (p.status === "running") { setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  })();
})();
