/* The regulator dashboard's charts: drawn with the vendored Chart.js from the JSON the page embeds.
   Progressive enhancement only: the tables under each chart hold the same figures and stay the source of
   truth; without JavaScript or Chart.js the chart boxes stay hidden. */
(function () {
  "use strict";

  // colour-blind-safe (Okabe-Ito), enough for the longest series (five ratings and "not enough data")
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999"];

  function readSpecs() {
    var node = document.getElementById("dashboard-charts");
    if (!node) return [];
    try { return JSON.parse(node.textContent) || []; } catch (e) { return []; }
  }

  function draw(spec) {
    var canvas = document.getElementById("chart-" + spec.id);
    if (!canvas || !spec.labels.length) return;
    canvas.parentNode.hidden = false;
    var datasets = spec.datasets.map(function (d, i) {
      var colour = PALETTE[i % PALETTE.length];
      return { label: d.label, data: d.data, backgroundColor: colour, borderColor: colour, borderWidth: 1 };
    });
    canvas.chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: spec.stacked },
          y: { stacked: spec.stacked, beginAtZero: true, title: { display: true, text: spec.y } }
        }
      }
    });
  }

  function init() {
    if (typeof window.Chart !== "function") return;
    readSpecs().forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
