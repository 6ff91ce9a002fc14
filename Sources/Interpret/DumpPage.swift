// The index.html of an attention dump: the manifest is embedded as JSON so the page works from
// file:// with no server. Selectors for image and view (head / head mean / rollout), a layer
// slider with play, the grid PNG and entropy / distance tables. `#selftest` exercises the slider.

struct DumpPage: Encodable {
    /// A further method's overlay (DINO masks, chefer2021, …): one more entry of the View selector.
    struct Method: Encodable {
        let name: String
        let caption: String
        let file: String
    }
    struct Image: Encodable {
        let name: String
        let label: String?
        let prediction: String?
        let input: String
        /// [layer][head..., mean] overlay paths
        let layers: [[String]]
        let rollout: String
        let grid: String
        /// Input, last-layer head mean, rollout and the further methods side by side.
        let compare: String
        /// The layer means as an animated PNG.
        let animation: String
        let methods: [Method]
        /// The shared [low, high] of the CLS maps, or nil when each map has its own scale.
        let scale: [Float]?
        let clsEntropy: [[Float]]
        let rowEntropy: [[Float]]
        let distance: [[Float]]
    }
    let layers: Int
    let heads: Int
    let grid: [Int]
    let rolloutFusion: String
    let rolloutDiscard: Double
    let colormap: String
    /// CSS gradient of the colormap for the colour bar.
    let colourBar: String
    /// The faithfulness plot beside the page, when the scoreboard ran.
    let scoreboard: String?
    let images: [Image]

    func html() throws -> String {
        DumpPage.template.replacingOccurrences(of: "__STYLE__", with: ReportStyle.css)
            .replacingOccurrences(of: "__SELFTEST__", with: ReportStyle.selfTestScript)
            .replacingOccurrences(of: "__DATA__", with: try ReportFiles.scriptJSON(self))
    }

    static let template = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Attention dump</title>
<style>__STYLE__</style>
</head>
<body>
<h1>Attention maps</h1>
<p class="note">CLS→patch attention of every layer and head, their head mean, and attention rollout
(Abnar &amp; Zuidema 2020), and any further methods (View), drawn over the input. Layers are numbered
from 0. Head maps of one image share one colour scale (the bar under the map gives it) unless
drawn with --scale per-map; rollout and the other methods are scaled per map.</p>
<div class="controls">
  <label>Image <select id="image"></select></label>
  <label>View <select id="view"></select></label>
  <label>Layer <input type="range" id="layer" min="0" value="0"> <span id="layerText"></span></label>
  <button id="play" type="button">Play layers</button>
  <a id="animation" download>Layer animation (APNG)</a>
</div>
<div class="row">
  <figure><img id="input" alt="input image"><figcaption id="caption"></figcaption></figure>
  <figure><img id="main" alt="attention overlay">
    <div id="bar" style="height:12px;margin-top:4px"></div>
    <div style="display:flex;justify-content:space-between;gap:8px;font-size:12px"><span id="barLow"></span><span id="barHigh"></span></div>
    <figcaption id="mainCaption"></figcaption></figure>
</div>
<h2>Raw attention, rollout and the other methods</h2>
<p class="note">Each map on its own scale (0 = its minimum, 1 = its maximum).</p>
<img id="compare" alt="methods side by side">
<h2>Per-head measures for this image</h2>
<div class="row"><div id="entropy"></div><div id="distance"></div></div>
<h2>All layers × heads</h2>
<p class="note">Rows: layers, numbered from 0; columns: heads, their mean, then (first row) rollout and the input.</p>
<img id="grid" alt="layers by heads grid">
<h2>Across images</h2>
<p class="note">CLS entropy per layer and head against the uniform level ln T, and mean attention distance per head against depth.</p>
<div class="row"><img src="entropy.svg" alt="entropy per layer and head"><img src="distance.svg" alt="attention distance per head"></div>
<div id="scoreboard"></div>
<script id="data" type="application/json">__DATA__</script>
<script>
"use strict";
const M = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
const imageSelect = $("image"), viewSelect = $("view"), layerSlider = $("layer"), main = $("main");
M.images.forEach((im, i) => imageSelect.add(new Option(im.name, String(i))));
for (let h = 0; h < M.heads; h++) viewSelect.add(new Option("Head " + h, String(h)));
viewSelect.add(new Option("Head mean", "mean"));
viewSelect.add(new Option("Rollout (all layers)", "rollout"));
(M.images.length ? M.images[0].methods : []).forEach((m, k) => viewSelect.add(new Option(m.name, "method" + k)));
layerSlider.max = String(M.layers - 1);
if (M.scoreboard) {
  $("scoreboard").innerHTML = "<h2>Faithfulness</h2><p class=\"note\">Deletion and insertion (Petsiuk et al. 2018): "
    + "the class probability as patches are removed or revealed in each map's order; a faithful map drops fast "
    + "under deletion and rises fast under insertion. Dashed: a random order.</p>";
  const plot = document.createElement("img");
  plot.src = M.scoreboard;
  plot.alt = "deletion and insertion curves";
  $("scoreboard").appendChild(plot);
}

function table(title, values, layer, digits) {
  let html = "<table><caption>" + title + "</caption><tr><th>layer</th>";
  for (let h = 0; h < M.heads; h++) html += "<th>H" + h + "</th>";
  html += "</tr>";
  values.forEach((row, l) => {
    html += "<tr" + (l === layer ? " class=\"current\"" : "") + "><td>" + l + "</td>";
    row.forEach((v) => { html += "<td>" + v.toFixed(digits) + "</td>"; });
    html += "</tr>";
  });
  return html + "</table>";
}

function show() {
  const im = M.images[Number(imageSelect.value)];
  const layer = Number(layerSlider.value), view = viewSelect.value;
  let src;
  const method = view.startsWith("method") ? im.methods[Number(view.slice(6))] : null;
  if (method) src = method.file;
  else if (view === "rollout") src = im.rollout;
  else if (view === "mean") src = im.layers[layer][M.heads];
  else src = im.layers[layer][Number(view)];
  main.src = src;
  layerSlider.disabled = view === "rollout" || method !== null;
  $("layerText").textContent = "layer " + layer + " (0–" + (M.layers - 1) + ")";
  $("input").src = im.input;
  $("bar").style.background = M.colourBar;
  const shared = im.scale && !method && view !== "rollout";
  const number = (v) => (v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : v.toPrecision(3));
  $("barLow").textContent = shared ? number(im.scale[0]) : "min";
  $("barHigh").textContent = shared ? number(im.scale[1]) : "max";
  $("grid").src = im.grid;
  $("compare").src = im.compare;
  $("animation").href = im.animation;
  const parts = [];
  if (im.label !== undefined && im.label !== null) parts.push("label: " + im.label);
  if (im.prediction !== undefined && im.prediction !== null) parts.push("predicted: " + im.prediction);
  $("caption").textContent = im.name + (parts.length ? " (" + parts.join(", ") + ")" : "");
  $("mainCaption").textContent = method ? method.caption : view === "rollout"
    ? "rollout, " + M.rolloutFusion + " fusion, discard " + M.rolloutDiscard
    : "layer " + layer + ", " + (view === "mean" ? "head mean" : "head " + view) + ", " + M.colormap
      + (im.scale ? "; one colour scale for all layers and heads of this image" : "; scaled to this map's min–max");
  $("entropy").innerHTML = table("CLS-row entropy (nats)", im.clsEntropy, layer, 3);
  $("distance").innerHTML = table("Mean attention distance (patches)", im.distance, layer, 2);
}

let timer = null;
$("play").addEventListener("click", () => {
  if (timer) { clearInterval(timer); timer = null; $("play").textContent = "Play layers"; return; }
  $("play").textContent = "Pause";
  timer = setInterval(() => { layerSlider.value = String((Number(layerSlider.value) + 1) % M.layers); show(); }, 700);
});
[imageSelect, viewSelect].forEach((e) => e.addEventListener("change", show));
layerSlider.addEventListener("input", show);
show();
__SELFTEST__
</script>
</body>
</html>
"""#
}
