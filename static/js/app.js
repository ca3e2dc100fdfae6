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
  /* signed in, the tray is the account's shortlist (config.shortlist): no limit, kept on every device */
  var account = config.shortlist;
  function trayItems() {
    if (account) return account.items;
    try {
      var items = JSON.parse(load(TRAY_KEY) || "[]");
      return Array.isArray(items) ? items.filter(function (i) { return i && i.id; }).slice(0, config.compareMax) : [];
    } catch (e) { return []; }
  }
  function saveTray(items) { store(TRAY_KEY, JSON.stringify(items)); }
  function inTray(id) { return trayItems().some(function (i) { return String(i.id) === String(id); }); }

  /* a home's name in the page's language (the tray keeps both, so it follows the language switch) */
  function trayName(item) {
    var english = (document.documentElement.lang || "").indexOf("en") === 0;
    return (english ? item.name_en : item.name_zh) || item.name;
  }

  function say(message) { document.getElementById("compare-tray-message").textContent = message; }

  function renderTray() {
    var items = trayItems();
    var tray = document.getElementById("compare-tray");
    var list = document.getElementById("compare-tray-list");
    list.innerHTML = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.appendChild(document.createTextNode(trayName(item)));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", fill(t.removeNamed, { name: trayName(item) }));
      remove.addEventListener("click", function () { removeFromTray(item.id, true); });
      li.appendChild(remove);
      list.appendChild(li);
    });
    document.getElementById("compare-tray-count").textContent =
      "(" + fill(account ? t.shortlistCount : t.count, { n: items.length }) + ")";
    var link = document.getElementById("compare-tray-link");
    link.href = compareHref(items);
    link.setAttribute("data-count", String(items.length));
    tray.hidden = items.length === 0;
    document.querySelectorAll("[data-compare-id]").forEach(function (button) {
      var on = inTray(button.getAttribute("data-compare-id"));
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "✓ " + t.added : t.add;
    });
  }

  /* the compare link carries the family's question: the care level and the family's city, when chosen */
  var QUESTION_KEY = "yrd-question";
  function loadQuestion() {
    try { return JSON.parse(load(QUESTION_KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  function rememberQuestion() {
    var params = new URLSearchParams(window.location.search), question = loadQuestion();
    var level = params.get("care_level"), city = params.get("from_city") || params.get("insurance_city");
    /* on the search page the care-level filter is the question: clearing it clears it */
    if (document.getElementById("search-form")) question.care_level = level || "";
    else if (level) question.care_level = level;
    if (city) question.from_city = city;
    store(QUESTION_KEY, JSON.stringify(question));
  }
  function compareHref(items) {
    var question = loadQuestion();
    var query = "?ids=" + items.slice(0, config.compareMax).map(function (i) { return i.id; }).join(",");
    ["care_level", "from_city"].forEach(function (name) {
      if (question[name]) query += "&" + name + "=" + encodeURIComponent(question[name]);
    });
    return config.compareUrl + query;
  }

  /* a change to the account's shortlist: the server first, the tray once it has answered */
  function sendShortlist(method, path, body, done) {
    var options = { method: method, credentials: "same-origin",
                    headers: { "Content-Type": "application/json", "X-CSRFToken": account.csrfToken } };
    if (body) options.body = JSON.stringify(body);
    fetch(account.api + path, options).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.status === 204 ? null : response.json();
    }).then(done).catch(function () { say(t.shortlistFailed); });
  }

  /* a tray kept in this browser before signing in joins the account's shortlist, then leaves the browser */
  function mergeBrowserTray() {
    var saved = [];
    try { saved = JSON.parse(load(TRAY_KEY) || "[]"); } catch (e) { saved = []; }
    var ids = (Array.isArray(saved) ? saved : []).map(function (i) { return i && Number(i.id); })
      .filter(function (id) { return id > 0; });
    if (!ids.length) return;
    sendShortlist("POST", "/merge", { home_ids: ids }, function (list) {
      try { localStorage.removeItem(TRAY_KEY); } catch (e) { /* private mode */ }
      account.items = list.items.map(function (i) {
        return { id: i.home_id, name: i.name, name_zh: i.name, name_en: i.name_en || i.name };
      });
      renderTray();
    });
  }

  /* on the login form: the browser's tray goes with the sign-in, so the account has it from the first page */
  function initLoginTray() {
    var form = document.getElementById("login-form");
    if (!form) return;
    form.addEventListener("submit", function () {
      var field = form.querySelector("input[name=compare_tray]");
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = "compare_tray";
        form.appendChild(field);
      }
      field.value = load(TRAY_KEY) || "[]";
    });
  }

  function removeFromTray(id, focusTray) {
    var items = trayItems();
    var gone = items.filter(function (i) { return String(i.id) === String(id); })[0];
    if (account) {
      sendShortlist("DELETE", "/" + Number(id), null, function () {
        account.items = account.items.filter(function (i) { return String(i.id) !== String(id); });
        afterRemove(gone, focusTray);
      });
      return;
    }
    saveTray(items.filter(function (i) { return String(i.id) !== String(id); }));
    afterRemove(gone, focusTray);
  }

  function afterRemove(gone, focusTray) {
    renderTray();
    if (gone) say(fill(t.removedMessage, { name: trayName(gone) }));
    if (focusTray) {
      var next = document.querySelector("#compare-tray-list button") || document.getElementById("main");
      if (!document.getElementById("compare-tray").hidden) next.focus(); else document.getElementById("main").focus();
    }
  }

  function toggleTray(button) {
    var id = button.getAttribute("data-compare-id"), name = button.getAttribute("data-compare-name");
    if (inTray(id)) { removeFromTray(id, false); return; }
    var items = trayItems();
    var item = { id: Number(id), name: name, name_zh: button.getAttribute("data-compare-name-zh") || name,
                 name_en: button.getAttribute("data-compare-name-en") || name };
    if (account) {
      sendShortlist("POST", "", { home_id: item.id }, function () {
        if (!inTray(item.id)) account.items.push(item);
        renderTray();
        say(fill(t.addedMessage, { name: name }));
      });
      return;
    }
    if (items.length >= config.compareMax) {
      renderTray();
      say(t.full);
      return;
    }
    items.push(item);
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
    var clear = document.getElementById("compare-tray-clear");
    clear.hidden = Boolean(account);  /* signed in, homes leave the shortlist one by one (or on its page) */
    clear.addEventListener("click", function () {
      saveTray([]);
      renderTray();
      document.getElementById("main").focus();
    });
    window.addEventListener("storage", function (event) { if (event.key === TRAY_KEY && !account) renderTray(); });
    renderTray();
    if (account) mergeBrowserTray(); else initLoginTray();
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
        if (drawerOpen()) { updateDrawerCount(form); return; }
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
  var CLUSTER_FROM = 10;  /* fewer pins than this never hide each other enough to need clusters */

  function addBase(map, el) {
    var tiles = config.map.tiles || [];
    tiles.forEach(function (layer) {
      L.tileLayer(layer.url, { attribution: config.map.attribution, subdomains: layer.subdomains || "abc", maxZoom: 18 }).addTo(map);
    });
    if (tiles.length) return;
    /* no map service: the city and province names, so a family knows where a pin is */
    (config.map.places || []).forEach(function (place) {
      var province = place.kind === "province";  /* a province's centre is its capital: its name goes above */
      L.tooltip({ permanent: true, direction: province ? "top" : "center", offset: province ? [0, -14] : [0, 0],
                  interactive: false, className: "place-label place-" + place.kind })
        .setLatLng([place.lat, place.lon]).setContent(place.name).addTo(map);
    });
    var note = el.nextElementSibling;
    if (note && note.classList.contains("map-note")) { note.textContent = t.blankMap; note.hidden = false; }
  }

  function homeMarker(m) {
    var options = { title: m.name, alt: m.name, keyboard: true };
    if (m.approximate) {  /* an approximate location is drawn as a dashed ring, not a pin */
      options.icon = L.divIcon({ className: "approx-marker", iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -12] });
      options.title = m.name + " (" + t.approximate + ")";
    }
    var marker = L.marker([m.lat, m.lon], options);
    var content = document.createElement("div");
    var name = document.createElement(m.url ? "a" : "strong");
    name.textContent = m.name;
    if (m.url) name.href = m.url;
    content.appendChild(name);
    if (m.approximate) {
      var why = document.createElement("p");
      why.textContent = t.approximate;
      content.appendChild(why);
    }
    marker.bindPopup(content);
    return marker;
  }

  function initMaps() {
    if (!window.L) return;
    document.querySelectorAll(".map[data-markers]").forEach(function (el) {
      var markers = JSON.parse(el.getAttribute("data-markers") || "[]");
      if (!markers.length) { el.hidden = true; return; }
      var map = L.map(el, { scrollWheelZoom: false, attributionControl: Boolean((config.map.tiles || []).length) });
      addBase(map, el);
      var layer = L.markerClusterGroup && markers.length >= CLUSTER_FROM
        ? L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false }) : L.layerGroup();
      var points = markers.map(function (m) {
        layer.addLayer(homeMarker(m));
        return [m.lat, m.lon];
      });
      layer.addTo(map);
      el._yrdMap = map;
      el._yrdFit = function () {
        if (points.length === 1) map.setView(points[0], 12);
        else map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 13 });
      };
      el._yrdFit();
      el.classList.add("map-ready");
    });
  }

  /* --- phones: a menu button, the filters drawer, the list/map toggle ------------------------------ */
  function initPhone() {
    document.documentElement.classList.add("js-phone");
    var navToggle = document.getElementById("nav-toggle"), nav = document.getElementById("site-nav");
    if (navToggle && nav) {
      navToggle.hidden = false;
      navToggle.addEventListener("click", function () {
        var open = !nav.classList.contains("open");
        nav.classList.toggle("open", open);
        navToggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    initDrawer();
    initViewToggle();
  }

  function drawerOpen() {
    var filters = document.getElementById("filters");
    return Boolean(filters && filters.classList.contains("open"));
  }

  function initDrawer() {
    var bar = document.getElementById("phone-bar"), filters = document.getElementById("filters");
    var openButton = document.getElementById("filters-open"), closeButton = document.getElementById("filters-close");
    if (!bar || !filters || !openButton) return;
    bar.hidden = false;
    closeButton.hidden = false;
    function show(open) {
      filters.classList.toggle("open", open);
      document.documentElement.classList.toggle("filters-open", open);
      openButton.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        filters.setAttribute("role", "dialog");
        filters.setAttribute("aria-modal", "true");
        closeButton.focus();
      } else {
        filters.removeAttribute("role");
        filters.removeAttribute("aria-modal");
        openButton.focus();
      }
    }
    openButton.addEventListener("click", function () { show(true); });
    closeButton.addEventListener("click", function () { show(false); });
    filters.addEventListener("keydown", function (event) { if (event.key === "Escape" && drawerOpen()) show(false); });
  }

  /* while the drawer is open a change only updates the count on "show N homes"; that button searches */
  function updateDrawerCount(form) {
    var button = document.getElementById("filters-apply");
    if (!button || !window.fetch) return;
    var params = new URLSearchParams(), features = [];
    new FormData(form).forEach(function (value, key) {
      value = String(value).trim();
      if (!value || ["sort", "page", "place_code"].indexOf(key) >= 0) return;
      if (key === "features") features.push(value); else params.append(key, value);
    });
    if (features.length) params.set("features", features.join(","));
    if (params.has("place")) { button.textContent = button.getAttribute("data-label"); return; }
    params.set("per_page", "1");
    fetch("/api/v1/homes?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        button.textContent = body ? fill(button.getAttribute("data-label-n"), { n: body.total })
          : button.getAttribute("data-label");
      })
      .catch(function () { button.textContent = button.getAttribute("data-label"); });
  }

  function initViewToggle() {
    var toggle = document.getElementById("view-toggle"), results = document.getElementById("results");
    if (!toggle || !results) return;
    toggle.hidden = false;
    toggle.querySelectorAll("[data-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        var map = button.getAttribute("data-view") === "map";
        results.classList.toggle("show-map", map);
        toggle.querySelectorAll("[data-view]").forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
        var el = results.querySelector(".map");
        if (map && el && el._yrdMap) { el._yrdMap.invalidateSize(); el._yrdFit(); }
      });
    });
  }

  /* every table scrolls inside its own box (never the page); a box that scrolls can be reached by keyboard */
  function initTableBoxes() {
    document.querySelectorAll("main table").forEach(function (table) {
      var box = table.parentElement;
      if (!box.classList.contains("table-scroll")) {
        box = document.createElement("div");
        box.className = "table-scroll";
        table.parentNode.insertBefore(box, table);
        box.appendChild(table);
      }
      var caption = table.querySelector("caption");
      if (caption && caption.textContent.trim()) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", caption.textContent.trim());
      }
    });
    markScrollingBoxes();
    window.addEventListener("resize", markScrollingBoxes);
  }
  function markScrollingBoxes() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
      else box.removeAttribute("tabindex");
    });
  }

  /* --- share: copy the link; print -------------------------------------------------------------- */
  function initShare() {
    var copy = document.getElementById("share-copy"), input = document.getElementById("share-url");
    var status = document.getElementById("share-status"), print = document.getElementById("print-page");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
    if (!copy || !input) return;
    copy.hidden = false;
    copy.addEventListener("click", function () {
      function done() { status.textContent = copy.getAttribute("data-copied"); }
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  }

  /* a chosen date, said as the page's language writes it (2026年12月8日, 8 December 2026) */
  function initDateReadouts() {
    document.querySelectorAll("[data-date-for]").forEach(function (out) {
      var input = document.getElementById(out.getAttribute("data-date-for"));
      if (!input || !window.Intl) return;
      var format = new Intl.DateTimeFormat(document.documentElement.lang || "zh-CN", { dateStyle: "long", timeZone: "UTC" });
      input.addEventListener("change", function () {
        var parts = (input.value || "").split("-").map(Number);
        out.textContent = parts.length === 3 && parts[0]
          ? fill(t.youChose, { date: format.format(new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]))) }) : "";
      });
    });
  }

  initTableBoxes();
  initDateReadouts();
  initShare();
  initLargeText();
  initPhone();
  rememberQuestion();
  initTray();
  initSearchForm();
  initMaps();
})();
