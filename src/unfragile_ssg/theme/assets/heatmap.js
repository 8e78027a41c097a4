/* Token-by-token heatmaps for "Sample outputs" (progressive enhancement).
 *
 * Without this script each sample shows one composite image of its heatmaps, labelled word by
 * word (inside <noscript>, so that a page with the script never fetches it). With it, the sample's heatmaps arrive as data (data-maps: one byte per patch of the
 * model's grid, the whole caption's grid first, then one per word, data-map naming each word's)
 * and every caption word becomes a button: pointing at it, focusing it with the keyboard or
 * tapping it paints that word's grid over the photo on a canvas; a tap (or Enter/Space) pins it
 * until another word is chosen, the same word is chosen again, or Escape is pressed.
 *
 * Painting is the one captions/heatmap.py's overlay() does for the composite image: bilinear
 * upsampling with pixel centres aligned (as Pillow resizes), scaled to 0..1 again, the colormap
 * table the section carries (data-colormap-<name>, written from Python), blended at ALPHA.
 * Should the data not load, the composite image is shown as without the script.
 */
(function () {
  "use strict";

  var ALPHA = 153; /* 0.6 of 255: heatmap.ALPHA */

  function colormap(section, name) {
    var hex = section.getAttribute("data-colormap-" + name) || "";
    if (hex.length !== 1536) return null;
    var table = new Uint8Array(768);
    for (var i = 0; i < 768; i++) table[i] = parseInt(hex.substr(i * 2, 2), 16);
    return table;
  }

  /* One grid (rows x cols bytes at offset) painted into an RGBA buffer of width x height. */
  function paint(data, offset, rows, cols, width, height, table) {
    var field = new Float64Array(width * height);
    var xs = new Int32Array(width * 2), wx = new Float64Array(width);
    var x, y, i;
    for (x = 0; x < width; x++) {
      var sx = (x + 0.5) * cols / width - 0.5, x0 = Math.floor(sx);
      wx[x] = sx - x0;
      xs[2 * x] = Math.min(cols - 1, Math.max(0, x0));
      xs[2 * x + 1] = Math.min(cols - 1, Math.max(0, x0 + 1));
    }
    var low = Infinity, high = -Infinity;
    for (y = 0; y < height; y++) {
      var sy = (y + 0.5) * rows / height - 0.5, y0 = Math.floor(sy), fy = sy - y0;
      var r0 = offset + Math.min(rows - 1, Math.max(0, y0)) * cols;
      var r1 = offset + Math.min(rows - 1, Math.max(0, y0 + 1)) * cols;
      for (x = 0; x < width; x++) {
        var a = xs[2 * x], b = xs[2 * x + 1], fx = wx[x];
        var top = data[r0 + a] * (1 - fx) + data[r0 + b] * fx;
        var bottom = data[r1 + a] * (1 - fx) + data[r1 + b] * fx;
        var v = (top * (1 - fy) + bottom * fy) / 255;
        field[y * width + x] = v;
        if (v < low) low = v;
        if (v > high) high = v;
      }
    }
    var span = high - low, flat = span <= 1e-12 * Math.max(1, Math.abs(high));
    var out = new Uint8ClampedArray(width * height * 4);
    for (i = 0; i < width * height; i++) {
      var index = flat ? 0 : Math.round((field[i] - low) / span * 255);
      out[4 * i] = table[3 * index];
      out[4 * i + 1] = table[3 * index + 1];
      out[4 * i + 2] = table[3 * index + 2];
      out[4 * i + 3] = ALPHA;
    }
    return out;
  }

  function enhance(section, figure) {
    var photo = figure.querySelector(".sample-photo");
    var spans = figure.querySelectorAll(".sample-word[data-map]");
    var grid = (figure.getAttribute("data-grid") || "").split("x").map(Number);
    var count = Number(figure.getAttribute("data-count"));
    var table = colormap(section, figure.getAttribute("data-colormap") || "");
    if (!photo || !spans.length || grid.length !== 2 || !(grid[0] > 0 && grid[1] > 0 && count > 0) || !table) return;
    figure.classList.add("is-loading");
    fetch(figure.getAttribute("data-maps")).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.arrayBuffer();
    }).then(function (buffer) {
      var data = new Uint8Array(buffer);
      if (data.length !== count * grid[0] * grid[1]) throw new Error("the heatmaps are not " + count + " grids of " + grid.join("x"));
      setUp(figure, photo, spans, data, grid[0], grid[1], count, table);
    }).catch(function () {
      figure.classList.remove("is-loading");
      figure.classList.add("is-failed");
      fallBack(figure);
    });
  }

  /* The composite image and its labels, written by the build inside <noscript> (which a page
     with scripts enabled holds as text): shown when the data cannot be painted. */
  function fallBack(figure) {
    var noscript = figure.querySelector("noscript.sample-fallback");
    if (!noscript) return;
    var holder = document.createElement("div");
    holder.innerHTML = noscript.textContent;
    while (holder.firstChild) noscript.parentNode.insertBefore(holder.firstChild, noscript);
    noscript.parentNode.removeChild(noscript);
  }

  function setUp(figure, photo, spans, data, rows, cols, count, table) {
    var status = figure.querySelector(".sample-status");
    var stage = figure.querySelector(".sample-stage");
    var width = Number(photo.getAttribute("width")), height = Number(photo.getAttribute("height"));

    var heat = document.createElement("canvas");
    heat.className = "sample-heat";
    heat.width = width;
    heat.height = height;
    heat.setAttribute("aria-hidden", "true");
    heat.hidden = true;
    stage.appendChild(heat);
    var context = heat.getContext("2d");
    var painted = {};

    var pinned = null;
    var buttons = [];

    function show(button) {
      var k = Number(button.getAttribute("data-map"));
      if (!painted[k]) painted[k] = new ImageData(paint(data, k * rows * cols, rows, cols, width, height, table), width, height);
      context.putImageData(painted[k], 0, 0);
      heat.setAttribute("data-shown", String(k));
      heat.hidden = false;
      figure.classList.add("is-showing");
      buttons.forEach(function (b) { b.classList.toggle("is-active", b === button); });
      if (status) status.textContent = "Heatmap shown for \u201c" + button.textContent + "\u201d" + (pinned === button ? " (pinned)" : "");
    }

    function hide() {
      if (pinned) { show(pinned); return; }
      heat.hidden = true;
      heat.removeAttribute("data-shown");
      figure.classList.remove("is-showing");
      buttons.forEach(function (b) { b.classList.remove("is-active"); });
      if (status) status.textContent = "";
    }

    function pin(button) {
      if (pinned) pinned.setAttribute("aria-pressed", "false");
      pinned = pinned === button ? null : button;
      if (pinned) { pinned.setAttribute("aria-pressed", "true"); show(pinned); } else { hide(); }
    }

    Array.prototype.forEach.call(spans, function (span) {
      var k = Number(span.getAttribute("data-map"));
      if (!(k >= 1 && k < count)) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sample-word";
      button.setAttribute("data-map", String(k));
      button.setAttribute("aria-pressed", "false");
      button.textContent = span.textContent;
      span.parentNode.replaceChild(button, span);
      buttons.push(button);
      button.addEventListener("pointerenter", function (e) { if (e.pointerType !== "touch") show(button); });
      button.addEventListener("pointerleave", function (e) { if (e.pointerType !== "touch") hide(); });
      button.addEventListener("focus", function () { show(button); });
      button.addEventListener("blur", function () { hide(); });
      button.addEventListener("click", function () { pin(button); });
    });

    figure.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && (pinned || figure.classList.contains("is-showing"))) {
        if (pinned) pinned.setAttribute("aria-pressed", "false");
        pinned = null;
        hide();
      }
    });
    figure.classList.remove("is-loading");
    figure.classList.add("is-enhanced");
  }

  function init() {
    if (!window.fetch || !window.ImageData) return;
    var sections = document.querySelectorAll("[data-samples]");
    Array.prototype.forEach.call(sections, function (section) {
      section.classList.add("js-heatmaps");
      var hint = section.querySelector(".samples-hint");
      if (hint) hint.hidden = false;
      Array.prototype.forEach.call(section.querySelectorAll("[data-sample][data-maps]"), function (figure) {
        enhance(section, figure);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
