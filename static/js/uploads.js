/* Upload forms carry their route's size limit (data-max-bytes): a file over it is a form error at once,
   instead of a long upload that the server refuses with 413. */
(function () {
  "use strict";
  function selectedBytes(form) {
    var total = 0;
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { total += file.size; });
    });
    return total;
  }
  function showError(form, message) {
    var input = form.querySelector("input[type=file]");
    var error = form.querySelector(".upload-size-error");
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error upload-size-error";
      error.id = (input.id || "upload") + "-size-error";
      error.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", error);
    }
    error.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + error.id).trim());
    input.focus();
  }
  document.querySelectorAll("form[data-max-bytes]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (selectedBytes(form) > Number(form.getAttribute("data-max-bytes"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
        showError(form, form.getAttribute("data-too-large"));
      }
    }, true);
  });
})();
