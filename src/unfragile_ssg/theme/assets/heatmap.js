/* Token-by-token heatmaps for "Sample outputs" (progressive enhancement).
 *
 * Without this script each word's heatmap shows in a small labelled grid. With it, every
 * caption word becomes a button: pointing at it, focusing it with the keyboard or tapping it
 * shows that word's heatmap over the photo; a tap (or Enter/Space) pins it until another word
 * is chosen, the same word is chosen again, or Escape is pressed. The grid is then hidden.
 */
(function () {
  "use strict";

  function enhance(figure) {
    var photo = figure.querySelector(".sample-photo");
    var words = figure.querySelectorAll(".sample-word[data-heatmap]");
    if (!photo || !words.length) return;
    var status = figure.querySelector(".sample-status");
    var stage = figure.querySelector(".sample-stage");

    var heat = document.createElement("img");
    heat.className = "sample-heat";
    heat.alt = "";
    heat.setAttribute("aria-hidden", "true");
    heat.setAttribute("width", photo.getAttribute("width"));
    heat.setAttribute("height", photo.getAttribute("height"));
    heat.hidden = true;
    stage.appendChild(heat);

    var pinned = null;
    var preloaded = false;
    var buttons = [];

    function preload() {
      if (preloaded) return;
      preloaded = true;
      buttons.forEach(function (b) { new Image().src = b.getAttribute("data-heatmap"); });
    }

    function show(button) {
      preload();
      heat.src = button.getAttribute("data-heatmap");
      heat.hidden = false;
      figure.classList.add("is-showing");
      buttons.forEach(function (b) { b.classList.toggle("is-active", b === button); });
      if (status) status.textContent = "Heatmap shown for \u201c" + button.textContent + "\u201d" + (pinned === button ? " (pinned)" : "");
    }

    function hide() {
      if (pinned) { show(pinned); return; }
      heat.hidden = true;
      heat.removeAttribute("src");
      figure.classList.remove("is-showing");
      buttons.forEach(function (b) { b.classList.remove("is-active"); });
      if (status) status.textContent = "";
    }

    function pin(button) {
      if (pinned) pinned.setAttribute("aria-pressed", "false");
      pinned = pinned === button ? null : button;
      if (pinned) { pinned.setAttribute("aria-pressed", "true"); show(pinned); } else { hide(); }
    }

    Array.prototype.forEach.call(words, function (span) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sample-word";
      button.setAttribute("data-heatmap", span.getAttribute("data-heatmap"));
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
    figure.addEventListener("pointerenter", preload, { once: true });
    figure.classList.add("is-enhanced");
  }

  function init() {
    var sections = document.querySelectorAll("[data-samples]");
    Array.prototype.forEach.call(sections, function (section) {
      section.classList.add("js-heatmaps");
      var hint = section.querySelector(".samples-hint");
      if (hint) hint.hidden = false;
      Array.prototype.forEach.call(section.querySelectorAll("[data-sample]"), enhance);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
