// Added by `unfragile serve` to the pages it sends, never to a built site: reloads the page
// after each rebuild, and shows a failed rebuild's problems over the last good page.
(() => {
  const script = document.currentScript;
  const build = script.dataset.build;
  const events = new EventSource(script.dataset.events);
  let overlay = null;

  events.onmessage = (message) => {
    const state = JSON.parse(message.data);
    if (state.build !== build) {
      events.close();
      location.reload();
      return;
    }
    show(state.problems);
  };

  function show(problems) {
    if (overlay) {
      overlay.remove();
      overlay = null;
    }
    if (!problems.length) return;
    overlay = document.createElement("div");
    overlay.id = "unfragile-problems";
    overlay.setAttribute("role", "alert");
    overlay.style.cssText =
      "position:fixed;inset:0 0 auto 0;z-index:2147483647;max-height:60vh;overflow:auto;margin:0;" +
      "padding:1rem 1.25rem;background:#3b0a0a;color:#fff;font:14px/1.5 ui-monospace,monospace;" +
      "box-shadow:0 4px 16px rgba(0,0,0,.4)";
    const heading = document.createElement("strong");
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    heading.textContent = `Rebuild failed (${count}); this is the last good build.`;
    const hide = document.createElement("button");
    hide.type = "button";
    hide.textContent = "Hide";
    hide.style.cssText = "float:right;font:inherit;cursor:pointer";
    hide.onclick = () => overlay.remove();
    const list = document.createElement("pre");
    list.style.cssText = "margin:.5rem 0 0;white-space:pre-wrap;font:inherit";
    list.textContent = problems.join("\n"); // text, never markup: messages quote content
    overlay.append(hide, heading, list);
    document.body.append(overlay);
  }
})();
