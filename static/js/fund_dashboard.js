// 基金运行分析 charts: data comes from the json_script tag "fund-chart-data"; labels from data-* attributes.
(function () {
  "use strict";
  var source = document.getElementById("fund-chart-data");
  var script = document.getElementById("fund-dashboard-script");
  if (!source || !script || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var num = function (v) { return v === null ? null : Number(v); };
  data.forEach(function (fund, i) {
    var flow = document.getElementById("chart-flow-" + i);
    var balance = document.getElementById("chart-balance-" + i);
    if (flow) {
      new Chart(flow, {
        type: "bar",
        data: {
          labels: fund.months,
          datasets: [
            { label: script.dataset.income, data: fund.income.map(num), backgroundColor: "#2e7d32" },
            { label: script.dataset.expense, data: fund.expense.map(num), backgroundColor: "#c62828" }
          ]
        },
        options: { animation: false, plugins: { title: { display: true, text: fund.label } } }
      });
    }
    if (balance) {
      new Chart(balance, {
        type: "line",
        data: {
          labels: fund.months,
          datasets: [{ label: script.dataset.balance, data: fund.balance.map(num), borderColor: "#1565c0" }]
        },
        options: { animation: false }
      });
    }
  });
  window.yibaoFundChartsReady = true;
})();
