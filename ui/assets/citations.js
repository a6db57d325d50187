// Clicking a citation [n] brings its source card forward. Delegated from the document because
// Gradio re-renders chat messages as they stream.
//
// Wide screens: the card in the sources panel scrolls into view and flashes.
// Narrow screens (a phone): the sources panel is far below the chat, so the card opens in a
// drawer over the page, with a button back to the answer; the page does not scroll.
(() => {
  const NARROW = "(max-width: 760px)";

  function sourceDrawer() {
    let drawer = document.getElementById("source-drawer");
    if (drawer) return drawer;
    drawer = document.createElement("div");
    drawer.id = "source-drawer";
    drawer.setAttribute("role", "dialog");
    drawer.setAttribute("aria-modal", "false");
    drawer.setAttribute("aria-label", "Source");
    drawer.hidden = true;
    const back = document.createElement("button");
    back.type = "button";
    back.className = "drawer-back";
    back.textContent = "← Back to the answer";
    back.addEventListener("click", closeSourceDrawer);
    const body = document.createElement("div");
    body.className = "drawer-body";
    drawer.append(back, body);
    // Inside Gradio's container, so the theme's fonts and colours (light or dark) apply.
    (document.querySelector(".gradio-container") || document.body).append(drawer);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeSourceDrawer();
    });
    return drawer;
  }

  function openSourceDrawer(card, link) {
    const drawer = sourceDrawer();
    // A copy of the card (made by ui/render.py, every corpus text escaped); its id is dropped so
    // the page keeps one element per id.
    const copy = card.cloneNode(true);
    copy.removeAttribute("id");
    copy.querySelectorAll("details").forEach((details) => { details.open = false; });
    drawer.querySelector(".drawer-body").replaceChildren(copy);
    drawer.returnFocus = link;
    drawer.hidden = false;
    drawer.scrollTop = 0;
    drawer.querySelector(".drawer-back").focus({ preventScroll: true });
  }

  function closeSourceDrawer() {
    const drawer = document.getElementById("source-drawer");
    if (!drawer || drawer.hidden) return;
    drawer.hidden = true;
    if (drawer.returnFocus && drawer.returnFocus.isConnected) drawer.returnFocus.focus({ preventScroll: true });
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.cite");
    if (!link) return;
    // The chat's sanitizer drops data-* attributes, so the target comes from href="#source-n".
    const card = document.getElementById((link.getAttribute("href") || "").slice(1));
    if (!card) return;
    event.preventDefault();
    event.stopPropagation();
    if (window.matchMedia(NARROW).matches && !link.closest("#source-drawer")) {
      openSourceDrawer(card, link);
      return;
    }
    card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    card.classList.remove("flash");
    void card.offsetWidth;  // restart the animation on repeated clicks
    card.classList.add("flash");
  }, true);
})();
