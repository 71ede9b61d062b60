/* 总览's charts: Apache ECharts (vendored, tools/vendor.toml) drawing the JSON block #overview-charts that the
   server wrote into the page (no inline script: the page's CSP is script-src 'self'). Each chart has a data
   table beside it, so the figures stay readable without this script. */
(function () {
  "use strict";
  var source = document.getElementById("overview-charts");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var ink = "#1a1a1a", blue = "#0b3d91", green = "#1d6b38", grid = "#ccd3db";
  var font = { color: ink, fontSize: 13 };
  var charts = [];

  function axis(labels, rotate) {
    return { type: "category", data: labels, axisLabel: { color: ink, rotate: rotate || 0, interval: 0 },
             axisLine: { lineStyle: { color: "#6b7785" } } };
  }
  function value(name, max) {
    var v = { type: "value", name: name, nameTextStyle: font, minInterval: 1, axisLabel: { color: ink },
              splitLine: { lineStyle: { color: grid } } };
    if (max !== undefined) { v.max = max; v.min = 0; }
    return v;
  }
  function draw(key, option) {
    var el = document.getElementById("chart-" + key);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.animation = false;
    option.textStyle = font;
    option.tooltip = option.tooltip || { trigger: "axis" };
    option.grid = { left: 48, right: 16, top: 40, bottom: 64, containLabel: true };
    chart.setOption(option);
    charts.push(chart);
  }

  draw("month", {
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
    xAxis: axis(data.month.labels.map(function (m) { return m.length === 7 ? Number(m.slice(5)) + "月" : m; })),
    yAxis: value("整改率(%)", 100),
    series: [{ name: "整改率", type: "line", data: data.month.rate, connectNulls: false,
               itemStyle: { color: blue }, lineStyle: { color: blue, width: 2 }, symbolSize: 7 }]
  });
  // One row per township (a county has 30 and more): horizontal bars, the chart as tall as its rows need.
  var township = document.getElementById("chart-township");
  if (township) { township.style.height = Math.max(300, data.township.labels.length * 26 + 90) + "px"; }
  var rows = axis(data.township.labels);
  rows.inverse = true;
  draw("township", {
    legend: { top: 0, textStyle: font },
    yAxis: rows,
    xAxis: value("处"),
    series: [
      { name: "排查", type: "bar", data: data.township.found, itemStyle: { color: blue } },
      { name: "整改", type: "bar", data: data.township.rectified, itemStyle: { color: green } }
    ]
  });
  draw("category", {
    xAxis: axis(data.category.labels, data.category.labels.length > 5 ? 35 : 0),
    yAxis: value("处"),
    series: [{ name: "排查", type: "bar", data: data.category.found, itemStyle: { color: blue } }]
  });
  draw("severity", {
    xAxis: axis(data.severity.labels),
    yAxis: value("处"),
    series: [{ name: "排查", type: "bar", data: data.severity.found, barMaxWidth: 64,
               itemStyle: { color: function (p) { return p.name === "重大" ? "#b00020" : blue; } } }]
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
}());
