// The KPI page's trends: two charts drawn with the self-hosted Chart.js (window.Chart, UMD) from
// the JSON the server put in #kpi-trends's data-trends attribute.
const COLOURS = ["#2563eb", "#7c3aed", "#059669", "#dc2626"];

function countsChart(canvas, data) {
  return new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.counts.map((series, i) => ({
        label: series.label,
        data: series.data,
        borderColor: COLOURS[i % COLOURS.length],
        backgroundColor: COLOURS[i % COLOURS.length],
        tension: 0.2,
        pointRadius: data.labels.length > 60 ? 0 : 2,
      })),
    },
    options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } },
  });
}

function ratesChart(canvas, data) {
  return new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.rate.label, data: data.rate.data, borderColor: "#059669", yAxisID: "rate", spanGaps: true },
        { label: data.median.label, data: data.median.data, borderColor: "#d97706", yAxisID: "hours", spanGaps: true },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: {
        rate: { type: "linear", position: "left", min: 0, max: 100 },
        hours: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
      },
    },
  });
}

const holder = document.getElementById("kpi-trends");
if (holder && window.Chart) {
  const data = JSON.parse(holder.dataset.trends);
  countsChart(document.getElementById("chart-counts"), data);
  ratesChart(document.getElementById("chart-rates"), data);
  holder.dataset.drawn = "true";
}
