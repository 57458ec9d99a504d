/* Dashboard charts: the presence trend (30/90 days) and the map of sub-regions, with the
   Apache ECharts copy in static/vendor (no CDN). Data comes from the page's json_script. */
(function () {
  "use strict";
  var dataEl = document.getElementById("dashboard-data");
  if (!dataEl || typeof echarts === "undefined") { return; }
  var data = JSON.parse(dataEl.textContent);

  var trendEl = document.getElementById("trend-chart");
  if (trendEl) {
    var chart = echarts.init(trendEl);
    var draw = function (days) {
      // Working days only; keep those within `days` calendar days of the last one.
      var last = data.trend.length ? Date.parse(data.trend[data.trend.length - 1].day) : 0;
      var points = data.trend.filter(function (p) { return last - Date.parse(p.day) < days * 86400000; });
      if (!points.length) {
        trendEl.innerHTML = '<p class="text-muted">' + trendEl.dataset.empty + "</p>";
        return;
      }
      var rates = points.map(function (p) { return p.rate; }).filter(function (v) { return v != null; });
      var low = rates.length ? Math.min.apply(null, rates) : 0;
      var step = 100 - low <= 25 ? 5 : (100 - low <= 50 ? 10 : 20);
      var axisMin = Math.max(0, Math.floor((low - 1) / step) * step);
      chart.setOption({
        grid: { left: 40, right: 16, top: 16, bottom: 28 },
        // The series is named without a unit ("Presence rate"): the value carries the "%".
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        xAxis: { type: "category", data: points.map(function (p) { return p.day.slice(5); }) },
        // Days without presence data have a null rate: a gap in the line, not 0 % (and no
        // lowest rate: the axis then starts at 0). The ends and the step are chosen above, on
        // multiples of the step, so no end label sits on top of a tick's label ("100" over "99").
        yAxis: { type: "value", max: 100, min: axisMin, interval: step, axisLabel: { formatter: "{value}%" } },
        // Straight segments: a smoothed line overshoots between days and shows rates nobody had.
        series: [{ name: trendEl.dataset.label, type: "line", smooth: false, showSymbol: points.length <= 31,
                   areaStyle: { opacity: 0.15 }, data: points.map(function (p) { return p.rate; }) }],
      }, true);
    };
    draw(30);
    document.querySelectorAll("[data-trend-days]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        document.querySelectorAll("[data-trend-days]").forEach(function (b) { b.classList.remove("active"); });
        btn.classList.add("active");
        draw(parseInt(btn.dataset.trendDays, 10));
      });
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var mapEl = document.getElementById("region-map");
  if (mapEl) {
    fetch(mapEl.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        if (!geo.features || !geo.features.length) { return; }
        echarts.registerMap("zhucun-sub", geo);
        var values = data.map.values;
        var nums = Object.keys(values).map(function (k) { return values[k]; }).filter(function (v) { return v != null; });
        // A narrow spread must not fill the whole colour scale: rates span at least 10 points
        // (ending at the best), counts at least 2. Places without data keep the map grey ("—" on hover).
        var lo = nums.length ? Math.min.apply(null, nums) : 0, hi = nums.length ? Math.max.apply(null, nums) : 1;
        var minSpan = data.map.percent ? 10 : 2;
        if (hi - lo < minSpan) { lo = Math.max(0, hi - minSpan); }
        // Every figure shown says what it is and, for a rate, that it is a percentage: the
        // tooltip names the place and the figure, the scale's handles carry the unit.
        var unit = data.map.percent ? "%" : "";
        var enc = echarts.format.encodeHTML;
        var m = echarts.init(mapEl);
        m.setOption({
          tooltip: { trigger: "item", formatter: function (p) {
            var v = p.value == null || isNaN(p.value) ? "—" : p.value + unit;
            return enc(p.name) + "<br>" + enc(data.map.label) + ": " + v;
          } },
          visualMap: { min: lo, max: hi, left: 8, bottom: 8, calculable: true, text: [data.map.label, ""],
                       formatter: function (v) { return (+v).toFixed(data.map.percent ? 1 : 0) + unit; },
                       inRange: { color: ["#fde0dd", "#c51b8a"] }, outOfRange: { color: "#dee2e6" } },
          series: [{ type: "map", map: "zhucun-sub", roam: true, name: data.map.label,
                     // Dark label text with a light outline: readable on the palest and darkest fill.
                     label: { show: true, fontSize: 10, color: "#212529", textBorderColor: "#fff", textBorderWidth: 2 },
                     // Small neighbours (成都, 德阳, 资阳…) would print their names on top of each
                     // other: those that collide are hidden; the tooltip still names every place.
                     labelLayout: { hideOverlap: true },
                     data: Object.keys(values).map(function (k) { return { name: k, value: values[k] }; }) }],
        });
        window.addEventListener("resize", function () { m.resize(); });
      });
  }
})();
