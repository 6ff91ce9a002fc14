// The index.html of a training report: probe images with their attention heatmaps (small PNGs at
// grid resolution, scaled and blended by the browser), sliders over epochs and layers with play
// buttons, a view selector (head / head mean / rollout) and per-epoch entropy and distance tables.

struct ReportPage: Encodable {
    struct Probe: Encodable {
        let image: String
        let label: String
    }
    let epochs: [Int]
    let layers: Int
    let heads: Int
    let grid: [Int]
    let alpha: Float
    let colormap: String
    let probes: [Probe]
    /// [epoch index][layer][head], averaged over the probes
    let entropy: [[[Float]]]
    let distance: [[[Float]]]

    func html() throws -> String {
        ReportPage.template.replacingOccurrences(of: "__STYLE__", with: ReportStyle.css + ReportPage.extraCSS)
            .replacingOccurrences(of: "__SELFTEST__", with: ReportStyle.selfTestScript)
            .replacingOccurrences(of: "__DATA__", with: try ReportFiles.scriptJSON(self))
    }

    static let extraCSS = """
    .probe { position: relative; display: inline-block; margin: 0 0.8em 0.8em 0; }
    .probe img { display: block; }
    .probe img.heat { position: absolute; left: 0; top: 0; border-color: transparent; }
    .probe span { font-size: 0.85em; color: #444; }
    """

    static let template = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Attention during training</title>
<style>__STYLE__</style>
</head>
<body>
<h1>Attention during training</h1>
<p class="note">The fixed probe images' CLS→patch attention, per epoch and layer: pick a head, the head
mean or the rollout over all layers (Abnar &amp; Zuidema 2020). Head maps of a probe share one colour
scale over all epochs, layers and heads (0 to its largest weight), so epochs compare; rollout is normalised per map.</p>
<div class="controls">
  <label>View <select id="view"></select></label>
  <label>Epoch <input type="range" id="epoch" min="0" value="0"> <span id="epochText"></span></label>
  <button id="playEpochs" type="button">Play epochs</button>
  <label>Layer <input type="range" id="layer" min="0" value="0"> <span id="layerText"></span></label>
  <button id="playLayers" type="button">Play layers</button>
</div>
<div id="probes"></div>
<h2>Per-head measures at this epoch (mean over probes)</h2>
<div class="row"><div id="entropy"></div><div id="distance"></div></div>
<h2>CLS-row entropy over training (mean over heads and probes)</h2>
<p class="note">Falling entropy means the CLS token's attention is focusing; one line per layer.</p>
<div id="chart"></div>
<script id="data" type="application/json">__DATA__</script>
<script>
"use strict";
const M = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
const viewSelect = $("view"), epochSlider = $("epoch"), layerSlider = $("layer");
for (let h = 0; h < M.heads; h++) viewSelect.add(new Option("Head " + h, String(h)));
viewSelect.add(new Option("Head mean", "mean"));
viewSelect.add(new Option("Rollout (all layers)", "rollout"));
viewSelect.value = "mean";
epochSlider.max = String(M.epochs.length - 1);
epochSlider.value = String(M.epochs.length - 1);
layerSlider.max = String(M.layers - 1);
layerSlider.value = String(M.layers - 1);
const pad = (n, w) => String(n).padStart(w, "0");
const heats = M.probes.map((p, b) => {
  const box = document.createElement("div");
  box.className = "probe";
  const base = document.createElement("img");
  base.src = p.image;
  const heat = document.createElement("img");
  heat.className = "heat";
  heat.style.opacity = String(M.alpha);
  if (b === 0) heat.id = "main";
  base.addEventListener("load", () => { heat.width = base.naturalWidth; heat.height = base.naturalHeight; });
  const caption = document.createElement("span");
  caption.textContent = p.label;
  box.append(base, heat, caption);
  $("probes").append(box);
  return heat;
});

function table(title, values, digits) {
  let html = "<table><caption>" + title + "</caption><tr><th>layer</th>";
  for (let h = 0; h < M.heads; h++) html += "<th>H" + h + "</th>";
  html += "</tr>";
  values.forEach((row, l) => {
    html += "<tr" + (l === Number(layerSlider.value) ? " class=\"current\"" : "") + "><td>" + l + "</td>";
    row.forEach((v) => { html += "<td>" + v.toFixed(digits) + "</td>"; });
    html += "</tr>";
  });
  return html + "</table>";
}

function show() {
  const e = Number(epochSlider.value), layer = Number(layerSlider.value), view = viewSelect.value;
  const epoch = M.epochs[e];
  heats.forEach((heat, b) => {
    const folder = "maps/p" + pad(b, 2) + "/e" + pad(epoch, 4) + "/";
    let file;
    if (view === "rollout") file = "rollout.png";
    else if (view === "mean") file = "l" + pad(layer, 2) + "_mean.png";
    else file = "l" + pad(layer, 2) + "_h" + pad(view, 2) + ".png";
    heat.src = folder + file;
  });
  layerSlider.disabled = view === "rollout";
  $("epochText").textContent = "epoch " + epoch + " (" + (e + 1) + " / " + M.epochs.length + ")";
  $("layerText").textContent = "layer " + layer + " (0–" + (M.layers - 1) + ")";   // 0-based, as files and tables
  $("entropy").innerHTML = table("CLS-row entropy (nats)", M.entropy[e], 3);
  $("distance").innerHTML = table("Mean attention distance (patches)", M.distance[e], 2);
  const marker = document.getElementById("marker");
  if (marker) { marker.setAttribute("x1", String(chartX(e))); marker.setAttribute("x2", String(chartX(e))); }
}

function chart() {
  const W = 560, H = 240, P = 40, E = M.epochs.length;
  const series = [];
  for (let l = 0; l < M.layers; l++) {
    series.push(M.entropy.map((perLayer) => perLayer[l].reduce((a, b) => a + b, 0) / M.heads));
  }
  const all = series.flat();
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const x = (e) => P + (E > 1 ? e * (W - 2 * P) / (E - 1) : (W - 2 * P) / 2);
  const y = (v) => H - P - (v - lo) / (hi - lo) * (H - 2 * P);
  let svg = '<svg xmlns="http://www.w3.org/2000/svg" width="' + (W + 90) + '" height="' + H + '" font-size="11">';
  svg += '<line x1="' + P + '" y1="' + (H - P) + '" x2="' + (W - P) + '" y2="' + (H - P) + '" stroke="#888"/>';
  svg += '<line x1="' + P + '" y1="' + P + '" x2="' + P + '" y2="' + (H - P) + '" stroke="#888"/>';
  svg += '<text x="2" y="' + (y(hi) + 4) + '">' + hi.toFixed(2) + '</text><text x="2" y="' + (y(lo) + 4) + '">' + lo.toFixed(2) + '</text>';
  svg += '<text x="' + P + '" y="' + (H - P + 16) + '">epoch ' + M.epochs[0] + '</text>';
  svg += '<text x="' + (W - P) + '" y="' + (H - P + 16) + '" text-anchor="end">epoch ' + M.epochs[E - 1] + '</text>';
  series.forEach((values, l) => {
    const colour = "hsl(" + Math.round(l * 300 / Math.max(1, M.layers - 1)) + ",70%,45%)";
    svg += '<polyline fill="none" stroke-width="2" stroke="' + colour + '" points="' + values.map((v, e) => x(e).toFixed(1) + "," + y(v).toFixed(1)).join(" ") + '"/>';
    svg += '<text x="' + (W - P + 12) + '" y="' + (P + l * 14) + '" fill="' + colour + '">layer ' + l + '</text>';
  });
  svg += '<line id="marker" y1="' + P + '" y2="' + (H - P) + '" stroke="#c00" stroke-dasharray="3,3"/></svg>';
  $("chart").innerHTML = svg;
  return x;
}
const chartX = chart();

function player(button, slider, label) {
  let timer = null;
  button.addEventListener("click", () => {
    if (timer) { clearInterval(timer); timer = null; button.textContent = label; return; }
    button.textContent = "Pause";
    timer = setInterval(() => {
      slider.value = String((Number(slider.value) + 1) % (Number(slider.max) + 1));
      show();
    }, 600);
  });
}
player($("playEpochs"), epochSlider, "Play epochs");
player($("playLayers"), layerSlider, "Play layers");
viewSelect.addEventListener("change", show);
[epochSlider, layerSlider].forEach((s) => s.addEventListener("input", show));
show();
__SELFTEST__
</script>
</body>
</html>
"""#
}
