// Clicking a citation [n] scrolls its source card into view and flashes it.
// Delegated from the document because Gradio re-renders chat messages as they stream.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.cite");
  if (!link) return;
  // The chat's sanitizer drops data-* attributes, so the target comes from href="#source-n".
  const card = document.getElementById((link.getAttribute("href") || "").slice(1));
  if (!card) return;
  event.preventDefault();
  event.stopPropagation();
  card.scrollIntoView({ behavior: "smooth", block: "nearest" });
  card.classList.remove("flash");
  void card.offsetWidth;  // restart the animation on repeated clicks
  card.classList.add("flash");
}, true);
