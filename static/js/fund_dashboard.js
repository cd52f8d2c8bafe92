// 基金运行分析 charts: data comes from the json_script tag "fund-chart-data"; labels from data-* attributes.
(function () {
  "use strict";
  var source = document.getElementById("fund-chart-data");
  var script = document.getElementById("fund-dashboard-script");
  if (!source || !script || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var num = function (v) { return v === null ? null : Number(v); };
  data.schemes.forEach(function (scheme, i) {
    var flow = document.getElementById("chart-flow-" + i);
    var reserve = document.getElementById("chart-reserve-" + i);
    if (flow) {
      new Chart(flow, {
        type: "bar",
        data: {
          labels: scheme.months,
          datasets: [
            { label: script.dataset.income, data: scheme.income.map(num), backgroundColor: "#2e7d32" },
            { label: script.dataset.spending, data: scheme.spending.map(num), backgroundColor: "#c62828" }
          ]
        },
        options: { animation: false, plugins: { title: { display: true, text: scheme.label } } }
      });
    }
    if (reserve) {
      new Chart(reserve, {
        type: "line",
        data: {
          labels: scheme.months,
          datasets: [{ label: script.dataset.reserve, data: scheme.reserve_months.map(num), borderColor: "#1565c0" }]
        },
        options: { animation: false, scales: { y: { beginAtZero: true } } }
      });
    }
  });
  window.yibaoFundChartsReady = true;
})();
