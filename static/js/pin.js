/* Correct a home's pin: clicking the map moves the marker and fills the latitude and longitude fields (WGS-84;
   the page's map uses no tiles in GCJ-02 here, the fields are what is saved). */
(function () {
  "use strict";
  var el = document.getElementById("pin-map");
  if (!el || !window.L) return;
  var lat = document.getElementById("pin-lat"), lon = document.getElementById("pin-lon");
  var start = [parseFloat(el.getAttribute("data-lat")) || 31.23, parseFloat(el.getAttribute("data-lon")) || 121.47];
  var map = L.map(el, { scrollWheelZoom: false });
  var marker = L.marker(start, { draggable: true, keyboard: true }).addTo(map);
  map.setView(start, 14);
  function put(point) {
    marker.setLatLng(point);
    lat.value = point.lat.toFixed(6);
    lon.value = point.lng.toFixed(6);
  }
  map.on("click", function (event) { put(event.latlng); });
  marker.on("dragend", function () { put(marker.getLatLng()); });
  el.classList.add("map-ready");
})();
