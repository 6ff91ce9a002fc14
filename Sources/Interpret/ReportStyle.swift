// Shared look of the generated HTML pages, and the `#selftest` hook that Scripts/check_report.sh
// uses: it moves the layer slider and reports the shown image in document.title.

enum ReportStyle {
    static let css = """
    body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
    h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
    .note { color: #555; max-width: 60em; }
    .controls { display: flex; flex-wrap: wrap; gap: 1.2em; align-items: center; margin: 1em 0; }
    .row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
    figure { margin: 0; } figcaption { font-size: 0.9em; color: #444; margin-top: 0.3em; }
    img { image-rendering: auto; border: 1px solid #ccc; background: #fff; }
    table { border-collapse: collapse; font-size: 0.85em; }
    caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
    td, th { border: 1px solid #ddd; padding: 0.15em 0.5em; text-align: right; }
    tr.current { background: #ffe9a8; }
    input[type=range] { width: 16em; vertical-align: middle; }
    """

    /// On `#selftest`: record errors, advance the layer slider (or the view when there is one
    /// layer), and once the new image loads write "selftest ok|unchanged|failed errors=N src=..." into
    /// the title, which `chromium --dump-dom` shows.
    static let selfTestScript = #"""
(function () {
  const errors = [];
  window.addEventListener("error", (e) => errors.push(String(e.message)));
  if (location.hash !== "#selftest") return;
  const main = document.getElementById("main");
  const before = main.getAttribute("src");
  const slider = document.getElementById("layer");
  if (Number(slider.max) > 0) {
    slider.value = String((Number(slider.value) + 1) % (Number(slider.max) + 1));
    slider.dispatchEvent(new Event("input"));
  } else {
    const view = document.getElementById("view");
    view.selectedIndex = (view.selectedIndex + 1) % view.options.length;
    view.dispatchEvent(new Event("change"));
  }
  const after = main.getAttribute("src");
  const report = (state) => {
    document.title = "selftest " + state + " errors=" + errors.length + " width=" + main.naturalWidth +
      " before=" + before + " src=" + after + (errors.length ? " first=" + errors[0] : "");
  };
  if (main.complete && main.naturalWidth > 0) report(before !== after ? "ok" : "unchanged");
  main.addEventListener("load", () => report(before !== after ? "ok" : "unchanged"));
  main.addEventListener("error", () => report("failed"));
})();
"""#
}
