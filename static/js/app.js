/* YRD Care Compare: small progressive enhancements (no framework). Every page works without this file. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("app-config").textContent);
  var t = config.i18n;
  var TRAY_KEY = "yrd-compare", LARGE_KEY = "yrd-large-text", FOCUS_KEY = "yrd-focus";

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function store(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function load(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }

  /* --- larger text ---------------------------------------------------------------------------- */
  function initLargeText() {
    var button = document.getElementById("large-text-toggle");
    if (!button) return;
    function show(on) {
      document.documentElement.classList.toggle("large-text", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? t.largeTextOn : t.largeTextOff;
    }
    show(load(LARGE_KEY) === "1");
    button.addEventListener("click", function () {
      var on = !document.documentElement.classList.contains("large-text");
      store(LARGE_KEY, on ? "1" : "0");
      show(on);
    });
  }

  /* --- the compare tray ------------------------------------------------------------------------ */
  function trayItems() {
    try {
      var items = JSON.parse(load(TRAY_KEY) || "[]");
      return Array.isArray(items) ? items.filter(function (i) { return i && i.id; }).slice(0, config.compareMax) : [];
    } catch (e) { return []; }
  }
  function saveTray(items) { store(TRAY_KEY, JSON.stringify(items)); }
  function inTray(id) { return trayItems().some(function (i) { return String(i.id) === String(id); }); }

  function say(message) { document.getElementById("compare-tray-message").textContent = message; }

  function renderTray() {
    var items = trayItems();
    var tray = document.getElementById("compare-tray");
    var list = document.getElementById("compare-tray-list");
    list.innerHTML = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.appendChild(document.createTextNode(item.name));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", fill(t.removeNamed, { name: item.name }));
      remove.addEventListener("click", function () { removeFromTray(item.id, true); });
      li.appendChild(remove);
      list.appendChild(li);
    });
    document.getElementById("compare-tray-count").textContent = "(" + fill(t.count, { n: items.length }) + ")";
    var link = document.getElementById("compare-tray-link");
    link.href = config.compareUrl + "?ids=" + items.map(function (i) { return i.id; }).join(",");
    link.setAttribute("data-count", String(items.length));
    tray.hidden = items.length === 0;
    document.querySelectorAll("[data-compare-id]").forEach(function (button) {
      var on = inTray(button.getAttribute("data-compare-id"));
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "✓ " + t.added : t.add;
    });
  }

  function removeFromTray(id, focusTray) {
    var items = trayItems();
    var gone = items.filter(function (i) { return String(i.id) === String(id); })[0];
    saveTray(items.filter(function (i) { return String(i.id) !== String(id); }));
    renderTray();
    if (gone) say(fill(t.removedMessage, { name: gone.name }));
    if (focusTray) {
      var next = document.querySelector("#compare-tray-list button") || document.getElementById("main");
      if (!document.getElementById("compare-tray").hidden) next.focus(); else document.getElementById("main").focus();
    }
  }

  function toggleTray(button) {
    var id = button.getAttribute("data-compare-id"), name = button.getAttribute("data-compare-name");
    if (inTray(id)) { removeFromTray(id, false); return; }
    var items = trayItems();
    if (items.length >= config.compareMax) {
      renderTray();
      say(t.full);
      return;
    }
    items.push({ id: Number(id), name: name });
    saveTray(items);
    renderTray();
    say(fill(t.addedMessage, { name: name }));
  }

  function initTray() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-compare-id]");
      if (button) { toggleTray(button); return; }
      var remove = event.target.closest("[data-compare-remove]");
      if (remove) removeFromTray(remove.getAttribute("data-compare-remove"), false);
    });
    document.getElementById("compare-tray-clear").addEventListener("click", function () {
      saveTray([]);
      renderTray();
      document.getElementById("main").focus();
    });
    window.addEventListener("storage", function (event) { if (event.key === TRAY_KEY) renderTray(); });
    renderTray();
  }

  /* --- the search form: results update when a filter changes ---------------------------------- */
  function initSearchForm() {
    var form = document.getElementById("search-form");
    if (!form) return;
    var hint = document.getElementById("auto-hint");
    if (hint) hint.hidden = false;
    var place = form.querySelector("#f-place");
    if (place) place.addEventListener("input", function () {
      var code = form.querySelector("input[name=place_code]");
      if (code) code.remove();
    });
    form.querySelectorAll("#filters select, #filters input[type=checkbox]").forEach(function (control) {
      control.addEventListener("change", function () {
        (control.getAttribute("data-clears") || "").split(" ").forEach(function (name) {
          var other = name && form.querySelector("[name=" + name + "]");
          if (other) other.value = "";
        });
        if (control.name === "city" && control.selectedOptions[0] && control.selectedOptions[0].dataset.province) {
          form.querySelector("[name=province]").value = control.selectedOptions[0].dataset.province;
        }
        try { sessionStorage.setItem(FOCUS_KEY, control.id); } catch (e) { /* ignore */ }
        submit(form);
      });
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); submit(form); });
    var refocus = null;
    try { refocus = sessionStorage.getItem(FOCUS_KEY); sessionStorage.removeItem(FOCUS_KEY); } catch (e) { /* ignore */ }
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    else if (refocus && document.getElementById(refocus)) document.getElementById(refocus).focus();
  }

  /* submit without empty parameters, so shared links stay short */
  function submit(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (String(value).trim() !== "") params.append(key, value); });
    var query = params.toString();
    window.location.assign(form.action + (query ? "?" + query : ""));
  }

  /* --- maps ------------------------------------------------------------------------------------ */
  function initMaps() {
    if (!window.L) return;
    document.querySelectorAll(".map[data-markers]").forEach(function (el) {
      var markers = JSON.parse(el.getAttribute("data-markers") || "[]");
      if (!markers.length) { el.hidden = true; return; }
      var map = L.map(el, { scrollWheelZoom: false, attributionControl: Boolean(config.map.tileUrl) });
      if (config.map.tileUrl) {
        L.tileLayer(config.map.tileUrl, { attribution: config.map.attribution, maxZoom: 18 }).addTo(map);
      } else {
        var note = el.nextElementSibling;
        if (note && note.classList.contains("map-note")) { note.textContent = t.blankMap; note.hidden = false; }
      }
      var points = markers.map(function (m) {
        // an approximate pin (a district or city centre) is a dashed circle, not a pin on a doorstep
        var marker = m.approximate
          ? L.circleMarker([m.lat, m.lon], { radius: 14, dashArray: "4 4", className: "pin-approximate" }).addTo(map)
          : L.marker([m.lat, m.lon], { title: m.name, alt: m.name, keyboard: true }).addTo(map);
        var content = document.createElement(m.url ? "a" : "strong");
        content.textContent = m.name;
        if (m.url) content.href = m.url;
        marker.bindPopup(content);
        return [m.lat, m.lon];
      });
      if (points.length === 1) map.setView(points[0], 12);
      else map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 13 });
      el.classList.add("map-ready");
    });
  }

  initLargeText();
  initTray();
  initSearchForm();
  initMaps();
})();
