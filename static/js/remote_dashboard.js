// 异地就医指标 charts: data from the json_script tag "remote-chart-data", labels from data-* attributes.
(function () {
  "use strict";
  var source = document.getElementById("remote-chart-data");
  var script = document.getElementById("remote-dashboard-script");
  if (!source || !script || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var labels = script.dataset;
  var districts = document.getElementById("chart-remote-districts");
  var areas = document.getElementById("chart-remote-areas");
  if (districts) {
    new Chart(districts, {
      type: "bar",
      data: {
        labels: data.districts.labels,
        datasets: [
          { label: labels.filed, data: data.districts.filed, backgroundColor: "#1565c0" },
          { label: labels.directPersons, data: data.districts.direct, backgroundColor: "#2e7d32" },
          { label: labels.inbound, data: data.districts.inbound, backgroundColor: "#8a5a00" }
        ]
      },
      options: {
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { title: { display: true, text: labels.districtsTitle } }
      }
    });
  }
  if (areas) {
    new Chart(areas, {
      type: "bar",
      data: {
        labels: data.areas.labels,
        datasets: [
          { label: labels.direct, data: data.areas.direct, backgroundColor: "#2e7d32" },
          { label: labels.manual, data: data.areas.manual, backgroundColor: "#c62828" }
        ]
      },
      options: {
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { title: { display: true, text: labels.areasTitle } }
      }
    });
  }
  window.yibaoRemoteChartsReady = true;
})();
