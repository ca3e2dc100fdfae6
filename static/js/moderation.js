/* Keyboard shortcuts for the review moderation pages (progressive enhancement: every action also works
   with the mouse and without JavaScript).
   Queue: j / k move between reviews, x selects the current one, o (or Enter) opens it,
          p / f / r choose publish / fold / reject for the selected (the current one when none is selected);
          publishing is sent at once, folding and rejecting move to the statement, which the author will see.
   One review: p / f / r choose the decision the same way. */
(function () {
  "use strict";

  var items = Array.prototype.slice.call(document.querySelectorAll(".queue-item"));
  var form = document.getElementById("bulk-form") || document.getElementById("decision-form");
  var current = -1;

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && t.type !== "checkbox" && t.type !== "radio");
  }

  function focusItem(index) {
    if (!items.length) return;
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, i) { item.classList.toggle("is-current", i === current); });
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }

  function checkbox(item) { return item.querySelector("input[type=checkbox][name=review_id]"); }

  function selected() {
    return items.filter(function (item) { return checkbox(item).checked; });
  }

  function decide(action) {
    if (!form) return;
    if (items.length && !selected().length && current >= 0) checkbox(items[current]).checked = true;
    if (items.length && !selected().length) return;
    var radio = form.querySelector("input[name=action][value=" + action + "]");
    if (!radio) return;
    radio.checked = true;
    if (action === "publish") {
      form.submit();
    } else {
      var reason = form.querySelector("select[name=reason_code]");
      (reason && !reason.value ? reason : form.querySelector("textarea[name=statement]")).focus();
    }
  }

  var KEYS = {
    j: function () { focusItem(current + 1); },
    k: function () { focusItem(current - 1); },
    x: function () { if (current >= 0) { var c = checkbox(items[current]); c.checked = !c.checked; } },
    o: function () { if (current >= 0) window.location.href = items[current].dataset.url; },
    Enter: function () { if (current >= 0 && document.activeElement === items[current]) KEYS.o(); },
    p: function () { decide("publish"); },
    f: function () { decide("fold"); },
    r: function () { decide("reject"); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event)) return;
    var handler = KEYS[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  });
})();
